/*
 * Exception reports, halt/panic, and the few libc hooks picolibc would
 * otherwise route to an OS (abort needs kill/getpid there).
 *
 * The shim takes no exceptions by design (IRQs are masked and polled), so any
 * exception is a bug: print what the CPU recorded and stop.
 */
#include "shim.h"

struct exc_frame {
  uint64_t x[31]; /* x0..x30 as saved by head.S */
  uint64_t pad;
};

static const char *const kind_names[16] = {
  "Sync, current EL with SP_EL0", "IRQ, current EL with SP_EL0", "FIQ, current EL with SP_EL0",
  "SError, current EL with SP_EL0", "Sync, current EL with SP_EL1 (exception while reporting?)",
  "IRQ, current EL with SP_EL1", "FIQ, current EL with SP_EL1", "SError, current EL with SP_EL1",
  "Sync, lower EL (AArch64)", "IRQ, lower EL (AArch64)", "FIQ, lower EL (AArch64)",
  "SError, lower EL (AArch64)", "Sync, lower EL (AArch32)", "IRQ, lower EL (AArch32)",
  "FIQ, lower EL (AArch32)", "SError, lower EL (AArch32)",
};

static const char *ec_name(unsigned ec) {
  switch (ec) {
  case 0x00: return "unknown reason (undefined instruction?)";
  case 0x01: return "trapped WFI/WFE";
  case 0x07: return "SVE/SIMD/FP access trapped";
  case 0x0e: return "illegal execution state";
  case 0x15: return "SVC";
  case 0x16: return "HVC";
  case 0x17: return "SMC";
  case 0x18: return "trapped MSR/MRS/system instruction";
  case 0x19: return "SVE access trapped";
  case 0x20: return "instruction abort from a lower EL";
  case 0x21: return "instruction abort, same EL";
  case 0x22: return "PC alignment fault";
  case 0x24: return "data abort from a lower EL";
  case 0x25: return "data abort, same EL";
  case 0x26: return "SP alignment fault";
  case 0x2c: return "floating-point exception";
  case 0x2f: return "SError interrupt";
  case 0x30: case 0x31: return "breakpoint";
  case 0x32: case 0x33: return "software step";
  case 0x34: case 0x35: return "watchpoint";
  case 0x3c: return "BRK instruction";
  }
  return "unrecognised exception class";
}

/* Fault status code of instruction/data aborts (ISS[5:0]) */
static const char *fsc_name(unsigned fsc) {
  switch (fsc & 0x3c) {
  case 0x04: return "translation fault (unmapped)";
  case 0x08: return "access flag fault";
  case 0x0c: return "permission fault";
  }
  if (fsc == 0x21) return "alignment fault";
  if (fsc == 0x10) return "synchronous external abort";
  if ((fsc & 0x3c) == 0x00) return "address size fault";
  return "other fault";
}

static volatile unsigned g_in_exception;

NORETURN void halt(void) {
  gic_mask_all();
  write_sysreg(cntv_ctl_el0, 0);
  for (;;) wfi();
}

NORETURN void exc_report(unsigned kind, struct exc_frame *f) {
  if (g_in_exception++) halt(); /* fault while reporting: stay quiet */
  uint64_t esr = read_sysreg(esr_el1), elr = read_sysreg(elr_el1);
  uint64_t far = read_sysreg(far_el1), spsr = read_sysreg(spsr_el1);
  unsigned ec = (unsigned)(esr >> 26) & 0x3f;
  kprintf("\r\n[shim] exception: %s\r\n", kind < 16 ? kind_names[kind] : "?");
  kprintf("[shim]   EC=0x%x %s", ec, ec_name(ec));
  if (ec == 0x20 || ec == 0x21 || ec == 0x24 || ec == 0x25) {
    unsigned fsc = (unsigned)esr & 0x3f;
    kprintf(": %s", fsc_name(fsc));
    if ((fsc & 0x30) == 0) kprintf(", level %u", fsc & 3);
    if (ec >= 0x24) kprintf(esr & (1u << 6) ? " on write" : " on read");
  }
  kprintf("\r\n[shim]   ESR=0x%lx ELR=0x%lx FAR=0x%lx SPSR=0x%lx\r\n", esr, elr, far, spsr);
  kprintf("[shim]   LR=0x%lx FP=0x%lx SP_EL0=0x%lx image=0x%lx link=0x%lx\r\n", f->x[30], f->x[29],
          read_sysreg(sp_el0), (uint64_t)__image_start, (uint64_t)KERNEL_LINK_BASE);
  if (far < SHIM_PAGE_SIZE && ec >= 0x24 && ec <= 0x25) kprintf("[shim]   (NULL pointer dereference)\r\n");
  if (far >= (uint64_t)__stack_bottom - SHIM_PAGE_SIZE && far < (uint64_t)__stack_bottom)
    kprintf("[shim]   (stack overflow: hit the guard page)\r\n");
  kprintf("[shim] halted\r\n");
  halt();
}

NORETURN void panic(const char *why) {
  kprintf("[shim] panic: %s\r\n[shim] halted\r\n", why);
  halt();
}

/* ---- libc hooks ---- */

NORETURN void abort(void) { panic("abort() called"); }

NORETURN void _exit(int code) {
  (void)code;
  panic("_exit() called");
}

NORETURN void __assert_func(const char *file, int line, const char *func, const char *expr) {
  kprintf("[shim] assertion failed: %s (%s:%d %s)\r\n", expr, file, line, func ? func : "");
  panic("assert");
}
