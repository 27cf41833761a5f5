/*
 * The kernel-window side of a UEFI boot: takes over the handoff the EFI stage (efi.c)
 * left in x1, takes the RAM the firmware must keep out of the banks before anything is
 * mapped or handed out, and reports what it did in one `[shim] efi:` line.
 */
#include <string.h>

#include "efi_handoff.h"
#include "fbcon.h"
#include "shim.h"

struct efi_handoff g_efi;

/* Runs with the MMU off (Device memory): aligned 8-byte loads and stores only. */
bool efi_handoff_take(uint64_t x1) {
  if (x1 == 0 || (x1 & 7) != 0) return false;
  const volatile uint64_t *src = (const volatile uint64_t *)x1;
  if (src[0] != EFI_HANDOFF_MAGIC) return false;
  uint32_t ver_size[2];
  uint64_t w = src[1];
  ver_size[0] = (uint32_t)w;
  ver_size[1] = (uint32_t)(w >> 32);
  if (ver_size[0] != EFI_HANDOFF_VERSION || ver_size[1] != sizeof(struct efi_handoff)) return false;
  volatile uint64_t *dst = (volatile uint64_t *)&g_efi;
  for (size_t i = 0; i < sizeof(g_efi) / 8; i++) dst[i] = src[i];
  return true;
}

/* Removes [rb, re) from the bank list; a bank split in two needs a free slot. */
static bool carve(struct fdt_info *hw, uint64_t rb, uint64_t re) {
  for (unsigned i = 0; i < hw->n_mem; i++) {
    uint64_t b = hw->mem[i].base, e = b + hw->mem[i].size;
    if (re <= b || rb >= e) continue;
    if (rb <= b && re >= e) { /* whole bank */
      memmove(&hw->mem[i], &hw->mem[i + 1], (hw->n_mem - i - 1) * sizeof(hw->mem[0]));
      hw->n_mem--;
      i--;
    } else if (rb <= b) { /* head */
      hw->mem[i] = (struct fdt_range){ re, e - re };
    } else if (re >= e) { /* tail */
      hw->mem[i].size = rb - b;
    } else { /* middle: split */
      if (hw->n_mem == FDT_MAX_MEM) return false;
      memmove(&hw->mem[i + 2], &hw->mem[i + 1], (hw->n_mem - i - 1) * sizeof(hw->mem[0]));
      hw->mem[i].size = rb - b;
      hw->mem[i + 1] = (struct fdt_range){ re, e - re };
      hw->n_mem++;
      i++;
    }
  }
  return true;
}

static uint64_t g_carved_bytes;
static unsigned g_carved_ranges;
static bool g_fb_on;

void efi_adopt(struct fdt_info *hw) {
  uint64_t ws = hw->mem[0].base, we = ws + SHIM_KERNEL_WINDOW;
  for (unsigned i = 0; i < g_efi.n_reserved; i++) {
    uint64_t rb = g_efi.reserved[i].base, re = rb + g_efi.reserved[i].size;
    if (rb < we && re > ws) continue; /* inside the kernel window: never handed out anyway */
    uint64_t before = 0;
    for (unsigned j = 0; j < hw->n_mem; j++) before += hw->mem[j].size;
    if (!carve(hw, rb, re)) {
      g_efi.reserved_dropped++;
      continue;
    }
    uint64_t after = 0;
    for (unsigned j = 0; j < hw->n_mem; j++) after += hw->mem[j].size;
    if (after != before) {
      g_carved_bytes += before - after;
      g_carved_ranges++;
    }
  }
  /* the framebuffer (kept out of RAM above by the EFI stage): mapped, cleared, mirrored */
  if ((g_efi.flags & EFI_HO_HAVE_FB) && mmu_map(g_efi.fb.base, g_efi.fb.base + g_efi.fb.size, MMU_NORMAL_NC) == 0)
    g_fb_on = fbcon_start(&g_efi.fb);
}

void efi_report(void) {
  kprintf("[shim] efi: %s memmap=%u ebs_tries=%u reserved=%u carved=0x%lx", (g_efi.flags & EFI_HO_FROM_ACPI) ? "acpi" : "dtb",
          g_efi.map_entries, g_efi.ebs_tries, g_efi.n_reserved, g_carved_bytes);
  kprintf("\r\n");
  if (g_efi.flags & EFI_HO_HAVE_FB) {
    unsigned cols, rows, cw, ch;
    fbcon_geometry(&cols, &rows, &cw, &ch);
    kprintf("[shim] efi: fb=%ux%u stride=%u %s at 0x%lx: ", g_efi.fb.width, g_efi.fb.height, g_efi.fb.stride,
            g_efi.fb.format == FB_FMT_RGBX ? "rgbx" : "bgrx", g_efi.fb.base);
    if (g_fb_on) kprintf("text mirror %ux%u cells of %ux%u px\r\n", cols, rows, cw, ch);
    else kprintf("unusable, no text mirror\r\n");
  }
  for (unsigned i = 0; i < g_efi.n_reserved; i++)
    kprintf("[shim] efi: reserved 0x%lx+0x%lx\r\n", g_efi.reserved[i].base, g_efi.reserved[i].size);
  if (g_efi.reserved_dropped)
    kprintf("[shim] efi: %u firmware range(s) could not be kept out of RAM (list full)\r\n", g_efi.reserved_dropped);
}
