/*
 * Networking for the platform ABI: virtio-net + lwIP (raw API, NO_SYS) behind
 * the `stream_*` / `dgram_*` imports and the `coh_stream_*` / `coh_dgram_rx`
 * exports (docs/PLATFORM_ABI.md).
 *
 * No re-entry: lwIP callbacks never call the core. They only record the event
 * in the connection's slot (or the datagram queue); net_deliver(), called by
 * the pump while the core is idle, turns the records into export calls. So an
 * import the core calls (stream_send, stream_close, ...) can drive lwIP freely:
 * whatever lwIP reports from inside it waits for the pump.
 */
#ifndef SHIM_NET_H
#define SHIM_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "fdt.h"

/* ---- boot ---- */
void net_init(const struct fdt_info *hw); /* probe the NIC (prints one line), lwIP, netif */

/* ---- event pump (abi.c) ---- */
bool net_irq(unsigned intid);     /* true when `intid` was the NIC's (its status is acked) */
void net_poll(void);              /* NIC rx -> lwIP, lwIP timers, overdue closes */
void net_deliver(void);           /* recorded events -> core exports; only while the core is idle */
void net_flush(void);             /* tcp_output for connections the core wrote to */
bool net_work_pending(void);      /* something for net_poll/net_deliver right now */
uint64_t net_next_deadline(void); /* now_ms of the next lwIP timeout, UINT64_MAX if none */

/* ---- the `plat` imports (abi.c has already bounds-checked the buffers) ---- */
int32_t net_stream_listen(uint32_t port);
int32_t net_stream_send(uint32_t conn, const uint8_t *data, uint32_t len);
void net_stream_close(uint32_t conn);
int32_t net_dgram_bind(uint32_t port);
int32_t net_dgram_send(uint32_t port, uint32_t addr, uint32_t rport, const uint8_t *data, uint32_t len);

/* ---- the sink: where net_deliver() hands events (abi.c registers the core's exports) ----
 * net.c calls upward only through this table, so it depends on nothing above it (no
 * abi.c <-> net.c loop; the Node host registers its sink the same way). Until a sink is
 * registered, events wait in their slots and datagrams are dropped as too big (no buffer). */
struct net_sink {
  uint8_t *(*rx_area)(uint32_t *cap); /* the core's inbound buffer; NULL while it takes none */
  void (*accepted)(uint32_t conn, uint32_t port, uint32_t addr, uint32_t rport);
  void (*rx)(uint32_t conn, uint32_t len);
  void (*sent)(uint32_t conn, uint32_t bytes);
  void (*closed)(uint32_t conn);
  void (*dgram_rx)(uint32_t port, uint32_t addr, uint32_t rport, uint32_t len);
};
void net_set_sink(const struct net_sink *sink);

/* Counters (gdb: p g_net_stats). Never reset. */
struct net_stats {
  uint32_t accepts, accept_refused;  /* refused: no free connection slot (peer gets RST) */
  uint32_t closes_aborted;           /* closes that had not flushed within NET_CLOSE_GRACE_MS */
  uint32_t rx_no_pbuf;               /* frames dropped: pbuf pool empty */
  uint32_t tx_backlogged;            /* frames that waited for a tx buffer in the backlog */
  uint32_t tx_dropped;               /* frames dropped: too big, or tx ring and backlog full */
  uint32_t dgram_too_big;            /* datagrams larger than coh_rx_cap(): dropped whole */
  uint32_t dgram_queue_full;         /* datagrams dropped: queue full (printed) */
};
extern struct net_stats g_net_stats;

#endif
