/*
 * CBI1 bootinfo synthesis (docs/PLATFORM_ABI.md, "Bootinfo blob").
 *
 * A pure function from a few physical ranges to the blob: no hardware access,
 * no globals, so tests/bootinfo_host.c can build it natively and the vitest
 * suite can compare it byte-for-byte with host/runtime/bootinfo.ts.
 */
#ifndef SHIM_BOOTINFO_H
#define SHIM_BOOTINFO_H

#include <stdint.h>
#include <stddef.h>

#define CBI_MAGIC 0x31494243u       /* "CBI1" little-endian */
#define CBI_VERSION 1u
#define CBI_HEADER_BYTES 64u
#define CBI_UNTYPED_BYTES 16u
#define CBI_MAX_UNTYPED 230u        /* seL4's CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS */
#define CBI_MAX_BYTES (CBI_HEADER_BYTES + CBI_MAX_UNTYPED * CBI_UNTYPED_BYTES)
#define CBI_NODE_BITS 12u
#define CBI_KERNEL_WINDOW (64ull << 20)
#define CBI_MIN_BITS 4u
#define CBI_MAX_BITS 47u

/* seL4 aarch64 initial CNode layout plus the two slots the shim adds */
#define CBI_SLOT_TCB 1u
#define CBI_SLOT_CNODE 2u
#define CBI_SLOT_VSPACE 3u
#define CBI_SLOT_ENDPOINT 15u
#define CBI_SLOT_UART 16u
#define CBI_SLOT_FIRST_UNTYPED 17u

#define CBI_MAX_RAM 8u              /* matches FDT_MAX_MEM */
#define CBI_MAX_KERNEL_DEV 8u       /* matches FDT_MAX_GIC_REGS */

struct cbi_range {
  uint64_t base;
  uint64_t size;
};

struct cbi_input {
  struct cbi_range ram[CBI_MAX_RAM];            /* /memory banks, any order */
  unsigned n_ram;
  struct cbi_range kernel_dev[CBI_MAX_KERNEL_DEV]; /* GIC register frames the kernel keeps */
  unsigned n_kernel_dev;
  struct cbi_range uart;                        /* handed over as a frame, not as untyped */
  unsigned gic_version;                         /* 2, 3 or 0 */
  uint64_t dtb_paddr;
};

struct cbi_result {
  uint32_t len;            /* bytes written to the output buffer */
  unsigned count;          /* untyped descriptors in the blob */
  unsigned dropped;        /* descriptors past CBI_MAX_UNTYPED, not handed out */
  uint64_t dropped_bytes;  /* their total size */
  uint64_t ram_base;       /* first (lowest) RAM bank: start of the kernel window */
};

enum { CBI_OK = 0, CBI_E_NO_RAM = -1, CBI_E_WINDOW = -2, CBI_E_SPACE = -3, CBI_E_INPUT = -4 };

/* Builds the blob into out[0..cap). cap >= CBI_MAX_BYTES always suffices. */
int cbi_build(const struct cbi_input *in, uint8_t *out, size_t cap, struct cbi_result *res);

const char *cbi_strerror(int err);

#endif
