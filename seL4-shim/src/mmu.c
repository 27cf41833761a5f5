/*
 * Identity map, 4 KiB granule, 48-bit VA (walk starts at level 0).
 *
 * mmu_early() runs with the MMU off: it maps only the image (minus the stack
 * guard page) and the DTB as normal write-back memory, then turns the MMU and
 * caches on, so the DTB can be parsed with unaligned accesses allowed. After
 * parsing, main.c adds RAM banks and device ranges with mmu_map(). Entries only
 * ever go from invalid to valid, so no break-before-make is needed. Page 0 is
 * never mapped: a NULL dereference faults.
 */
#include <string.h>

#include "shim.h"

#define PTE_VALID (1ull << 0)
#define PTE_TABLE (1ull << 1)      /* levels 0-2: next-level table; level 3: page */
#define PTE_ATTR(i) ((uint64_t)(i) << 2)
#define PTE_SH_INNER (3ull << 8)
#define PTE_AF (1ull << 10)
#define PTE_PXN (1ull << 53)
#define PTE_UXN (1ull << 54)
#define PTE_ADDR 0x0000fffffffff000ull

#define MAIR_DEVICE_nGnRE 0x04ull  /* attr index 0 */
#define MAIR_NORMAL_WB 0xffull     /* attr index 1: inner/outer write-back, RW-allocate */
#define MAIR_NORMAL_NC 0x44ull     /* attr index 2: inner/outer non-cacheable (framebuffers) */
#define ATTR_DEVICE 0
#define ATTR_NORMAL 1
#define ATTR_NORMAL_NC 2

#define TCR_T0SZ(n) ((uint64_t)(n))
#define TCR_IRGN0_WBWA (1ull << 8)
#define TCR_ORGN0_WBWA (1ull << 10)
#define TCR_SH0_INNER (3ull << 12)
#define TCR_EPD1 (1ull << 23)      /* no TTBR1 walks: there is no upper half */
#define TCR_IPS_SHIFT 32

#define SCTLR_M (1ull << 0)
#define SCTLR_C (1ull << 2)
#define SCTLR_SA (1ull << 3)
#define SCTLR_I (1ull << 12)

#define ENTRIES 512

extern char __stack_guard[];

static uint64_t *g_l0;
static uint64_t g_pt_next, g_pt_used;
static bool g_mmu_on;

static uint64_t *alloc_table(void) {
  if (g_pt_next + SHIM_PAGE_SIZE > (uint64_t)__pt_end) return NULL;
  uint64_t *t = (uint64_t *)g_pt_next;
  g_pt_next += SHIM_PAGE_SIZE;
  g_pt_used++;
  /* aligned 8-byte stores only: this also runs with the MMU off (Device memory) */
  for (unsigned i = 0; i < ENTRIES; i++) ((volatile uint64_t *)t)[i] = 0;
  return t;
}

static uint64_t leaf(uint64_t pa, int kind, int level) {
  uint64_t d = pa | PTE_VALID | PTE_AF | (level == 3 ? PTE_TABLE : 0);
  if (kind == MMU_DEVICE) return d | PTE_ATTR(ATTR_DEVICE) | PTE_PXN | PTE_UXN;
  if (kind == MMU_NORMAL_NC) return d | PTE_ATTR(ATTR_NORMAL_NC) | PTE_SH_INNER | PTE_PXN | PTE_UXN;
  return d | PTE_ATTR(ATTR_NORMAL) | PTE_SH_INNER | PTE_UXN;
}

/* Maps [va, end) within `table` at `level`; uses the biggest block that fits
   where nothing is mapped yet, leaves already-valid blocks/pages alone. */
static int map_level(uint64_t *table, int level, uint64_t va, uint64_t end, int kind) {
  unsigned shift = 39 - 9 * (unsigned)level;
  uint64_t bsize = 1ull << shift;
  while (va < end) {
    unsigned idx = (va >> shift) & (ENTRIES - 1);
    uint64_t bstart = va & ~(bsize - 1), bend = bstart + bsize;
    uint64_t e = end < bend ? end : bend;
    uint64_t pte = table[idx];
    if (level == 3) {
      if (!(pte & PTE_VALID)) table[idx] = leaf(va, kind, 3);
    } else if (level >= 1 && va == bstart && e == bend && !(pte & PTE_VALID)) {
      table[idx] = leaf(va, kind, level); /* 1 GiB or 2 MiB block */
    } else if ((pte & (PTE_VALID | PTE_TABLE)) == PTE_VALID) {
      /* an existing block already covers this part */
    } else {
      uint64_t *next;
      if (!(pte & PTE_VALID)) {
        next = alloc_table();
        if (next == NULL) return -1;
        table[idx] = (uint64_t)next | PTE_VALID | PTE_TABLE;
      } else {
        next = (uint64_t *)(pte & PTE_ADDR);
      }
      if (map_level(next, level + 1, va, e, kind) != 0) return -1;
    }
    va = e;
  }
  return 0;
}

int mmu_map(uint64_t start, uint64_t end, int kind) {
  start &= ~(SHIM_PAGE_SIZE - 1);
  end = (end + SHIM_PAGE_SIZE - 1) & ~(SHIM_PAGE_SIZE - 1);
  if (start < SHIM_PAGE_SIZE) start = SHIM_PAGE_SIZE; /* page 0 stays unmapped */
  if (end > (1ull << 48)) end = 1ull << 48;
  if (start >= end) return 0;
  int err = map_level(g_l0, 0, start, end, kind);
  if (g_mmu_on) {
    dsb(ishst);
    __asm__ volatile("tlbi vmalle1\n dsb ish\n isb" ::: "memory");
  }
  return err;
}

/* RAM, minus the stack guard page wherever the range covers it */
void mmu_map_ram(uint64_t start, uint64_t end) {
  uint64_t g = (uint64_t)__stack_guard;
  if (start <= g && g < end) {
    if (mmu_map(start, g, MMU_NORMAL) || mmu_map(g + SHIM_PAGE_SIZE, end, MMU_NORMAL)) panic("page-table pool exhausted");
  } else if (mmu_map(start, end, MMU_NORMAL)) {
    panic("page-table pool exhausted");
  }
}

uint64_t mmu_tables_used(void) { return g_pt_used; }

/* Discards cache lines over memory we wrote with the MMU (and caches) off, so
   stale lines a bootloader left cannot shadow it once caches are on. */
static void dcache_inval(uint64_t start, uint64_t end) {
  uint64_t line = 4ull << ((read_sysreg(ctr_el0) >> 16) & 0xf);
  for (uint64_t a = start & ~(line - 1); a < end; a += line) __asm__ volatile("dc ivac, %0" ::"r"(a) : "memory");
  dsb(sy);
}

void mmu_early(uint64_t dtb) {
  extern char __rela_start[];
  g_pt_next = (uint64_t)__pt_start;
  g_l0 = alloc_table();
  uint64_t img = (uint64_t)__image_start, kend = (uint64_t)__kernel_end;
  uint64_t g = (uint64_t)__stack_guard;
  if (g_l0 == NULL || map_level(g_l0, 0, img, g, MMU_NORMAL) ||
      map_level(g_l0, 0, g + SHIM_PAGE_SIZE, kend, MMU_NORMAL))
    goto stuck;
  if (dtb != 0) {
    uint32_t size = fdt_total_size((const void *)dtb); /* aligned 4-byte loads: fine uncached */
    if (map_level(g_l0, 0, dtb & ~(SHIM_PAGE_SIZE - 1), (dtb + size + SHIM_PAGE_SIZE - 1) & ~(SHIM_PAGE_SIZE - 1), MMU_NORMAL))
      goto stuck;
  }

  /* everything written so far with caches off: relocated data, .bss, stack, tables */
  dcache_inval((uint64_t)__rela_start, (uint64_t)__image_load_end);
  dcache_inval((uint64_t)__stack_bottom, (uint64_t)__exc_stack_top);
  dcache_inval((uint64_t)__pt_start, g_pt_next);

  uint64_t parange = read_sysreg(id_aa64mmfr0_el1) & 0xf;
  if (parange > 5) parange = 5; /* 48-bit output is all a 4 KiB, 4-level walk can name */
  write_sysreg(mair_el1, MAIR_DEVICE_nGnRE | (MAIR_NORMAL_WB << 8) | (MAIR_NORMAL_NC << 16));
  write_sysreg(tcr_el1, TCR_T0SZ(16) | TCR_IRGN0_WBWA | TCR_ORGN0_WBWA | TCR_SH0_INNER | TCR_EPD1 |
                            (parange << TCR_IPS_SHIFT));
  write_sysreg(ttbr0_el1, (uint64_t)g_l0);
  isb();
  __asm__ volatile("tlbi vmalle1\n dsb nsh\n ic iallu\n dsb nsh\n isb" ::: "memory");
  write_sysreg(sctlr_el1, read_sysreg(sctlr_el1) | SCTLR_M | SCTLR_C | SCTLR_I | SCTLR_SA);
  isb();
  g_mmu_on = true;
  return;
stuck:
  halt(); /* pool too small for the image: a build problem, no console yet */
}
