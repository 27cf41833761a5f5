/*
 * Platform ABI, bare-metal side (docs/PLATFORM_ABI.md): the `plat` and `env`
 * imports of the wasm2c-translated core, and the event pump that calls its
 * `coh_*` exports.
 *
 * Every (ptr, len) from the core is checked against the current size of its
 * linear memory; a bad buffer drops the call and bumps g_abi_dropped. Export
 * calls are wrapped in wasm_rt_impl_try(): a trap prints
 * "[trap] wasm trap=<kind> export=<name>" and halts, so a half-applied
 * operation is never observed. Imports never call exports (no re-entry):
 * networking events that lwIP reports while the core runs wait in net.c
 * until the pump delivers them (net_deliver).
 */
#include <string.h>

#include "cohesix.h"
#include "wasm-rt-impl.h"
#include "net.h"
#include "shim.h"

#include "protocol.h" /* ABI_VERSION and PLAT_*, generated from host/coh-rtc/protocol.ts */
#define SERIAL_RING 4096u      /* serial bytes buffered between FIFO drains and coh_serial_rx */
#define POLL_MS_NO_UART_IRQ 10 /* if the DTB gives the UART no interrupt, poll it this often */

static Z_cohesix_instance_t g_core;
static uint32_t g_rx_buf, g_rx_cap;
uint32_t g_abi_dropped; /* calls dropped for out-of-bounds buffers (visible in gdb) */

/* ---- helpers ---- */

static uint8_t *mem_span(uint32_t ptr, uint32_t len) {
  wasm_rt_memory_t *m = Z_cohesixZ_memory(&g_core);
  if ((uint64_t)ptr + len > m->size) {
    g_abi_dropped++;
    return NULL;
  }
  return m->data + ptr;
}

/* Runs one export; on a trap: report and halt (the core is never resumed). An export
   called while another one runs would break the no-re-entry rule: that is a shim bug. */
static bool g_in_core;
#define CALL_EXPORT(name, call)                                  \
  do {                                                           \
    if (g_in_core) panic("core re-entered from an import: " name); \
    g_in_core = true;                                            \
    wasm_rt_trap_t trap_ = (wasm_rt_trap_t)wasm_rt_impl_try();   \
    if (trap_ != WASM_RT_TRAP_NONE) core_trapped(trap_, name);   \
    call;                                                        \
    wasm_rt_set_unwind_target(NULL);                             \
    g_in_core = false;                                           \
  } while (0)

static NORETURN void core_trapped(wasm_rt_trap_t trap, const char *export_name) {
  kprintf("[trap] wasm trap=%s export=%s\r\n", wasm_rt_strerror(trap), export_name);
  halt();
}

/* What main.c hands over at start: the hardware, the bootinfo blob, how to power off. */
static const struct abi_board *g_board;

/* ---- `plat` imports ---- */

void Z_platZ_serial_write(struct Z_plat_instance_t *inst, u32 ptr, u32 len) {
  (void)inst;
  const uint8_t *p = mem_span(ptr, len);
  if (p) uart_write(p, len);
}

u64 Z_platZ_now_ms(struct Z_plat_instance_t *inst) {
  (void)inst;
  return timer_now_ms();
}

/*
 * Wall clock for ticket expiry: the PL031 RTC counts whole Unix seconds; it is read once and
 * the generic timer supplies the milliseconds since, so time never steps backwards.
 */
static uint64_t g_wall_base_ms; /* Unix ms at timer_now_ms() == g_wall_at_ms; 0 = no RTC */
static uint64_t g_wall_at_ms;

void wall_clock_init(const struct fdt_info *hw) {
  if (hw->rtc_base == 0) return;
  volatile const uint32_t *rtcdr = (volatile const uint32_t *)(uintptr_t)hw->rtc_base; /* RTCDR at +0 */
  g_wall_at_ms = timer_now_ms();
  g_wall_base_ms = (uint64_t)*rtcdr * 1000u;
}

u64 Z_platZ_wall_ms(struct Z_plat_instance_t *inst) {
  (void)inst;
  if (g_wall_base_ms == 0) return 0;
  return g_wall_base_ms + (timer_now_ms() - g_wall_at_ms);
}

static uint32_t g_period_ms;  /* 0: no ticks */
static uint64_t g_next_tick;  /* now_ms of the next coh_tick */

void Z_platZ_timer_period(struct Z_plat_instance_t *inst, u32 ms) {
  (void)inst;
  g_period_ms = ms;
  g_next_tick = timer_now_ms() + ms; /* "every ms milliseconds from now on" */
}

u32 Z_platZ_entropy(struct Z_plat_instance_t *inst, u32 ptr, u32 len) {
  (void)inst;
  uint8_t *p = mem_span(ptr, len);
  if (!p) return 0;
  entropy_fill(p, len);
  return len;
}

u32 Z_platZ_bootinfo_len(struct Z_plat_instance_t *inst) {
  (void)inst;
  return g_board->bootinfo_len;
}

u32 Z_platZ_bootinfo_read(struct Z_plat_instance_t *inst, u32 ptr, u32 len) {
  (void)inst;
  u32 n = len < g_board->bootinfo_len ? len : g_board->bootinfo_len;
  uint8_t *p = mem_span(ptr, n);
  if (!p) return 0;
  memcpy(p, g_board->bootinfo, n);
  return n;
}

/* Networking (net.c): virtio-net + lwIP. wasm i32 results are u32 in C. A buffer outside
   the core's memory drops the call like every other import; a send then reports -1. */
u32 Z_platZ_stream_listen(struct Z_plat_instance_t *inst, u32 port) {
  (void)inst;
  return (u32)net_stream_listen(port);
}
u32 Z_platZ_stream_send(struct Z_plat_instance_t *inst, u32 conn, u32 ptr, u32 len) {
  (void)inst;
  const uint8_t *p = mem_span(ptr, len);
  return p ? (u32)net_stream_send(conn, p, len) : (u32)-1;
}
void Z_platZ_stream_close(struct Z_plat_instance_t *inst, u32 conn) {
  (void)inst;
  net_stream_close(conn);
}
u32 Z_platZ_dgram_bind(struct Z_plat_instance_t *inst, u32 port) {
  (void)inst;
  return (u32)net_dgram_bind(port);
}
u32 Z_platZ_dgram_send(struct Z_plat_instance_t *inst, u32 port, u32 addr, u32 rport, u32 ptr, u32 len) {
  (void)inst;
  const uint8_t *p = mem_span(ptr, len);
  return p ? (u32)net_dgram_send(port, addr, rport, p, len) : (u32)-1;
}

void Z_platZ_power_off(struct Z_plat_instance_t *inst, u32 code) {
  (void)inst, (void)code; /* PSCI SYSTEM_OFF carries no exit status */
  g_board->power_off();
}

/* ---- `env` imports (AssemblyScript runtime) ---- */

static void put_utf8(uint32_t cp) {
  uint8_t b[4];
  size_t n;
  if (cp < 0x80) b[0] = (uint8_t)cp, n = 1;
  else if (cp < 0x800) b[0] = (uint8_t)(0xc0 | cp >> 6), b[1] = (uint8_t)(0x80 | (cp & 0x3f)), n = 2;
  else if (cp < 0x10000)
    b[0] = (uint8_t)(0xe0 | cp >> 12), b[1] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f)), b[2] = (uint8_t)(0x80 | (cp & 0x3f)), n = 3;
  else
    b[0] = (uint8_t)(0xf0 | cp >> 18), b[1] = (uint8_t)(0x80 | ((cp >> 12) & 0x3f)),
    b[2] = (uint8_t)(0x80 | ((cp >> 6) & 0x3f)), b[3] = (uint8_t)(0x80 | (cp & 0x3f)), n = 4;
  uart_write(b, n);
}

/* AS strings are UTF-16LE; their byte length is the u32 just before the pointer.
   Printed as UTF-8 with lone surrogates as U+FFFD, like Node's TextEncoder. */
static void put_as_string(uint32_t ptr) {
  const uint8_t *hdr = ptr >= 4 ? mem_span(ptr - 4, 4) : NULL;
  if (!hdr) return;
  uint32_t bytes;
  memcpy(&bytes, hdr, 4);
  const uint8_t *s = mem_span(ptr, bytes & ~1u);
  if (!s) return;
  for (uint32_t i = 0; i + 1 < bytes; i += 2) {
    uint32_t u = (uint32_t)s[i] | (uint32_t)s[i + 1] << 8;
    if (u >= 0xd800 && u < 0xdc00 && i + 3 < bytes) {
      uint32_t lo = (uint32_t)s[i + 2] | (uint32_t)s[i + 3] << 8;
      if (lo >= 0xdc00 && lo < 0xe000) {
        put_utf8(0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00));
        i += 2;
        continue;
      }
    }
    put_utf8(u >= 0xd800 && u < 0xe000 ? 0xfffd : u);
  }
}

/* AssemblyScript's abort, routed to plat.abort by asconfig.json's `use` */
void Z_platZ_abort(struct Z_plat_instance_t *inst, u32 msg, u32 file, u32 line, u32 col) {
  (void)inst, (void)file;
  kprintf("[trap] abort line=%u col=%u msg=", line, col);
  if (msg != 0) put_as_string(msg);
  kprintf("\r\n");
  halt(); /* an aborted core is never called again */
}

/* ---- the sink net.c delivers to (called from net_deliver, i.e. from the pump only) ---- */

static uint8_t *abi_rx_area(uint32_t *cap) {
  *cap = g_rx_cap;
  return g_rx_cap ? mem_span(g_rx_buf, g_rx_cap) : NULL; /* checked at start; memory only grows */
}
static void abi_stream_accepted(uint32_t conn, uint32_t port, uint32_t addr, uint32_t rport) {
  CALL_EXPORT("coh_stream_accepted", Z_cohesixZ_coh_stream_accepted(&g_core, conn, port, addr, rport));
}
static void abi_stream_rx(uint32_t conn, uint32_t len) {
  CALL_EXPORT("coh_stream_rx", Z_cohesixZ_coh_stream_rx(&g_core, conn, len));
}
static void abi_stream_sent(uint32_t conn, uint32_t bytes) {
  CALL_EXPORT("coh_stream_sent", Z_cohesixZ_coh_stream_sent(&g_core, conn, bytes));
}
static void abi_stream_closed(uint32_t conn) {
  CALL_EXPORT("coh_stream_closed", Z_cohesixZ_coh_stream_closed(&g_core, conn));
}
static void abi_dgram_rx(uint32_t port, uint32_t addr, uint32_t rport, uint32_t len) {
  CALL_EXPORT("coh_dgram_rx", Z_cohesixZ_coh_dgram_rx(&g_core, port, addr, rport, len));
}

static const struct net_sink g_core_sink = {
    .rx_area = abi_rx_area,
    .accepted = abi_stream_accepted,
    .rx = abi_stream_rx,
    .sent = abi_stream_sent,
    .closed = abi_stream_closed,
    .dgram_rx = abi_dgram_rx,
};

/* ---- event sources ---- */

static uint8_t g_ring[SERIAL_RING];
static uint32_t g_ring_head, g_ring_len; /* bytes at [head, head+len) mod SERIAL_RING */
static unsigned g_uart_intid, g_timer_intid;

/* FIFO -> ring; leaves bytes in the FIFO when the ring is full (QEMU then holds back input) */
static void serial_service(void) {
  while (g_ring_len < SERIAL_RING) {
    int c = uart_getc();
    if (c < 0) break;
    g_ring[(g_ring_head + g_ring_len++) % SERIAL_RING] = (uint8_t)c;
  }
  uart_ack_irq();
}

/* ring -> core, at most coh_rx_cap() bytes per call */
static void serial_deliver(void) {
  while (g_ring_len > 0) {
    uint32_t n = g_ring_len < g_rx_cap ? g_ring_len : g_rx_cap;
    uint8_t *dst = mem_span(g_rx_buf, n); /* checked at start; memory only grows */
    if (dst == NULL) { /* cannot happen, but never write outside the core's memory */
      g_ring_len = 0;
      return;
    }
    for (uint32_t i = 0; i < n; i++) dst[i] = g_ring[(g_ring_head + i) % SERIAL_RING];
    g_ring_head = (g_ring_head + n) % SERIAL_RING;
    g_ring_len -= n;
    CALL_EXPORT("coh_serial_rx", Z_cohesixZ_coh_serial_rx(&g_core, n));
    serial_service(); /* more may have arrived while the core ran */
  }
}

static void timer_deliver(void) {
  if (g_period_ms == 0) return;
  uint64_t now = timer_now_ms();
  if (now < g_next_tick) return;
  g_next_tick += g_period_ms;
  if (g_next_tick <= now) g_next_tick = now + g_period_ms; /* fell behind: no burst of ticks */
  CALL_EXPORT("coh_tick", Z_cohesixZ_coh_tick(&g_core, now));
}

/* Ack everything the GIC has pending. Handlers only note the event: the pump
   does the work, so no core code runs in "interrupt context". */
static void irq_dispatch(void) {
  for (;;) {
    unsigned id = gic_ack();
    if (id >= 1020) return; /* 1020..1023: special / spurious, nothing pending */
    if (id == g_uart_intid) serial_service();
    else if (id == g_timer_intid) timer_disarm(); /* level line: drop it; the pump re-arms */
    else if (!net_irq(id)) kprintf("[shim] unexpected interrupt %u\r\n", id);
    gic_eoi(id);
  }
}

static bool work_pending(void) {
  return g_ring_len > 0 || (g_period_ms != 0 && timer_now_ms() >= g_next_tick);
}

NORETURN void abi_run(const struct abi_board *board) {
  const struct fdt_info *hw = board->hw;
  g_board = board;
  static volatile u32 version; /* assigned under setjmp: keep it in memory */
  g_uart_intid = hw->uart_intid;
  g_timer_intid = hw->timer_virt_intid ? hw->timer_virt_intid : 27;

#ifdef SHIM_BOOT_TIMING
  uint64_t t_inst = read_sysreg(cntvct_el0);
#endif
  wasm_rt_init();
  Z_cohesix_init_module();
  CALL_EXPORT("instantiate", Z_cohesix_instantiate(&g_core, NULL)); /* runs the start function */
#ifdef SHIM_BOOT_TIMING
  kprintf("[shim] timing: instantiate from %lu us to %lu us after reset\r\n", shim_us(t_inst),
          shim_us(read_sysreg(cntvct_el0)));
#endif
  CALL_EXPORT("coh_abi_version", version = Z_cohesixZ_coh_abi_version(&g_core));
  if (version != ABI_VERSION) {
    kprintf("[shim] refusing to start core: ABI version %u, shim speaks %u\r\n", version, ABI_VERSION);
    halt();
  }
  CALL_EXPORT("coh_rx_buf", g_rx_buf = Z_cohesixZ_coh_rx_buf(&g_core));
  CALL_EXPORT("coh_rx_cap", g_rx_cap = Z_cohesixZ_coh_rx_cap(&g_core));
  if (g_rx_cap == 0 || (uint64_t)g_rx_buf + g_rx_cap > Z_cohesixZ_memory(&g_core)->size) {
    kprintf("[shim] refusing to start core: rx buffer 0x%x+%u outside its memory\r\n", g_rx_buf, g_rx_cap);
    halt();
  }
  net_set_sink(&g_core_sink); /* from here on net_deliver() calls the core */
#ifdef SHIM_BOOT_TIMING
  uint64_t t_init = read_sysreg(cntvct_el0);
#endif
  CALL_EXPORT("coh_init", Z_cohesixZ_coh_init(&g_core));
#ifdef SHIM_BOOT_TIMING
  kprintf("[shim] timing: coh_init from %lu us to %lu us after reset\r\n", shim_us(t_init),
          shim_us(read_sysreg(cntvct_el0)));
#endif

  uint32_t poll_ms = g_uart_intid ? 0 : POLL_MS_NO_UART_IRQ;
  for (;;) {
    irq_dispatch();
    net_poll();        /* NIC rx -> lwIP (callbacks only record events), lwIP timers */
    net_deliver();     /* recorded events -> coh_stream_* / coh_dgram_rx, then tcp_output */
    serial_service();  /* also catches bytes whose interrupt we have not seen yet */
    serial_deliver();
    timer_deliver();
    net_flush();       /* what the core sent from coh_serial_rx / coh_tick */

    uint64_t now = timer_now_ms(), wake = net_next_deadline();
    if (g_period_ms && g_next_tick < wake) wake = g_next_tick;
    if (poll_ms && now + poll_ms < wake) wake = now + poll_ms;
    if (wake != UINT64_MAX) timer_arm_ms(wake);
    else timer_disarm();
    /* PSTATE.I is masked, but a pending interrupt (UART, timer, NIC) still ends WFI */
    if (!work_pending() && !net_work_pending()) wfi();
  }
}
