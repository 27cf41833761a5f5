/*
 * What the EFI stage (efi.c, running under the firmware) hands to the kernel-window copy
 * of the image after ExitBootServices: a plain struct in the EFI stage's own .bss, passed
 * in x1 (0 from a Linux-style loader such as QEMU -kernel). main.c copies it into its own
 * .bss before anything else, so the memory it lived in may become untyped RAM.
 */
#ifndef SHIM_EFI_HANDOFF_H
#define SHIM_EFI_HANDOFF_H
#include <stdint.h>

#include "fdt.h"

#define EFI_HANDOFF_MAGIC 0x3149464548434f43ull /* "COHEFI1" + NUL-ish, little-endian */
#define EFI_HANDOFF_VERSION 1u
#define EFI_MAX_RESERVED 16u  /* firmware ranges inside RAM the OS must preserve (merged) */

enum {
  EFI_HO_FROM_ACPI = 1u << 0, /* no DTB: `hw` was built from ACPI (SPCR, MADT, GTDT, FADT) + memory map */
  EFI_HO_HAVE_FB = 1u << 1,   /* a GOP framebuffer was found before ExitBootServices */
};

enum { FB_FMT_RGBX = 0, FB_FMT_BGRX = 1 }; /* GOP PixelRedGreenBlueReserved / PixelBlueGreenRedReserved */

struct efi_fb {
  uint64_t base, size;
  uint32_t width, height, stride; /* stride in pixels (PixelsPerScanLine) */
  uint32_t format;
};

struct efi_handoff {
  uint64_t magic;
  uint32_t version, size;       /* size = sizeof(struct efi_handoff) */
  uint32_t flags;
  uint32_t map_entries;         /* memory-map descriptors seen at ExitBootServices */
  uint32_t ebs_tries;           /* ExitBootServices calls (> 1: the map key was stale) */
  uint32_t n_reserved;
  uint64_t dtb;                 /* firmware DTB config table, 0 with ACPI only */
  uint64_t efi_entry_count;     /* CNTVCT at efi_entry, for boot timing */
  struct fdt_range reserved[EFI_MAX_RESERVED]; /* sorted, merged, page aligned */
  uint32_t reserved_dropped;    /* ranges beyond EFI_MAX_RESERVED (they make the boot stop) */
  struct efi_fb fb;
  struct fdt_info hw;           /* valid with EFI_HO_FROM_ACPI */
};

#endif
