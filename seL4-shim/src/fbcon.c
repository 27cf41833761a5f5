/*
 * Framebuffer text mirror. A text grid bounded by the manifest ([uefi] fb_max_cols,
 * fb_max_rows, fb_glyph_scale) holds what is on screen; bytes are drawn as they arrive,
 * a line feed on the last row scrolls by redrawing the grid one row up. The framebuffer
 * is only ever written, never read: it is mapped Normal non-cacheable (mmu.c), where
 * reads are slow on real hardware.
 *
 * Terminal model (tests/helpers/fbtext.ts follows it): printable ASCII is drawn, any
 * other byte >= 0x80 as a box; '\n' goes to the start of the next row, '\r' to the start
 * of this row, '\b' one cell left, '\t' to the next multiple of 8; other control bytes
 * and ANSI CSI sequences (ESC '[' ... final byte) are ignored; a full row wraps.
 */
#include <string.h>

#include "efi_handoff.h"
#include "fbcon.h"
#include "manifest.h"

#define SCALE COH_UEFI_FB_GLYPH_SCALE
#define MAX_COLS COH_UEFI_FB_MAX_COLS
#define MAX_ROWS COH_UEFI_FB_MAX_ROWS

static struct {
  bool on;
  volatile uint32_t *px;
  uint32_t stride;
  uint32_t fg, bg;
  unsigned cols, rows, col, row;
  unsigned top;   /* grid row shown on screen row 0 (a ring: scrolling moves this) */
  int esc;        /* 0 none, 1 after ESC, 2 inside CSI */
} g;
static uint8_t g_grid[MAX_ROWS][MAX_COLS];

static uint32_t pack(uint32_t rgb, uint32_t fmt) {
  uint32_t r = (rgb >> 16) & 0xff, gr = (rgb >> 8) & 0xff, b = rgb & 0xff;
  return fmt == FB_FMT_RGBX ? (r | gr << 8 | b << 16) : (b | gr << 8 | r << 16);
}

static const uint8_t *glyph(uint8_t c) {
  if (c >= 0x20 && c < 0x7f) return g_font5x7[c - 0x20];
  return g_font5x7_unknown;
}

static void draw_cell(unsigned srow, unsigned col, uint8_t c) {
  const uint8_t *gl = c == ' ' ? NULL : glyph(c);
  volatile uint32_t *o = g.px + (uint64_t)srow * CELL_H * SCALE * g.stride + (uint64_t)col * CELL_W * SCALE;
  for (unsigned y = 0; y < CELL_H * SCALE; y++) {
    unsigned gy = y / SCALE;
    uint8_t bits = (gl && gy < FONT_H) ? gl[gy] : 0;
    volatile uint32_t *line = o + (uint64_t)y * g.stride;
    for (unsigned x = 0; x < CELL_W * SCALE; x++) {
      unsigned gx = x / SCALE;
      line[x] = (gx < FONT_W && (bits & (0x10 >> gx))) ? g.fg : g.bg;
    }
  }
}

static void redraw(void) {
  for (unsigned r = 0; r < g.rows; r++) {
    const uint8_t *t = g_grid[(g.top + r) % g.rows];
    for (unsigned c = 0; c < g.cols; c++) draw_cell(r, c, t[c]);
  }
}

static void newline(void) {
  g.col = 0;
  if (g.row + 1 < g.rows) {
    g.row++;
    return;
  }
  /* scroll: the oldest grid row becomes the new bottom row */
  memset(g_grid[g.top], ' ', g.cols);
  g.top = (g.top + 1) % g.rows;
  redraw();
}

static void put_glyph(uint8_t c) {
  if (g.col == g.cols) newline();
  g_grid[(g.top + g.row) % g.rows][g.col] = c;
  draw_cell(g.row, g.col, c);
  g.col++;
}

void fbcon_putc(uint8_t c) {
  if (!g.on) return;
  if (g.esc == 1) {
    g.esc = c == '[' ? 2 : 0;
    return;
  }
  if (g.esc == 2) {
    if (c >= 0x40 && c <= 0x7e) g.esc = 0; /* final byte of a CSI sequence */
    return;
  }
  switch (c) {
  case 0x1b: g.esc = 1; return;
  case '\n': newline(); return;
  case '\r': g.col = 0; return;
  case '\b': if (g.col > 0) g.col--; return;
  case '\t':
    do put_glyph(' ');
    while (g.col % 8 != 0 && g.col < g.cols);
    return;
  default:
    if (c < 0x20 || c == 0x7f) return;
    put_glyph(c);
  }
}

bool fbcon_start(const struct efi_fb *fb) {
  if (fb->base == 0 || fb->stride < fb->width) return false;
  unsigned cols = fb->width / (CELL_W * SCALE), rows = fb->height / (CELL_H * SCALE);
  if (cols > MAX_COLS) cols = MAX_COLS;
  if (rows > MAX_ROWS) rows = MAX_ROWS;
  if (cols < 1 || rows < 1) return false;
  g.px = (volatile uint32_t *)fb->base;
  g.stride = fb->stride;
  g.fg = pack(FBCON_FG, fb->format);
  g.bg = pack(FBCON_BG, fb->format);
  g.cols = cols;
  g.rows = rows;
  memset(g_grid, ' ', sizeof(g_grid));
  /* the whole visible area, margins too: the firmware's logo and menus go */
  for (uint32_t y = 0; y < fb->height; y++)
    for (uint32_t x = 0; x < fb->width; x++) g.px[(uint64_t)y * g.stride + x] = g.bg;
  g.on = true;
  return true;
}

void fbcon_geometry(unsigned *cols, unsigned *rows, unsigned *cell_w, unsigned *cell_h) {
  *cols = g.on ? g.cols : 0;
  *rows = g.on ? g.rows : 0;
  *cell_w = CELL_W * SCALE;
  *cell_h = CELL_H * SCALE;
}
