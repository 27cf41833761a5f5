/*
 * Boot sequence (entered from head.S at EL1, MMU off, on the boot stack):
 *
 *   1. find the DTB (x0, else the start of QEMU virt RAM for bare-metal ELFs);
 *   2. identity-map the image and DTB, MMU + caches on (mmu.c);
 *   3. parse the DTB; map RAM and device ranges; PL011 on; first boot line;
 *   4. check that image, stacks, tables, arena and DTB fit in the kernel
 *      window (copying a DTB the loader left outside it into the window);
 *   5. GIC, generic timer, entropy seed, CBI1 bootinfo, virtio-net + lwIP;
 *   6. hand over to the wasm core's event pump (abi.c).
 */
#include <string.h>

#include "bootinfo.h"
#include "efi_handoff.h"
#include "net.h"
#include "shim.h"

#define QEMU_VIRT_RAM_BASE 0x40000000ull    /* where QEMU virt puts the DTB for bare-metal ELFs */
#define QEMU_VIRT_PL011 0x09000000ull       /* used only to report a missing/broken DTB */
#define LOW_DEVICE_START 0x08000000ull      /* QEMU virt: GIC, UART, RTC, virtio... below RAM */
#define LOW_DEVICE_END 0x40000000ull
#define PSCI_SYSTEM_OFF 0x84000008u

struct shim_state g_shim;
uint8_t g_bootinfo[CBI_MAX_BYTES];
uint32_t g_bootinfo_len;

static uint64_t pick_dtb(uint64_t x0) {
  if (x0 != 0 && (x0 & 7) == 0 && fdt_total_size((const void *)x0) != 0) return x0;
  if (fdt_total_size((const void *)QEMU_VIRT_RAM_BASE) != 0) return QEMU_VIRT_RAM_BASE;
  return 0;
}

/* No usable DTB means no UART address: try QEMU virt's PL011 to say why, then stop. */
static NORETURN void no_dtb(const char *why) {
  mmu_map(QEMU_VIRT_PL011, QEMU_VIRT_PL011 + SHIM_PAGE_SIZE, MMU_DEVICE);
  uart_init(QEMU_VIRT_PL011);
  kprintf("[shim] cannot boot: %s\r\n", why);
  halt();
}

static void map_device(uint64_t base, uint64_t size) {
  if (size != 0 && mmu_map(base, base + size, MMU_DEVICE) != 0) panic("page-table pool exhausted");
}

static void map_hardware(const struct fdt_info *hw) {
  uint64_t ram0 = hw->mem[0].base;
  /* the low device window, clipped to end where RAM starts */
  uint64_t dev_end = ram0 < LOW_DEVICE_END ? ram0 : LOW_DEVICE_END;
  if (dev_end > LOW_DEVICE_START) map_device(LOW_DEVICE_START, dev_end - LOW_DEVICE_START);
  /* anything the DTB names outside it (e.g. a high redistributor region) */
  map_device(hw->uart_base, hw->uart_size ? hw->uart_size : SHIM_PAGE_SIZE);
  for (unsigned i = 0; i < hw->n_gic_regs; i++) map_device(hw->gic_regs[i].base, hw->gic_regs[i].size);
  for (unsigned i = 0; i < hw->n_virtio; i++) map_device(hw->virtio[i].base, hw->virtio[i].size);
  for (unsigned i = 0; i < hw->n_mem; i++) mmu_map_ram(hw->mem[i].base, hw->mem[i].base + hw->mem[i].size);
}

static bool inside(uint64_t s, uint64_t e, uint64_t ws, uint64_t we) { return s >= ws && e <= we && s <= e; }

/* The used part of a DTB: header, reservation map, structure and strings blocks. */
static uint32_t dtb_used_bytes(const uint8_t *b) {
  uint32_t total = fdt_total_size(b), used = FDT_HEADER_BYTES;
  uint32_t ends[3];
  uint32_t off_struct = __builtin_bswap32(*(const uint32_t *)(b + 8));
  uint32_t off_strings = __builtin_bswap32(*(const uint32_t *)(b + 12));
  uint32_t size_strings = __builtin_bswap32(*(const uint32_t *)(b + 32));
  uint32_t size_struct = __builtin_bswap32(*(const uint32_t *)(b + 36));
  ends[0] = off_struct + size_struct;
  ends[1] = off_strings + size_strings;
  ends[2] = __builtin_bswap32(*(const uint32_t *)(b + 16)); /* mem_rsvmap: assume it is small */
  for (int i = 0; i < 3; i++)
    if (ends[i] > used) used = ends[i];
  used = (used + 7) & ~7u;
  return used < total ? used : total;
}

/* Everything the kernel owns must sit in [RAM base, RAM base + 64 MiB - 4 KiB):
   the top page of the window is the root task's IPC buffer. */
static void check_window(void) {
  uint64_t ws = g_shim.hw.mem[0].base, we = ws + SHIM_KERNEL_WINDOW - SHIM_PAGE_SIZE;
  uint64_t is = (uint64_t)__image_start, ie = (uint64_t)__kernel_end;
  if (g_shim.hw.mem[0].size < SHIM_KERNEL_WINDOW) {
    kprintf("[shim] refusing to boot: first RAM bank 0x%lx+0x%lx is smaller than the 64 MiB kernel window\r\n", ws,
            g_shim.hw.mem[0].size);
    halt();
  }
  if (!inside(is, ie, ws, we)) {
    kprintf("[shim] refusing to boot: image+stacks+tables+arena 0x%lx-0x%lx not inside kernel window 0x%lx-0x%lx\r\n", is,
            ie, ws, we);
    halt();
  }
  if (g_shim.dtb == 0) return; /* UEFI with ACPI only: no DTB to keep */
  uint64_t ds = g_shim.dtb, de = ds + g_shim.hw.totalsize;
  if (inside(ds, de, ws, we) && (de <= is || ds >= ie)) return;
  /* outside the window (it would be handed out as untyped RAM) or overlapping us: copy the used part */
  uint32_t used = dtb_used_bytes((const uint8_t *)ds);
  if (used > (uint64_t)(__dtb_copy_end - __dtb_copy_start) || ds + used > de) {
    kprintf("[shim] refusing to boot: DTB 0x%lx+0x%x is outside the kernel window and too big to copy (%u bytes)\r\n",
            ds, g_shim.hw.totalsize, used);
    halt();
  }
  memcpy(__dtb_copy_start, (const void *)ds, used);
  uint32_t be = __builtin_bswap32(used);
  memcpy(__dtb_copy_start + 4, &be, 4); /* totalsize of the copy: just the used part */
  g_shim.dtb = (uint64_t)__dtb_copy_start;
}

static void build_bootinfo(void) {
  static struct cbi_input in; /* static: keeps ~300 bytes off the boot stack */
  struct cbi_result res;
  const struct fdt_info *hw = &g_shim.hw;
  for (unsigned i = 0; i < hw->n_mem && in.n_ram < CBI_MAX_RAM; i++)
    in.ram[in.n_ram++] = (struct cbi_range){ hw->mem[i].base, hw->mem[i].size };
  for (unsigned i = 0; i < hw->n_gic_regs && in.n_kernel_dev < CBI_MAX_KERNEL_DEV; i++)
    in.kernel_dev[in.n_kernel_dev++] = (struct cbi_range){ hw->gic_regs[i].base, hw->gic_regs[i].size };
  in.uart = (struct cbi_range){ hw->uart_base, hw->uart_size ? hw->uart_size : SHIM_PAGE_SIZE };
  in.gic_version = hw->gic_version;
  in.dtb_paddr = g_shim.dtb;
  int err = cbi_build(&in, g_bootinfo, sizeof(g_bootinfo), &res);
  if (err != CBI_OK) {
    kprintf("[shim] refusing to boot: bootinfo: %s\r\n", cbi_strerror(err));
    halt();
  }
  g_bootinfo_len = res.len;
  kprintf("[shim] ram=0x%lx+0x%lx", hw->mem[0].base, hw->mem[0].size);
  for (unsigned i = 1; i < hw->n_mem; i++) kprintf(",0x%lx+0x%lx", hw->mem[i].base, hw->mem[i].size);
  kprintf(" dtb=0x%lx", g_shim.dtb);
  if (g_shim.dtb != g_shim.dtb_found) kprintf(" (copied from 0x%lx)", g_shim.dtb_found);
  kprintf(" untyped=%u\r\n", res.count);
  if (res.dropped)
    kprintf("[shim] bootinfo: %u untyped (0x%lx bytes) over the %u-descriptor limit not handed out\r\n", res.dropped,
            res.dropped_bytes, CBI_MAX_UNTYPED);
}

#ifdef SHIM_DEBUG_FAULT
/* `make SHIM_DEBUG_FAULT=n`: provoke a fault after the boot lines to check the exception report. */
static unsigned recurse_forever(volatile unsigned n) {
  volatile uint8_t pad[256];
  pad[0] = (uint8_t)n;
  if (n == 0xffffffffu) return 0; /* never true before the guard page is hit */
  return recurse_forever(n + 1) + pad[0]; /* not a tail call: every level keeps its frame */
}
static void debug_fault(int kind) {
  kprintf("[shim] SHIM_DEBUG_FAULT=%d: %s\r\n", kind,
          kind == 1 ? "reading address 0" : kind == 2 ? "overflowing the stack" : "executing UDF");
  if (kind == 1) (void)*(volatile uint32_t *)0;
  if (kind == 2) (void)recurse_forever(0);
  __asm__ volatile("udf #0");
}
#endif

NORETURN void psci_system_off(void) {
  register uint64_t x0 __asm__("x0") = PSCI_SYSTEM_OFF;
  if (g_shim.hw.psci_method == PSCI_HVC) __asm__ volatile("hvc #0" : "+r"(x0)::"x1", "x2", "x3", "memory");
  else if (g_shim.hw.psci_method == PSCI_SMC) __asm__ volatile("smc #0" : "+r"(x0)::"x1", "x2", "x3", "memory");
  kprintf("[shim] power_off: no PSCI in the DTB (or SYSTEM_OFF returned); halting\r\n");
  halt();
}

uint64_t g_entry_count;

NORETURN void shim_main(uint64_t x0, uint64_t entry_el, uint64_t x1) {
  g_entry_count = read_sysreg(cntvct_el0);
  /* entered from our EFI stage (efi.c): x0 is the firmware's DTB or 0 (ACPI only), never a guess */
  bool efi = efi_handoff_take(x1);
  uint64_t dtb = efi ? (x0 != 0 && fdt_total_size((const void *)x0) != 0 ? x0 : 0) : pick_dtb(x0);
  mmu_early(dtb);                /* from here on: caches on, unaligned accesses fine */
  g_shim.entry_el = (unsigned)entry_el;
  g_shim.dtb_entry = x0;
  g_shim.dtb = g_shim.dtb_found = dtb;
  timer_init();                  /* now_ms counts from here */
  int err;
  if (efi && (g_efi.flags & EFI_HO_FROM_ACPI)) {
    g_shim.hw = g_efi.hw; /* from ACPI and the memory map, by the EFI stage */
  } else {
    if (dtb == 0) no_dtb("no device tree (x0 was not an FDT and none at the start of RAM)");
    err = fdt_parse((const void *)dtb, fdt_total_size((const void *)dtb), &g_shim.hw);
    if (err != FDT_OK) no_dtb(fdt_strerror(err));
  }
  struct fdt_info *hw = &g_shim.hw;
  if (efi) efi_adopt(hw);        /* firmware-owned RAM out of the banks, framebuffer mapped */
  if (hw->n_mem == 0) no_dtb("device tree has no /memory");
  if (hw->uart_base == 0) halt(); /* no console to complain on */
  map_hardware(hw);
  uart_init(hw->uart_base);
  kprintf("[shim] cohesix seL4-shim (not seL4) el=%u->1 gic=v%u uart=0x%lx\r\n", g_shim.entry_el, hw->gic_version,
          hw->uart_base);
  if (efi) efi_report();
#ifdef SHIM_BOOT_TIMING
  kprintf("[shim] timing: entry at %lu us, first line at %lu us after reset\r\n", shim_us(g_entry_count),
          shim_us(read_sysreg(cntvct_el0)));
#endif
  check_window();
  err = gic_init(hw);
  if (err != 0) {
    kprintf("[shim] GIC init failed (%d): timer ticks and serial wake-ups need it\r\n", err);
    halt();
  }
  if (hw->uart_intid) gic_enable_irq(hw->uart_intid, true);
  gic_enable_irq(hw->timer_virt_intid ? hw->timer_virt_intid : 27, true);
  entropy_seed(hw);
  wall_clock_init(hw);
  build_bootinfo();
  net_init(hw);                  /* virtio-net (one boot line) + lwIP; no NIC is fine */
#ifdef SHIM_DEBUG_FAULT
  debug_fault(SHIM_DEBUG_FAULT);
#endif
  static struct abi_board board;
  board = (struct abi_board){.hw = hw, .bootinfo = g_bootinfo, .bootinfo_len = g_bootinfo_len, .power_off = psci_system_off};
  abi_run(&board);
}
