/*
 * Framebuffer text mirror (src/fbcon.c): every byte the shim and the core write to the
 * serial console is also drawn, as text, on the GOP framebuffer the EFI stage found.
 * Output only: serial stays the console's input (local keyboards need a USB host driver).
 */
#ifndef SHIM_FBCON_H
#define SHIM_FBCON_H
#include <stdbool.h>
#include <stdint.h>

#define FONT_W 5
#define FONT_H 7
#define CELL_W 6 /* one column of spacing */
#define CELL_H 9 /* two rows of spacing */
#define FBCON_FG 0xd0d0d0u /* 0xRRGGBB */
#define FBCON_BG 0x000000u

extern const uint8_t g_font5x7[95][7];
extern const uint8_t g_font5x7_unknown[7];

struct efi_fb;
/* Starts the mirror on an already mapped framebuffer; false if it is unusable. */
bool fbcon_start(const struct efi_fb *fb);
void fbcon_putc(uint8_t c);
/* cells in use and their pixel size (for the boot report) */
void fbcon_geometry(unsigned *cols, unsigned *rows, unsigned *cell_w, unsigned *cell_h);
#endif
