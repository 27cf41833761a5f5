/*
 * lwIP glue: the netif over virtio-net, TCP listeners and connections, UDP
 * binds, and the event records that let the pump call the core only when it
 * is idle (see net.h for the no-re-entry rule).
 *
 * A connection lives in one slot of g_conns from accept until the pump has
 * delivered coh_stream_closed. Its id is never reused before that (ids count
 * up and skip ids still in use). lwIP callbacks fill the slot:
 *   accept -> queued, recv -> pbuf chain `rx`, sent -> `acked`, peer FIN ->
 *   `peer_fin`, error/reset (pcb already freed by lwIP) -> `gone`;
 * net_deliver() then calls, per slot in arrival order: coh_stream_accepted,
 * coh_stream_rx (in coh_rx_cap() pieces; tcp_recved only after the core has
 * the bytes, so the TCP window is the flow control), coh_stream_sent, and
 * finally coh_stream_closed exactly once.
 *
 * Closing (stream_close, or the peer's FIN as Node's sockets do): undelivered
 * input is acknowledged and dropped (so lwIP does not answer with RST), the
 * callbacks are detached and tcp_close() hands the pcb to lwIP, which sends
 * what is still queued and then FIN. The pcb is demoted to the lowest priority
 * (lwIP may reclaim it for a new connection) and watched: if our data/FIN is
 * still unacknowledged after NET_CLOSE_GRACE_MS, it is aborted (RST).
 */
#include <string.h>

#include "lwip/init.h"
#include "lwip/ip_addr.h"
#include "lwip/netif.h"
#include "lwip/pbuf.h"
#include "lwip/priv/tcp_priv.h" /* tcp_active_pcbs: to find pcbs we closed */
#include "lwip/tcp.h"
#include "lwip/timeouts.h"
#include "lwip/udp.h"
#include "netif/etharp.h"
#include "netif/ethernet.h"

#include "manifest.h"
#include "protocol.h" /* PLAT_* result codes, generated from host/coh-rtc/protocol.ts */
#include "net.h"
#include "shim.h"
#include "virtio_net.h"

#define NET_CLOSE_GRACE_MS 10000u /* after stream_close: flush + FIN acknowledged by then, or RST */
#define DGRAM_QUEUE VNET_QUEUE_SIZE /* datagrams waiting for the pump: one rx batch never overflows it */
#define TX_BACKLOG 32u            /* frames waiting for a free virtio tx buffer (pbuf references) */
#define TX_WAIT_US 2000u          /* a full tx ring is waited for this long before frames are backlogged */
#define DROP_REPORT_MS 1000u      /* at most one "dropped" line per second */
#define N_LISTEN MEMP_NUM_TCP_PCB_LISTEN
#define N_UDP MEMP_NUM_UDP_PCB
#define N_CONN COH_NET_MAX_CONNS
#define N_LINGER MEMP_NUM_TCP_PCB

struct conn {
  struct tcp_pcb *pcb; /* NULL once handed back to lwIP (closed) or freed by it (error) */
  struct pbuf *rx;     /* received, not yet given to the core (at most TCP_WND bytes) */
  uint32_t id;         /* 0: slot free */
  uint32_t peer;       /* IPv4, host order (10.0.2.2 = 0x0a000202) */
  uint16_t lport, rport;
  uint32_t acked;      /* bytes acknowledged by the peer, not yet reported */
  bool announced;      /* coh_stream_accepted delivered */
  bool peer_fin;       /* the peer closed its side */
  bool core_closed;    /* the core called stream_close: nothing more is delivered but `closed` */
  bool gone;           /* coh_stream_closed is due */
  bool queued;         /* in g_ready */
  bool wrote;          /* tcp_write since the last tcp_output */
};

struct listener {
  struct tcp_pcb *pcb;
  uint16_t port;
};

struct ubind {
  struct udp_pcb *pcb;
  uint16_t port;
};

struct dgram {
  struct pbuf *p;
  uint32_t addr;
  uint16_t lport, rport;
};

/* A pcb we closed; tcp_arg() of that pcb points at its entry, which is how it is recognised. */
struct linger {
  struct tcp_pcb *pcb;
  uint64_t deadline;
};

struct net_stats g_net_stats;
static struct netif g_netif;
static bool g_have_nic;
static struct conn g_conns[N_CONN];
static uint8_t g_ready[N_CONN]; /* FIFO of slots with something to deliver; each slot at most once */
static unsigned g_ready_head, g_ready_len;
static struct listener g_listen[N_LISTEN];
static struct ubind g_udp[N_UDP];
static struct dgram g_dq[DGRAM_QUEUE];
static unsigned g_dq_head, g_dq_len;
static struct pbuf *g_txq[TX_BACKLOG];
static unsigned g_txq_head, g_txq_len;
static bool g_tx_retry; /* a TCP segment was refused: tcp_txnow() once there is room */
static struct linger g_linger[N_LINGER];
static unsigned g_lingering;
static uint32_t g_next_id = 1;
static bool g_wrote; /* some conn has `wrote` set */
static uint32_t g_drops_reported;
static uint64_t g_next_drop_report;

/* ---- lwIP port hooks (lwip/arch/cc.h) ---- */

u32_t sys_now(void) { return (u32_t)timer_now_ms(); }
uint32_t coh_lwip_rand(void) { return entropy_u32(); }

void coh_lwip_assert(const char *msg, const char *file, int line) {
  kprintf("[shim] lwip assertion failed: %s (%s:%d)\r\n", msg, file, line);
  halt();
}

/* ---- slots ---- */

static struct conn *conn_find(uint32_t id) {
  if (id == 0) return NULL;
  for (unsigned i = 0; i < N_CONN; i++)
    if (g_conns[i].id == id) return &g_conns[i];
  return NULL;
}

static uint32_t conn_new_id(void) {
  for (;;) {
    uint32_t id = g_next_id++;
    if (g_next_id == 0) g_next_id = 1;
    if (conn_find(id) == NULL) return id; /* only after a 2^32 wrap can an id still be in use */
  }
}

static void ready_push(struct conn *c) {
  if (c->queued) return;
  c->queued = true;
  g_ready[(g_ready_head + g_ready_len++) % N_CONN] = (uint8_t)(c - g_conns); /* cannot overflow: one entry per slot */
}

/* ---- closing ---- */

static void linger_watch(struct tcp_pcb *pcb) {
  for (unsigned i = 0; i < N_LINGER; i++) {
    if (g_linger[i].pcb != NULL) continue;
    g_linger[i] = (struct linger){ pcb, timer_now_ms() + NET_CLOSE_GRACE_MS };
    tcp_arg(pcb, &g_linger[i]);
    g_lingering++;
    return;
  }
  /* table full: lwIP's own retransmission limits still end the pcb */
}

/* Aborts closed pcbs whose data or FIN is still unacknowledged after the grace period.
   A watched pcb is only touched if it is still in lwIP's active list *and* still carries
   its entry as its arg: a pcb lwIP freed and reused for another connection has another arg. */
static void linger_check(void) {
  if (g_lingering == 0) return;
  uint64_t now = timer_now_ms();
  for (unsigned i = 0; i < N_LINGER; i++) {
    struct linger *l = &g_linger[i];
    if (l->pcb == NULL || now < l->deadline) continue;
    for (struct tcp_pcb *p = tcp_active_pcbs; p != NULL; p = p->next) {
      if (p != l->pcb || p->callback_arg != l) continue;
      if (p->state == FIN_WAIT_1 || p->state == CLOSING || p->state == LAST_ACK) {
        g_net_stats.closes_aborted++;
        tcp_abort(p); /* callbacks are detached: nothing is reported */
      } else {
        tcp_arg(p, NULL); /* FIN_WAIT_2 / TIME_WAIT: lwIP's own timers end it */
      }
      break;
    }
    l->pcb = NULL;
    g_lingering--;
  }
}

/* Hands the connection back to lwIP (flush, then FIN) and makes coh_stream_closed due. */
static void conn_close(struct conn *c) {
  struct tcp_pcb *pcb = c->pcb;
  if (c->rx != NULL) { /* acknowledge what the core will never see, or tcp_close sends RST */
    if (pcb != NULL) tcp_recved(pcb, c->rx->tot_len);
    pbuf_free(c->rx);
    c->rx = NULL;
  }
  if (pcb != NULL) {
    c->pcb = NULL;
    tcp_arg(pcb, NULL);
    tcp_recv(pcb, NULL); /* later data and the peer's FIN are handled by lwIP's tcp_recv_null */
    tcp_sent(pcb, NULL);
    tcp_err(pcb, NULL);
    tcp_setprio(pcb, TCP_PRIO_MIN);
    if (tcp_close(pcb) != ERR_OK) tcp_abort(pcb); /* 2.1.3 retries a FIN it could not queue itself */
    else linger_watch(pcb);
  }
  c->gone = true;
  ready_push(c);
}

/* ---- TCP callbacks: record only, never call the core ---- */

static err_t on_recv(void *arg, struct tcp_pcb *pcb, struct pbuf *p, err_t err) {
  struct conn *c = arg;
  if (p == NULL) {
    c->peer_fin = true;
  } else if (err != ERR_OK) {
    pbuf_free(p);
    return ERR_OK;
  } else if (c->rx == NULL) {
    c->rx = p;
  } else {
    pbuf_cat(c->rx, p); /* total stays <= TCP_WND: nothing is tcp_recved before delivery */
  }
  ready_push(c);
  return ERR_OK;
}

static err_t on_sent(void *arg, struct tcp_pcb *pcb, u16_t len) {
  struct conn *c = arg;
  c->acked += len;
  ready_push(c);
  return ERR_OK;
}

static void on_err(void *arg, err_t err) { /* reset or abort: lwIP has already freed the pcb */
  struct conn *c = arg;
  c->pcb = NULL;
  c->gone = true;
  ready_push(c);
}

static err_t on_accept(void *arg, struct tcp_pcb *pcb, err_t err) {
  const struct listener *l = arg;
  if (err != ERR_OK || pcb == NULL || l == NULL) return ERR_VAL;
  struct conn *c = NULL;
  for (unsigned i = 0; i < N_CONN && c == NULL; i++)
    if (g_conns[i].id == 0 && !g_conns[i].queued) c = &g_conns[i]; /* queued: a stale FIFO entry */
  if (c == NULL) {
    g_net_stats.accept_refused++;
    return ERR_MEM; /* lwIP aborts the new pcb (RST) */
  }
  g_net_stats.accepts++;
  *c = (struct conn){ .pcb = pcb, .id = conn_new_id(), .lport = l->port, .rport = pcb->remote_port,
                      .peer = lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(&pcb->remote_ip))) };
  tcp_arg(pcb, c);
  tcp_recv(pcb, on_recv);
  tcp_sent(pcb, on_sent);
  tcp_err(pcb, on_err);
  tcp_nagle_disable(pcb); /* console replies are small and latency-bound */
  ready_push(c);
  return ERR_OK;
}

static const struct net_sink *g_sink; /* NULL until abi.c has started the core */

/* ---- UDP ---- */

static void on_udp(void *arg, struct udp_pcb *pcb, struct pbuf *p, const ip_addr_t *addr, u16_t port) {
  const struct ubind *b = arg;
  uint32_t cap = 0;
  if (g_sink != NULL) (void)g_sink->rx_area(&cap);
  if (p->tot_len > cap) { /* the core sees whole datagrams only */
    g_net_stats.dgram_too_big++;
    pbuf_free(p);
    return;
  }
  if (g_dq_len == DGRAM_QUEUE) {
    g_net_stats.dgram_queue_full++;
    pbuf_free(p);
    return;
  }
  g_dq[(g_dq_head + g_dq_len++) % DGRAM_QUEUE] =
      (struct dgram){ p, lwip_ntohl(ip4_addr_get_u32(ip_2_ip4(addr))), b->port, port };
}

/* ---- netif over virtio-net ---- */

static bool tx_copy(struct pbuf *p, uint32_t wait_us) {
  uint8_t *buf = vnet_tx_begin(wait_us);
  if (buf == NULL) return false;
  pbuf_copy_partial(p, buf, p->tot_len, 0);
  vnet_tx_commit(p->tot_len);
  return true;
}

/* Frames that found every tx buffer busy wait here until net_poll reclaims buffers: a
   reference (lwIP does not retransmit a segment whose pbuf is still referenced), or a copy
   when the pbuf points at memory its owner may reuse (PBUF_REF/ROM). */
static void tx_drain(void) {
  while (g_txq_len > 0 && tx_copy(g_txq[g_txq_head], 0)) {
    pbuf_free(g_txq[g_txq_head]);
    g_txq_head = (g_txq_head + 1) % TX_BACKLOG;
    g_txq_len--;
  }
  vnet_tx_irq(g_txq_len > 0); /* wake the pump when the device frees a buffer */
}

static err_t link_output(struct netif *n, struct pbuf *p) {
  if (p->tot_len > VNET_FRAME_MAX) {
    g_net_stats.tx_dropped++;
    return ERR_BUF;
  }
  if (g_txq_len > 0) tx_drain(); /* keep the order: older frames first */
  if (g_txq_len == 0 && tx_copy(p, TX_WAIT_US)) return ERR_OK;
  if (g_txq_len == TX_BACKLOG) { /* wait a little for the device once more, then give up */
    uint64_t until = timer_now_ms() + TX_WAIT_US / 1000;
    while (g_txq_len == TX_BACKLOG && timer_now_ms() <= until) tx_drain();
  }
  if (g_txq_len == TX_BACKLOG) {
    g_net_stats.tx_dropped++;
    g_tx_retry = true;
    return ERR_MEM; /* TCP keeps the segment (TF_NAGLEMEMERR); a UDP datagram is lost */
  }
  bool volatile_data = false;
  for (struct pbuf *q = p; q != NULL; q = q->next) volatile_data |= PBUF_NEEDS_COPY(q) != 0;
  if (volatile_data) {
    p = pbuf_clone(PBUF_RAW, PBUF_RAM, p);
    if (p == NULL) {
      g_net_stats.tx_dropped++;
      return ERR_MEM;
    }
  } else {
    pbuf_ref(p);
  }
  g_txq[(g_txq_head + g_txq_len++) % TX_BACKLOG] = p;
  g_net_stats.tx_backlogged++;
  vnet_tx_irq(true);
  return ERR_OK;
}

static err_t netif_setup(struct netif *n) {
  n->name[0] = 'e', n->name[1] = 'n';
  n->mtu = 1500;
  n->hwaddr_len = ETH_HWADDR_LEN;
  memcpy(n->hwaddr, vnet_mac(), ETH_HWADDR_LEN);
  n->flags = NETIF_FLAG_BROADCAST | NETIF_FLAG_ETHARP | NETIF_FLAG_ETHERNET;
  n->output = etharp_output;
  n->linkoutput = link_output;
  return ERR_OK;
}

static bool frame_in(const uint8_t *frame, uint32_t len, void *ctx) {
  if (len < SIZEOF_ETH_HDR || len > 0xffff) return false;
  struct pbuf *p = pbuf_alloc(PBUF_RAW, (u16_t)len, PBUF_POOL);
  if (p == NULL) {
    g_net_stats.rx_no_pbuf++;
    return false;
  }
  pbuf_take(p, frame, (u16_t)len);
  if (g_netif.input(p, &g_netif) != ERR_OK) pbuf_free(p);
  return true;
}

void net_init(const struct fdt_info *hw) {
  static const uint8_t manifest_mac[6] = { COH_NET_MAC_BYTES };
  static const uint8_t ip[4] = { COH_NET_IP_BYTES }, mask[4] = { COH_NET_NETMASK_BYTES },
                       gw[4] = { COH_NET_GATEWAY_BYTES };
  lwip_init();
  g_have_nic = vnet_probe(hw, manifest_mac);
  if (!g_have_nic) return; /* listeners still work (lwIP listens without a link) */
  if (memcmp(vnet_mac(), manifest_mac, 6) != 0)
    kprintf("[shim] virtio-net: device MAC differs from the manifest's; using the device's\r\n");
  ip4_addr_t a, m, g;
  IP4_ADDR(&a, ip[0], ip[1], ip[2], ip[3]);
  IP4_ADDR(&m, mask[0], mask[1], mask[2], mask[3]);
  IP4_ADDR(&g, gw[0], gw[1], gw[2], gw[3]);
  netif_add(&g_netif, &a, &m, &g, NULL, netif_setup, ethernet_input);
  netif_set_default(&g_netif);
  netif_set_link_up(&g_netif);
  netif_set_up(&g_netif);    /* sends a gratuitous ARP */
  etharp_request(&g_netif, &g); /* learn the gateway's MAC now, not on the first connection */
  if (vnet_intid() != 0) gic_enable_irq(vnet_intid(), true); /* level: net_irq clears the source before EOI */
}

/* ---- pump ---- */

bool net_irq(unsigned intid) {
  if (!g_have_nic || intid != vnet_intid()) return false;
  vnet_irq();
  return true;
}

void net_poll(void) {
  if (g_have_nic) vnet_rx_poll(frame_in, NULL, VNET_QUEUE_SIZE); /* bounded: the rest next turn */
  if (g_txq_len > 0) tx_drain();
  if (g_tx_retry && g_txq_len < TX_BACKLOG) {
    g_tx_retry = false;
    tcp_txnow(); /* tcp_output for every pcb that had a segment refused */
  }
  sys_check_timeouts();
  linger_check();
}

bool net_work_pending(void) {
  return g_ready_len > 0 || g_dq_len > 0 || vnet_rx_pending() || (g_txq_len > 0 && vnet_tx_done_pending());
}

uint64_t net_next_deadline(void) {
  u32_t sleep = sys_timeouts_sleeptime();
  uint64_t now = timer_now_ms(), t = sleep == SYS_TIMEOUTS_SLEEPTIME_INFINITE ? UINT64_MAX : now + sleep;
  for (unsigned i = 0; g_lingering && i < N_LINGER; i++)
    if (g_linger[i].pcb != NULL && g_linger[i].deadline < t) t = g_linger[i].deadline;
  return t;
}

void net_flush(void) {
  if (!g_wrote) return;
  g_wrote = false;
  for (unsigned i = 0; i < N_CONN; i++) {
    struct conn *c = &g_conns[i];
    if (c->wrote && c->pcb != NULL) {
      /* stream_send wrote with FLAG_MORE (so small frames share segments); mark the end */
      struct tcp_seg *last = c->pcb->unsent;
      while (last != NULL && last->next != NULL) last = last->next;
      if (last != NULL) TCPH_SET_FLAG(last->tcphdr, TCP_PSH);
      tcp_output(c->pcb); /* PONG and OK PING leave in one segment */
    }
    c->wrote = false;
  }
}

static void deliver_conn(struct conn *c) {
  uint32_t id = c->id, cap;
  if (id == 0) return;
  if (!c->announced) {
    c->announced = true;
    g_sink->accepted(id, c->lport, c->peer, c->rport);
  }
  uint8_t *dst;
  while (c->rx != NULL && !c->core_closed && (dst = g_sink->rx_area(&cap)) != NULL) {
    u16_t n = c->rx->tot_len < cap ? c->rx->tot_len : (u16_t)cap;
    pbuf_copy_partial(c->rx, dst, n, 0);
    c->rx = pbuf_free_header(c->rx, n); /* consumed before the call: stream_close drops only the rest */
    if (c->pcb != NULL) tcp_recved(c->pcb, n);
    g_sink->rx(id, n);
  }
  if (c->acked != 0 && !c->core_closed && !c->gone) {
    uint32_t n = c->acked;
    c->acked = 0;
    g_sink->sent(id, n);
  }
  if (c->peer_fin && !c->gone) conn_close(c); /* like Node: the peer's FIN ends the connection */
  if (c->gone) {
    if (c->rx != NULL) pbuf_free(c->rx);
    bool queued = c->queued; /* re-queued during this call: the entry stays and is skipped (id 0) */
    *c = (struct conn){ .queued = queued }; /* the id may be reused only after this */
    g_sink->closed(id);
  }
}

void net_set_sink(const struct net_sink *sink) { g_sink = sink; }

void net_deliver(void) {
  if (g_sink == NULL) return; /* events wait in their slots */
  for (unsigned budget = 2 * N_CONN; g_ready_len > 0 && budget > 0; budget--) {
    struct conn *c = &g_conns[g_ready[g_ready_head]];
    g_ready_head = (g_ready_head + 1) % N_CONN;
    g_ready_len--;
    c->queued = false;
    deliver_conn(c);
  }
  uint32_t cap;
  uint8_t *dst;
  while (g_dq_len > 0 && (dst = g_sink->rx_area(&cap)) != NULL) {
    struct dgram d = g_dq[g_dq_head];
    g_dq_head = (g_dq_head + 1) % DGRAM_QUEUE;
    g_dq_len--;
    u16_t n = pbuf_copy_partial(d.p, dst, d.p->tot_len, 0); /* fits: checked on arrival */
    pbuf_free(d.p);
    g_sink->dgram_rx(d.lport, d.addr, d.rport, n);
  }
  if (g_net_stats.dgram_queue_full != g_drops_reported && timer_now_ms() >= g_next_drop_report) {
    g_drops_reported = g_net_stats.dgram_queue_full;
    g_next_drop_report = timer_now_ms() + DROP_REPORT_MS;
    kprintf("[shim] net: datagram queue full, dropped=%u\r\n", g_drops_reported);
  }
  net_flush();
}

/* ---- imports ---- */

int32_t net_stream_listen(uint32_t port) {
  if (port == 0 || port > 0xffff) return PLAT_UNSUPPORTED;
  struct listener *free_slot = NULL;
  for (unsigned i = 0; i < N_LISTEN; i++) {
    if (g_listen[i].pcb != NULL && g_listen[i].port == port) return PLAT_IN_USE;
    if (g_listen[i].pcb == NULL && free_slot == NULL) free_slot = &g_listen[i];
  }
  if (free_slot == NULL) return PLAT_NO_RESOURCES;
  struct tcp_pcb *pcb = tcp_new_ip_type(IPADDR_TYPE_V4);
  if (pcb == NULL) return PLAT_NO_RESOURCES;
  err_t e = tcp_bind(pcb, IP4_ADDR_ANY, (u16_t)port);
  struct tcp_pcb *lp = e == ERR_OK ? tcp_listen(pcb) : NULL; /* frees `pcb` on success */
  if (lp == NULL) {
    tcp_close(pcb);
    return e == ERR_USE ? PLAT_IN_USE : PLAT_NO_RESOURCES;
  }
  *free_slot = (struct listener){ lp, (uint16_t)port };
  tcp_arg(lp, free_slot);
  tcp_accept(lp, on_accept);
  return 0;
}

int32_t net_stream_send(uint32_t id, const uint8_t *data, uint32_t len) {
  struct conn *c = conn_find(id);
  if (c == NULL || c->pcb == NULL || c->core_closed || c->gone) return -1;
  struct tcp_pcb *pcb = c->pcb;
  if (pcb->state != ESTABLISHED && pcb->state != CLOSE_WAIT) return -1;
  uint32_t n = tcp_sndbuf(pcb);
  if (n > len) n = len;
  if (n > 0xffff) n = 0xffff;
  if (n == 0) return 0;
  /* FLAG_MORE: lwIP then allocates segments with room to spare and appends later frames to
     them; without it (and with Nagle off) every small write would take a pbuf of its own and
     TCP_SND_QUEUELEN, not TCP_SND_BUF, would bound a burst to ~90 frames. */
  err_t e = tcp_write(pcb, data, (u16_t)n, TCP_WRITE_FLAG_COPY | TCP_WRITE_FLAG_MORE);
  if (e == ERR_MEM) return 0; /* queue or heap full: back-pressure; coh_stream_sent or the core's tick retries */
  if (e != ERR_OK) return -1;
  c->wrote = g_wrote = true; /* tcp_output runs when the current export has returned */
  return (int32_t)n;
}

void net_stream_close(uint32_t id) {
  struct conn *c = conn_find(id);
  if (c == NULL || c->core_closed) return;
  c->core_closed = true;
  if (!c->gone) conn_close(c);
}

int32_t net_dgram_bind(uint32_t port) {
  if (port == 0 || port > 0xffff) return PLAT_UNSUPPORTED;
  struct ubind *free_slot = NULL;
  for (unsigned i = 0; i < N_UDP; i++) {
    if (g_udp[i].pcb != NULL && g_udp[i].port == port) return PLAT_IN_USE;
    if (g_udp[i].pcb == NULL && free_slot == NULL) free_slot = &g_udp[i];
  }
  if (free_slot == NULL) return PLAT_NO_RESOURCES;
  struct udp_pcb *pcb = udp_new_ip_type(IPADDR_TYPE_V4);
  if (pcb == NULL) return PLAT_NO_RESOURCES;
  err_t e = udp_bind(pcb, IP4_ADDR_ANY, (u16_t)port);
  if (e != ERR_OK) {
    udp_remove(pcb);
    return e == ERR_USE ? PLAT_IN_USE : PLAT_NO_RESOURCES;
  }
  *free_slot = (struct ubind){ pcb, (uint16_t)port };
  udp_recv(pcb, on_udp, free_slot);
  return 0;
}

int32_t net_dgram_send(uint32_t port, uint32_t addr, uint32_t rport, const uint8_t *data, uint32_t len) {
  struct ubind *b = NULL;
  for (unsigned i = 0; i < N_UDP && b == NULL; i++)
    if (g_udp[i].pcb != NULL && g_udp[i].port == port) b = &g_udp[i];
  if (b == NULL || rport == 0 || rport > 0xffff) return PLAT_UNSUPPORTED;
  if (len > 0xffff - 28) return PLAT_NO_RESOURCES; /* larger than any IPv4 datagram */
  struct pbuf *p = pbuf_alloc(PBUF_TRANSPORT, (u16_t)len, PBUF_RAM);
  if (p == NULL) return PLAT_NO_RESOURCES;
  pbuf_take(p, data, (u16_t)len);
  ip_addr_t to;
  ip_addr_set_ip4_u32(&to, lwip_htonl(addr));
  err_t e = udp_sendto(b->pcb, p, &to, (u16_t)rport);
  pbuf_free(p);
  if (e == ERR_OK) return (int32_t)len;
  return e == ERR_MEM || e == ERR_BUF ? PLAT_NO_RESOURCES : PLAT_UNSUPPORTED;
}
