/*
 * virtio-net over virtio-mmio, modern transport only (version 2, VIRTIO_F_VERSION_1).
 *
 * Driver only: it knows nothing of lwIP. Frames go in and out as plain bytes;
 * net.c copies them into and out of pbufs. Two split virtqueues (rx = 0,
 * tx = 1) of VNET_QUEUE_SIZE descriptors, each with its own static
 * VNET_BUF_BYTES buffer (12-byte virtio_net_hdr + frame). No offloads, no
 * mergeable buffers, no control queue.
 */
#ifndef SHIM_VIRTIO_NET_H
#define SHIM_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>

#include "fdt.h"

#define VNET_QUEUE_SIZE 16u  /* descriptors per queue (a power of two, as split queues need) */
#define VNET_BUF_BYTES 2048u /* per descriptor: header + the largest untagged/tagged frame */
#define VNET_HDR_BYTES 12u   /* struct virtio_net_hdr with num_buffers: always 12 with VERSION_1 */
#define VNET_FRAME_MAX (VNET_BUF_BYTES - VNET_HDR_BYTES)

/* Counters (read with gdb, or printed by whoever cares). Never reset. */
struct vnet_stats {
  uint32_t rx_frames, tx_frames;
  uint32_t rx_bad_len;    /* used-ring length shorter than the header or longer than the buffer */
  uint32_t rx_dropped;    /* frames the consumer refused (e.g. no pbuf) */
  uint32_t bad_used_id;   /* used-ring id outside the queue or not in flight: ignored */
  uint32_t tx_too_big;    /* frame larger than VNET_FRAME_MAX: dropped */
  uint32_t irqs;
};
extern struct vnet_stats g_vnet_stats;

/* Walks the DTB's virtio-mmio transports, brings up the first network device and prints
   one boot line either way. `fallback_mac` is used when the device offers no MAC.
   Returns true when a device is ready. */
bool vnet_probe(const struct fdt_info *hw, const uint8_t fallback_mac[6]);
bool vnet_ready(void);
const uint8_t *vnet_mac(void);  /* 6 bytes: the device's (VIRTIO_NET_F_MAC), else the fallback */
unsigned vnet_intid(void);      /* GIC INTID of the transport, 0 if none */

/* Reads and acknowledges the transport's interrupt status (call from the IRQ dispatch). */
void vnet_irq(void);

/* Hands up to `max` received frames to `deliver` (which must copy them: the buffer is
   re-posted right after it returns) and returns how many used entries were consumed. */
typedef bool (*vnet_rx_fn)(const uint8_t *frame, uint32_t len, void *ctx);
unsigned vnet_rx_poll(vnet_rx_fn deliver, void *ctx, unsigned max);
bool vnet_rx_pending(void);

/* Transmit in two steps: take a buffer (waiting up to `wait_us` for the device to return
   one; NULL if it does not), fill at most VNET_FRAME_MAX bytes of frame, then send `len`. */
uint8_t *vnet_tx_begin(uint32_t wait_us);
void vnet_tx_commit(uint32_t len);
/* tx completions raise no interrupt unless asked for (when frames wait for a buffer). */
void vnet_tx_irq(bool on);
bool vnet_tx_done_pending(void); /* the device has returned tx buffers not yet reclaimed */

#endif
