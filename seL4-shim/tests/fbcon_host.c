/*
 * Host harness for src/fbcon.c (tests/fbcon.test.ts): a framebuffer in plain memory, the bytes
 * on stdin fed to fbcon_putc, the pixels (32-bit, little-endian) written to stdout and the
 * geometry ("cols rows cell_w cell_h") to stderr. Built by the test with its own manifest.h,
 * so the [uefi] bounds can be put at their edges.
 *
 *   fbcon_host WIDTH HEIGHT STRIDE rgbx|bgrx < bytes > pixels
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "efi_handoff.h"
#include "fbcon.h"

#define CANARY 0xdeadbeefu /* stride padding must keep it: the mirror never writes there */

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: fbcon_host WIDTH HEIGHT STRIDE rgbx|bgrx\n");
    return 2;
  }
  uint32_t w = (uint32_t)atoi(argv[1]), h = (uint32_t)atoi(argv[2]), stride = (uint32_t)atoi(argv[3]);
  size_t n = (size_t)stride * h;
  uint32_t *px = malloc(n * 4 + 4);
  if (px == NULL) return 2;
  for (size_t i = 0; i < n; i++) px[i] = CANARY;
  struct efi_fb fb = { (uint64_t)(uintptr_t)px, n * 4, w, h, stride, strcmp(argv[4], "rgbx") == 0 ? FB_FMT_RGBX : FB_FMT_BGRX };
  if (!fbcon_start(&fb)) {
    fprintf(stderr, "unusable\n");
    return 3;
  }
  int c;
  while ((c = getchar()) != EOF) fbcon_putc((uint8_t)c);
  unsigned cols, rows, cw, ch;
  fbcon_geometry(&cols, &rows, &cw, &ch);
  fprintf(stderr, "%u %u %u %u\n", cols, rows, cw, ch);
  fwrite(px, 4, n, stdout);
  return 0;
}
