/*
 * seL4-shim: shared declarations for the bare-metal platform layer.
 *
 * This is Cohesix's own small single-core aarch64 layer, NOT seL4. Everything
 * here runs at EL1 in one identity-mapped address space.
 */
#ifndef SHIM_H
#define SHIM_H

#include <stdint.h>
#include <stddef.h>
#include <stdbool.h>

#include "fdt.h"

#define SHIM_PAGE_SIZE 4096ull
#define SHIM_KERNEL_WINDOW (64ull << 20) /* first 64 MiB of the first RAM bank */

#define NORETURN __attribute__((noreturn))

/* ---- linker-script symbols (see linker.ld) ---- */
extern char __image_start[], __image_load_end[], __kernel_end[];
extern char __stack_bottom[], __stack_top[], __exc_stack_top[];
extern char __pt_start[], __pt_end[];
extern char __arena_start[], __arena_end[];
extern char __dtb_copy_start[], __dtb_copy_end[];

/* ---- boot state, filled by main.c ---- */
struct shim_state {
  unsigned entry_el;        /* exception level we were entered at (1 or 2) */
  uint64_t dtb;             /* address of the DTB we use (maybe our copy) */
  uint64_t dtb_entry;       /* x0 on entry (0 for QEMU's bare-metal ELF boot) */
  uint64_t dtb_found;       /* where the DTB was found (x0 or the start of RAM) */
  struct fdt_info hw;       /* what the DTB told us */
};
extern struct shim_state g_shim;

/* ---- serial (uart_pl011.c) ---- */
void uart_init(uint64_t base);
bool uart_ready(void);
void uart_putc(uint8_t c);
void uart_write(const void *buf, size_t len);
void uart_puts(const char *s);
int uart_getc(void);           /* -1 when the RX FIFO is empty */
void uart_ack_irq(void);       /* clear RX / RX-timeout interrupt status */

/* tiny formatted output for the shim's own lines: %s %c %u %d %x %lx %llx %lu %llu %p %% */
void kprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* ---- MMU (mmu.c) ---- */
#define MMU_NORMAL 0
#define MMU_DEVICE 1
#define MMU_NORMAL_NC 2 /* write-combining-like: the framebuffer */
void mmu_early(uint64_t dtb);
int mmu_map(uint64_t start, uint64_t end, int kind);
void mmu_map_ram(uint64_t start, uint64_t end);
uint64_t mmu_tables_used(void);

/* ---- timer (timer.c): ARM generic timer, EL1 virtual timer ---- */
void timer_init(void);
uint64_t timer_count(void);
uint64_t timer_freq(void);
uint64_t timer_now_ms(void);
void timer_arm_ms(uint64_t deadline_ms);   /* fire when now_ms >= deadline_ms */
void timer_disarm(void);
bool timer_irq_pending(void);              /* ISTATUS of the EL1 virtual timer */

/* ---- GIC (gic.c): v2 or v3, chosen from the DTB ---- */
int gic_init(const struct fdt_info *hw);
void gic_enable_irq(unsigned intid, bool level);
unsigned gic_ack(void);                    /* returns INTID, >= 1020 means none */
void gic_eoi(unsigned intid);
void gic_mask_all(void);                   /* PMR 0: nothing wakes WFI any more */
#define GIC_SPURIOUS 1023u

/* ---- UEFI boot (efi_boot.c; the EFI stage itself is efi.c) ---- */
struct efi_handoff;
extern struct efi_handoff g_efi;
bool efi_handoff_take(uint64_t x1);        /* MMU off: copies our EFI stage's handoff, if x1 is one */
void efi_adopt(struct fdt_info *hw);       /* firmware-owned RAM out of hw->mem */
void efi_report(void);

/* ---- PSCI (main.c) ---- */
NORETURN void psci_system_off(void);

/* ---- exceptions.c / head.S ---- */
NORETURN void halt(void);
NORETURN void panic(const char *why);

/* ---- bootinfo blob built by main.c (src/bootinfo.c), read by abi.c ---- */
extern uint8_t g_bootinfo[];
extern uint32_t g_bootinfo_len;

/* ---- abi.c: the event pump around the wasm core ---- */
/* What main.c hands abi.c (so abi.c needs nothing of main.c): the hardware, the bootinfo blob
 * the core reads through plat.bootinfo_*, and how to power off (PSCI per the DTB). */
struct abi_board {
  const struct fdt_info *hw;
  const uint8_t *bootinfo;
  uint32_t bootinfo_len;
  NORETURN void (*power_off)(void);
};
NORETURN void abi_run(const struct abi_board *board);
uint64_t shim_us(uint64_t count); /* counter ticks -> microseconds (timer.c) */
void entropy_seed(const struct fdt_info *hw);
void wall_clock_init(const struct fdt_info *hw); /* PL031 RTC, for plat.wall_ms */
uint32_t entropy_u32(void);                /* SplitMix64 over DTB seeds + counter (not a CSPRNG) */
void entropy_fill(uint8_t *p, uint32_t len); /* entropy.c; plat.entropy */

/* ---- system register helpers ---- */
#define read_sysreg(r) ({ uint64_t __v; __asm__ volatile("mrs %0, " #r : "=r"(__v)); __v; })
#define write_sysreg(r, v) __asm__ volatile("msr " #r ", %0" ::"r"((uint64_t)(v)))
#define isb() __asm__ volatile("isb" ::: "memory")
#define dsb(o) __asm__ volatile("dsb " #o ::: "memory")
#define wfi() __asm__ volatile("wfi" ::: "memory")

static inline uint32_t mmio_read32(uint64_t a) {
  uint32_t v;
  __asm__ volatile("ldr %w0, [%1]" : "=r"(v) : "r"(a) : "memory");
  return v;
}
static inline void mmio_write32(uint64_t a, uint32_t v) {
  __asm__ volatile("str %w0, [%1]" ::"rZ"(v), "r"(a) : "memory");
}
static inline void mmio_write64(uint64_t a, uint64_t v) {
  __asm__ volatile("str %x0, [%1]" ::"rZ"(v), "r"(a) : "memory");
}
static inline uint64_t mmio_read64(uint64_t a) {
  uint64_t v;
  __asm__ volatile("ldr %x0, [%1]" : "=r"(v) : "r"(a) : "memory");
  return v;
}

#endif
