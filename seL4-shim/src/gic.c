/*
 * GIC v2 (MMIO CPU interface) and v3 (redistributor + ICC system registers).
 *
 * Model: interrupts are delivered by the GIC but handled synchronously. PSTATE.I
 * stays masked; a pending interrupt still wakes WFI, after which abi.c acks it
 * (IAR), dispatches and EOIs. All interrupts go to group 1 on v3 (group 0 on
 * a v2 without security extensions) and are routed to this single CPU.
 */
#include "shim.h"

/* distributor (common layout) */
#define GICD_CTLR 0x000
#define GICD_TYPER 0x004
#define GICD_IGROUPR 0x080
#define GICD_ISENABLER 0x100
#define GICD_ICENABLER 0x180
#define GICD_ICPENDR 0x280
#define GICD_IPRIORITYR 0x400
#define GICD_ITARGETSR 0x800
#define GICD_ICFGR 0xc00
#define GICD_IROUTER 0x6000
#define GICD_CTLR_RWP (1u << 31)
#define GICD_CTLR_V3 0x13u  /* ARE_NS | EnableGrp1A | EnableGrp1 (DS=1: ARE | Grp1 | Grp0) */

/* v2 CPU interface */
#define GICC_CTLR 0x000
#define GICC_PMR 0x004
#define GICC_BPR 0x008
#define GICC_IAR 0x00c
#define GICC_EOIR 0x010

/* v3 redistributor: RD_base frame, then SGI_base frame 64 KiB above */
#define GICR_TYPER 0x008
#define GICR_WAKER 0x014
#define GICR_SGI 0x10000
#define GICR_TYPER_VLPIS (1u << 1)
#define GICR_TYPER_LAST (1u << 4)
#define GICR_WAKER_SLEEP (1u << 1)
#define GICR_WAKER_CHILDREN_ASLEEP (1u << 2)

#define IRQ_PRIORITY 0xa0   /* any value below the PMR of 0xff is delivered */
#define SPIN_LIMIT 1000000u /* bounded waits on RWP / WAKER so a broken GIC can't hang boot silently */

static unsigned g_ver;
static uint64_t g_gicd, g_gicc, g_gicr;
static uint8_t g_cpu_mask; /* v2: our CPU interface bit in ITARGETSR */

static void gicd_wait_rwp(void) {
  for (unsigned i = 0; i < SPIN_LIMIT && (mmio_read32(g_gicd + GICD_CTLR) & GICD_CTLR_RWP); i++) {
  }
}

static uint64_t my_affinity(void) {
  uint64_t mpidr = read_sysreg(mpidr_el1);
  return (mpidr & 0xffffffull) | (((mpidr >> 32) & 0xff) << 24); /* Aff3.Aff2.Aff1.Aff0 */
}

/* v3: find this CPU's redistributor among the #redistributor-regions frames */
static uint64_t find_redist(const struct fdt_info *hw) {
  uint64_t aff = my_affinity();
  for (unsigned r = 0; r < hw->gic_redist_regions && 1 + r < hw->n_gic_regs; r++) {
    uint64_t base = hw->gic_regs[1 + r].base, end = base + hw->gic_regs[1 + r].size;
    while (base + 0x20000 <= end) {
      uint64_t typer = mmio_read64(base + GICR_TYPER);
      if ((typer >> 32) == aff) return base;
      if (typer & GICR_TYPER_LAST) break;
      base += (typer & GICR_TYPER_VLPIS) ? 0x40000 : 0x20000; /* GICv4 frames are twice as big */
    }
  }
  return 0;
}

static void dist_disable_all(unsigned lines) {
  for (unsigned i = 32; i < lines; i += 32) {
    mmio_write32(g_gicd + GICD_ICENABLER + i / 8, 0xffffffffu);
    mmio_write32(g_gicd + GICD_ICPENDR + i / 8, 0xffffffffu);
    if (g_ver == 3) mmio_write32(g_gicd + GICD_IGROUPR + i / 8, 0xffffffffu); /* group 1 */
  }
}

int gic_init(const struct fdt_info *hw) {
  g_ver = hw->gic_version;
  if (hw->n_gic_regs < 2 || (g_ver != 2 && g_ver != 3)) return -1;
  g_gicd = hw->gic_regs[0].base;
  unsigned lines = 32 * ((mmio_read32(g_gicd + GICD_TYPER) & 0x1f) + 1);
  if (lines > 1020) lines = 1020;

  mmio_write32(g_gicd + GICD_CTLR, 0);
  if (g_ver == 3) gicd_wait_rwp();
  dist_disable_all(lines);

  if (g_ver == 2) {
    g_gicc = hw->gic_regs[1].base;
    mmio_write32(g_gicd + GICD_CTLR, 1);
    /* ITARGETSR0..7 (SGIs/PPIs) read back this CPU's own interface mask */
    g_cpu_mask = (uint8_t)mmio_read32(g_gicd + GICD_ITARGETSR);
    if (g_cpu_mask == 0) g_cpu_mask = 1;
    mmio_write32(g_gicd + GICD_ICENABLER, 0xffffffffu);
    mmio_write32(g_gicc + GICC_PMR, 0xff);
    mmio_write32(g_gicc + GICC_BPR, 0);
    mmio_write32(g_gicc + GICC_CTLR, 1);
    return 0;
  }

  mmio_write32(g_gicd + GICD_CTLR, GICD_CTLR_V3);
  gicd_wait_rwp();
  g_gicr = find_redist(hw);
  if (g_gicr == 0) return -2;
  uint32_t waker = mmio_read32(g_gicr + GICR_WAKER);
  mmio_write32(g_gicr + GICR_WAKER, waker & ~GICR_WAKER_SLEEP);
  for (unsigned i = 0; i < SPIN_LIMIT && (mmio_read32(g_gicr + GICR_WAKER) & GICR_WAKER_CHILDREN_ASLEEP); i++) {
  }
  mmio_write32(g_gicr + GICR_SGI + GICD_IGROUPR, 0xffffffffu);  /* SGIs/PPIs: group 1 */
  mmio_write32(g_gicr + GICR_SGI + GICD_ICENABLER, 0xffffffffu);
  mmio_write32(g_gicr + GICR_SGI + GICD_ICPENDR, 0xffffffffu);

  uint64_t sre = read_sysreg(icc_sre_el1);
  write_sysreg(icc_sre_el1, sre | 1); /* SRE: use the system-register interface */
  isb();
  if ((read_sysreg(icc_sre_el1) & 1) == 0) return -3; /* EL2 did not allow it */
  write_sysreg(icc_pmr_el1, 0xff);
  write_sysreg(icc_bpr1_el1, 0);
  write_sysreg(icc_ctlr_el1, 0); /* EOImode 0: EOIR both drops priority and deactivates */
  write_sysreg(icc_igrpen1_el1, 1);
  isb();
  return 0;
}

void gic_enable_irq(unsigned intid, bool level) {
  if (g_ver == 0 || intid >= 1020) return;
  uint64_t base = g_gicd;
  if (g_ver == 3 && intid < 32) base = g_gicr + GICR_SGI; /* banked per CPU in the redistributor */
  /* priority: one byte per interrupt */
  uint32_t shift = (intid % 4) * 8;
  uint64_t pr = base + GICD_IPRIORITYR + (intid & ~3u);
  mmio_write32(pr, (mmio_read32(pr) & ~(0xffu << shift)) | ((uint32_t)IRQ_PRIORITY << shift));
  if (intid >= 16) { /* SGI config is fixed */
    uint64_t cfg = base + GICD_ICFGR + (intid / 16) * 4;
    uint32_t bit = 2u << ((intid % 16) * 2);
    uint32_t v = mmio_read32(cfg);
    mmio_write32(cfg, level ? (v & ~bit) : (v | bit));
  }
  if (intid >= 32) {
    if (g_ver == 3) {
      mmio_write64(g_gicd + GICD_IROUTER + 8ull * intid, my_affinity());
    } else {
      uint64_t t = g_gicd + GICD_ITARGETSR + (intid & ~3u);
      mmio_write32(t, (mmio_read32(t) & ~(0xffu << shift)) | ((uint32_t)g_cpu_mask << shift));
    }
  }
  mmio_write32(base + GICD_ISENABLER + (intid / 32) * 4, 1u << (intid % 32));
  dsb(sy);
}

unsigned gic_ack(void) {
  if (g_ver == 3) {
    unsigned id = (unsigned)(read_sysreg(icc_iar1_el1) & 0xffffff);
    return id;
  }
  if (g_ver == 2) return mmio_read32(g_gicc + GICC_IAR) & 0x3ff;
  return GIC_SPURIOUS;
}

void gic_eoi(unsigned intid) {
  if (g_ver == 3) {
    write_sysreg(icc_eoir1_el1, intid);
    isb();
  } else if (g_ver == 2) {
    mmio_write32(g_gicc + GICC_EOIR, intid);
  }
}

/* Used by halt(): no interrupt may wake WFI again, so a halted CPU sleeps. */
void gic_mask_all(void) {
  if (g_ver == 3) {
    write_sysreg(icc_pmr_el1, 0);
    isb();
  } else if (g_ver == 2) {
    mmio_write32(g_gicc + GICC_PMR, 0);
  }
}
