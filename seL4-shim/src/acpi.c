/*
 * The ACPI subset the shim needs when UEFI firmware gives no DTB (docs/UEFI.md):
 * SPCR (console UART), MADT (GICD, GICR or GICC frames), GTDT (timer PPIs) and FADT
 * (PSCI conduit). RAM comes from the UEFI memory map (efi.c), not from here. No AML:
 * devices that only the DSDT describes (virtio-mmio, PL031) are not found.
 *
 * Pure C over physical addresses the firmware gave us (identity mapped under boot
 * services); every table's length and checksum is checked before a field is read.
 */
#include <string.h>

#include "acpi.h"

#define GICD_FRAME 0x10000ull    /* architectural GICD frame size (ACPI gives only the base) */
#define GICC_FRAME 0x10000ull    /* the GICv2 CPU interface region as QEMU virt's DTB has it */
#define GICR_FRAME_V3 0x20000ull /* one redistributor (RD_base + SGI_base) */

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static uint64_t rd64(const uint8_t *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

static bool sum_ok(const uint8_t *p, uint32_t len) {
  uint8_t s = 0;
  for (uint32_t i = 0; i < len; i++) s = (uint8_t)(s + p[i]);
  return s == 0;
}

/* A system description table at `addr`: 36-byte header, sane length, valid checksum. */
static const uint8_t *sdt(uint64_t addr, uint32_t *len) {
  if (addr == 0) return NULL;
  const uint8_t *t = (const uint8_t *)addr;
  uint32_t l = rd32(t + 4);
  if (l < 36 || l > ACPI_MAX_TABLE || !sum_ok(t, l)) return NULL;
  *len = l;
  return t;
}

static void parse_spcr(const uint8_t *t, uint32_t len, struct fdt_info *hw) {
  if (len < 58) return;
  uint8_t iface = t[36];
  uint8_t space = t[40];
  /* 0x03 PL011, 0x0e SBSA generic UART (a PL011 subset); the address must be memory */
  if ((iface != 0x03 && iface != 0x0e) || space != 0) return;
  hw->uart_base = rd64(t + 44);
  hw->uart_size = 0x1000;
  hw->uart_intid = (t[52] & 0x8) ? rd32(t + 54) : 0; /* bit 3: ARMH GIC interrupt (GSIV) */
  hw->uart_from_stdout_path = true;                  /* SPCR is the firmware's console choice */
}

static void parse_madt(const uint8_t *t, uint32_t len, struct fdt_info *hw) {
  uint64_t gicd = 0, gicc = 0, gicr_percpu = 0;
  unsigned version = 0;
  struct fdt_range redist[FDT_MAX_GIC_REGS];
  unsigned n_redist = 0;
  for (uint32_t o = 44; o + 2 <= len;) {
    uint8_t type = t[o], l = t[o + 1];
    if (l < 2 || o + l > len) break;
    const uint8_t *s = t + o;
    if (type == 0x0b && l >= 76) { /* GICC: the first enabled CPU is ours (single core) */
      if (gicc == 0 && gicr_percpu == 0 && (rd32(s + 12) & 1)) {
        gicc = rd64(s + 32);
        gicr_percpu = rd64(s + 60);
      }
    } else if (type == 0x0c && l >= 24) { /* GICD */
      gicd = rd64(s + 8);
      version = s[20];
    } else if (type == 0x0e && l >= 16 && n_redist < FDT_MAX_GIC_REGS - 1) { /* GICR discovery range */
      redist[n_redist++] = (struct fdt_range){ rd64(s + 4), rd32(s + 12) };
    }
    o += l;
  }
  if (gicd == 0) return;
  if (version == 0) version = (n_redist > 0 || gicr_percpu != 0) ? 3 : 2; /* 0: "not specified" */
  if (version >= 3) {
    if (n_redist == 0 && gicr_percpu != 0) redist[n_redist++] = (struct fdt_range){ gicr_percpu, GICR_FRAME_V3 };
    if (n_redist == 0) return;
    hw->gic_version = 3;
    hw->gic_regs[0] = (struct fdt_range){ gicd, GICD_FRAME };
    for (unsigned i = 0; i < n_redist; i++) hw->gic_regs[1 + i] = redist[i];
    hw->n_gic_regs = 1 + n_redist;
    hw->gic_redist_regions = n_redist;
  } else if (version == 2 && gicc != 0) {
    hw->gic_version = 2;
    hw->gic_regs[0] = (struct fdt_range){ gicd, GICD_FRAME };
    hw->gic_regs[1] = (struct fdt_range){ gicc, GICC_FRAME };
    hw->n_gic_regs = 2;
  }
}

static void parse_gtdt(const uint8_t *t, uint32_t len, struct fdt_info *hw) {
  if (len < 72) return;
  hw->timer_phys_intid = rd32(t + 56);
  hw->timer_virt_intid = rd32(t + 64);
}

static void parse_fadt(const uint8_t *t, uint32_t len, struct fdt_info *hw) {
  if (len < 131) return;
  uint16_t arm_boot = (uint16_t)(t[129] | t[130] << 8);
  if (arm_boot & 1) hw->psci_method = (arm_boot & 2) ? PSCI_HVC : PSCI_SMC;
}

int acpi_parse(uint64_t rsdp_addr, struct fdt_info *hw) {
  const uint8_t *rsdp = (const uint8_t *)rsdp_addr;
  if (rsdp == NULL || memcmp(rsdp, "RSD PTR ", 8) != 0) return ACPI_E_RSDP;
  if (rsdp[15] < 2 || rd32(rsdp + 20) < 36 || !sum_ok(rsdp, 20) || !sum_ok(rsdp, rd32(rsdp + 20))) return ACPI_E_RSDP;
  uint32_t xlen;
  const uint8_t *xsdt = sdt(rd64(rsdp + 24), &xlen);
  if (xsdt == NULL || memcmp(xsdt, "XSDT", 4) != 0) return ACPI_E_XSDT;
  for (uint32_t o = 36; o + 8 <= xlen; o += 8) {
    uint32_t len;
    const uint8_t *t = sdt(rd64(xsdt + o), &len);
    if (t == NULL) continue;
    if (memcmp(t, "SPCR", 4) == 0) parse_spcr(t, len, hw);
    else if (memcmp(t, "APIC", 4) == 0) parse_madt(t, len, hw);
    else if (memcmp(t, "GTDT", 4) == 0) parse_gtdt(t, len, hw);
    else if (memcmp(t, "FACP", 4) == 0) parse_fadt(t, len, hw);
  }
  if (hw->uart_base == 0) return ACPI_E_NO_UART;
  if (hw->gic_version == 0) return ACPI_E_NO_GIC;
  if (hw->timer_virt_intid == 0) return ACPI_E_NO_TIMER;
  return ACPI_OK;
}

const char *acpi_strerror(int err) {
  switch (err) {
  case ACPI_OK: return "ok";
  case ACPI_E_RSDP: return "ACPI 2.0 RSDP missing or its checksum is wrong";
  case ACPI_E_XSDT: return "XSDT missing or its checksum is wrong";
  case ACPI_E_NO_UART: return "no SPCR with a PL011/SBSA UART in memory space";
  case ACPI_E_NO_GIC: return "no usable GIC in the MADT (GICD plus GICR or GICC)";
  case ACPI_E_NO_TIMER: return "no GTDT with a virtual timer interrupt";
  default: return "unknown ACPI error";
  }
}
