/*
 * Minimal flattened-device-tree reader: just the facts the shim needs.
 *
 * Pure C with no hardware access, so it also compiles for the host.
 * Every read is bounds-checked against the blob's header; a malformed
 * blob makes fdt_parse() return a negative FDT_E* code, never a crash.
 *
 * Limitation: `ranges` of parent buses are not applied (addresses are taken
 * as-is). QEMU `virt` puts every device at the root, so this is exact there.
 */
#ifndef SHIM_FDT_H
#define SHIM_FDT_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#define FDT_MAGIC 0xd00dfeedu
#define FDT_HEADER_BYTES 40u

#define FDT_MAX_MEM 8       /* /memory reg entries kept */
#define FDT_MAX_GIC_REGS 8  /* GIC reg entries kept (dist, redist..., cpu if, ...) */
#define FDT_MAX_VIRTIO 32   /* QEMU virt has 32 virtio-mmio transports */
#define FDT_MAX_RNG_SEED 64 /* bytes of /chosen/rng-seed kept (QEMU gives 32) */

enum { FDT_OK = 0, FDT_E_MAGIC = -1, FDT_E_VERSION = -2, FDT_E_BOUNDS = -3, FDT_E_STRUCT = -4, FDT_E_DEPTH = -5 };

enum { PSCI_NONE = 0, PSCI_HVC = 1, PSCI_SMC = 2 };

struct fdt_range {
  uint64_t base;
  uint64_t size;
};

struct fdt_virtio {
  uint64_t base;
  uint64_t size;
  unsigned intid; /* GIC INTID (SPI n -> 32 + n), 0 if none */
};

struct fdt_info {
  uint32_t totalsize;                   /* bytes of the blob, from its header */

  struct fdt_range mem[FDT_MAX_MEM];    /* /memory reg entries, sorted by base */
  unsigned n_mem;

  uint64_t uart_base, uart_size;        /* chosen PL011 (stdout-path, else first) */
  unsigned uart_intid;                  /* 0 if the node has no interrupts */
  bool uart_from_stdout_path;

  unsigned gic_version;                 /* 2, 3, or 0 if no GIC node was found */
  struct fdt_range gic_regs[FDT_MAX_GIC_REGS];
  unsigned n_gic_regs;
  unsigned gic_redist_regions;          /* v3: #redistributor-regions (default 1) */

  unsigned timer_phys_intid;            /* EL1 non-secure physical timer (PPI 14 -> 30) */
  unsigned timer_virt_intid;            /* EL1 virtual timer (PPI 11 -> 27) */

  int psci_method;                      /* PSCI_NONE / PSCI_HVC / PSCI_SMC */

  uint8_t rng_seed[FDT_MAX_RNG_SEED];
  unsigned rng_seed_len;
  uint64_t kaslr_seed;
  bool has_kaslr_seed;

  struct fdt_virtio virtio[FDT_MAX_VIRTIO];
  unsigned n_virtio;

  uint64_t rtc_base;                    /* PL031 real-time clock ("arm,pl031"), 0 if absent */
};

/* Reads the total size from a header; 0 if `blob` is not an FDT. */
uint32_t fdt_total_size(const void *blob);

/* Walks the blob (at most `max_len` bytes are ever read) and fills `out`. */
int fdt_parse(const void *blob, size_t max_len, struct fdt_info *out);

const char *fdt_strerror(int err);

#endif
