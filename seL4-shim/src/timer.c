/*
 * ARM generic timer. The EL1 virtual timer (CNTV_*) is used because EL1 may
 * always program it, whether we dropped from EL2 (CNTVOFF_EL2 = 0 there, so
 * the virtual count equals CNTPCT) or were entered at EL1 under a hypervisor.
 * Milliseconds count from timer_init(), i.e. from when the shim started.
 */
#include "shim.h"

#define CNTV_CTL_ENABLE (1u << 0)
#define CNTV_CTL_IMASK (1u << 1)
#define CNTV_CTL_ISTATUS (1u << 2)

static uint64_t g_freq = 1;  /* CNTFRQ_EL0: counter ticks per second */
static uint64_t g_start;     /* count at timer_init */

uint64_t timer_count(void) {
  isb(); /* keep the read ordered after earlier instructions */
  return read_sysreg(cntvct_el0);
}

uint64_t timer_freq(void) { return g_freq; }

void timer_init(void) {
  g_freq = read_sysreg(cntfrq_el0);
  if (g_freq == 0) g_freq = 62500000; /* firmware forgot CNTFRQ: QEMU's 62.5 MHz */
  g_start = timer_count();
  write_sysreg(cntv_ctl_el0, 0);
}

/* ticks -> ms split as q*1000 + r*1000/f so nothing overflows for any uptime */
uint64_t timer_now_ms(void) {
  uint64_t t = timer_count() - g_start;
  return (t / g_freq) * 1000 + ((t % g_freq) * 1000) / g_freq;
}

void timer_arm_ms(uint64_t deadline_ms) {
  uint64_t ticks = (deadline_ms / 1000) * g_freq + ((deadline_ms % 1000) * g_freq + 999) / 1000;
  write_sysreg(cntv_cval_el0, g_start + ticks);
  write_sysreg(cntv_ctl_el0, CNTV_CTL_ENABLE);
  isb();
}

void timer_disarm(void) {
  write_sysreg(cntv_ctl_el0, 0);
  isb();
}

bool timer_irq_pending(void) {
  uint64_t ctl = read_sysreg(cntv_ctl_el0);
  return (ctl & (CNTV_CTL_ENABLE | CNTV_CTL_ISTATUS)) == (CNTV_CTL_ENABLE | CNTV_CTL_ISTATUS);
}

/* counter ticks (since QEMU's reset) -> microseconds, for SHIM_BOOT_TIMING */
uint64_t shim_us(uint64_t count) { return count * 1000000 / read_sysreg(cntfrq_el0); }
