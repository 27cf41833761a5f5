/*
 * virtio-net over virtio-mmio (virtio 1.x, "modern" transport version 2).
 *
 * Bring-up follows the spec's driver initialisation (3.1.1): reset, ACKNOWLEDGE,
 * DRIVER, features (VERSION_1, and MAC when offered; no checksum/GSO offloads,
 * no mergeable buffers, no control queue), FEATURES_OK and its read-back,
 * queues, DRIVER_OK. A legacy transport (version 1) is reported and left alone.
 *
 * Queues: split virtqueues, rx = 0 and tx = 1, VNET_QUEUE_SIZE descriptors each.
 * Descriptor i of a queue always points at buffer i of that queue, so the
 * descriptor tables are written once; the rings carry indices only. Every
 * index and length the device hands back is checked before it is used.
 *
 * Memory is identity-mapped normal write-back; virtio-mmio DMA is coherent on
 * QEMU (and on the virt-like boards we target), so barriers suffice: DSB before
 * a ring index is published or a queue notified, DMB after reading the device's
 * used index and before reading the entries it covers.
 */
#include <string.h>

#include "shim.h"
#include "virtio_net.h"

#define VIRTIO_MAGIC 0x74726976u /* "virt" */
#define VIRTIO_ID_NET 1u

/* virtio-mmio registers (virtio 1.1, 4.2.2) */
#define R_MAGIC 0x000
#define R_VERSION 0x004
#define R_DEVICE_ID 0x008
#define R_DEV_FEATURES 0x010
#define R_DEV_FEATURES_SEL 0x014
#define R_DRV_FEATURES 0x020
#define R_DRV_FEATURES_SEL 0x024
#define R_QUEUE_SEL 0x030
#define R_QUEUE_NUM_MAX 0x034
#define R_QUEUE_NUM 0x038
#define R_QUEUE_READY 0x044
#define R_QUEUE_NOTIFY 0x050
#define R_IRQ_STATUS 0x060
#define R_IRQ_ACK 0x064
#define R_STATUS 0x070
#define R_QUEUE_DESC 0x080   /* low, high at +4 */
#define R_QUEUE_DRIVER 0x090 /* avail ring */
#define R_QUEUE_DEVICE 0x0a0 /* used ring */
#define R_CONFIG_GEN 0x0fc
#define R_CONFIG 0x100       /* virtio_net_config: mac[6], status, ... */

#define ST_ACKNOWLEDGE 1u
#define ST_DRIVER 2u
#define ST_DRIVER_OK 4u
#define ST_FEATURES_OK 8u
#define ST_FAILED 128u

#define F_NET_MAC (1ull << 5)
#define F_VERSION_1 (1ull << 32)

#define DESC_F_WRITE 2u         /* buffer is device-writable (rx) */
#define AVAIL_F_NO_INTERRUPT 1u /* tx: we reclaim lazily, no interrupt wanted */
#define USED_F_NO_NOTIFY 1u

#define RXQ 0u
#define TXQ 1u

struct vq_desc {
  uint64_t addr;
  uint32_t len;
  uint16_t flags;
  uint16_t next;
};
struct vq_avail {
  uint16_t flags;
  uint16_t idx;
  uint16_t ring[VNET_QUEUE_SIZE];
  uint16_t used_event;
};
struct vq_used_elem {
  uint32_t id;
  uint32_t len;
};
struct vq_used {
  uint16_t flags;
  uint16_t idx;
  struct vq_used_elem ring[VNET_QUEUE_SIZE];
  uint16_t avail_event;
};

struct vq {
  struct vq_desc desc[VNET_QUEUE_SIZE] __attribute__((aligned(16)));
  struct vq_avail avail __attribute__((aligned(4)));
  struct vq_used used __attribute__((aligned(4)));
  uint16_t avail_idx; /* our copy of avail.idx */
  uint16_t last_used; /* used entries consumed so far */
  bool in_flight[VNET_QUEUE_SIZE];
  uint8_t buf[VNET_QUEUE_SIZE][VNET_BUF_BYTES] __attribute__((aligned(64)));
};

_Static_assert(VNET_QUEUE_SIZE <= 32768 && (VNET_QUEUE_SIZE & (VNET_QUEUE_SIZE - 1)) == 0, "queue size");
_Static_assert(VNET_BUF_BYTES >= VNET_HDR_BYTES + 1518, "buffer must hold a full (tagged) frame");

static struct vq g_rx, g_tx;
static uint16_t g_tx_free[VNET_QUEUE_SIZE];
static unsigned g_tx_nfree;
static int g_tx_cur = -1; /* buffer taken by vnet_tx_begin, not yet committed */
static uint64_t g_base;
static unsigned g_intid;
static bool g_ready;
static uint8_t g_mac[6];
struct vnet_stats g_vnet_stats;

#define dmb(o) __asm__ volatile("dmb " #o ::: "memory")

static uint32_t rd(uint32_t off) { return mmio_read32(g_base + off); }
static void wr(uint32_t off, uint32_t v) { mmio_write32(g_base + off, v); }
static uint8_t rd8(uint32_t off) {
  uint32_t v;
  __asm__ volatile("ldrb %w0, [%1]" : "=r"(v) : "r"(g_base + off) : "memory");
  return (uint8_t)v;
}
static uint16_t vread16(const uint16_t *p) { return *(const volatile uint16_t *)p; }

bool vnet_ready(void) { return g_ready; }
const uint8_t *vnet_mac(void) { return g_mac; }
unsigned vnet_intid(void) { return g_intid; }

static bool fail(const char *why) {
  wr(R_STATUS, rd(R_STATUS) | ST_FAILED);
  kprintf("[shim] virtio-net: %s at 0x%lx; continuing without a NIC\r\n", why, g_base);
  return false;
}

static bool setup_queue(uint32_t q, struct vq *v) {
  wr(R_QUEUE_SEL, q);
  if (rd(R_QUEUE_READY) != 0) return false;
  uint32_t max = rd(R_QUEUE_NUM_MAX);
  if (max < VNET_QUEUE_SIZE) return false;
  wr(R_QUEUE_NUM, VNET_QUEUE_SIZE);
  uint64_t d = (uint64_t)v->desc, a = (uint64_t)&v->avail, u = (uint64_t)&v->used;
  wr(R_QUEUE_DESC, (uint32_t)d), wr(R_QUEUE_DESC + 4, (uint32_t)(d >> 32));
  wr(R_QUEUE_DRIVER, (uint32_t)a), wr(R_QUEUE_DRIVER + 4, (uint32_t)(a >> 32));
  wr(R_QUEUE_DEVICE, (uint32_t)u), wr(R_QUEUE_DEVICE + 4, (uint32_t)(u >> 32));
  dsb(sy);
  wr(R_QUEUE_READY, 1);
  return true;
}

static void notify(struct vq *v, uint32_t q) {
  dsb(sy); /* ring contents and index visible before the doorbell */
  if ((vread16(&v->used.flags) & USED_F_NO_NOTIFY) == 0) wr(R_QUEUE_NOTIFY, q);
}

static void publish(struct vq *v, uint16_t id) {
  v->avail.ring[v->avail_idx % VNET_QUEUE_SIZE] = id;
  v->in_flight[id] = true;
  v->avail_idx++;
  dsb(sy); /* the ring entry before the index that covers it */
  *(volatile uint16_t *)&v->avail.idx = v->avail_idx;
}

static bool init_device(const uint8_t fallback_mac[6]) {
  wr(R_STATUS, 0); /* reset */
  for (unsigned i = 0; i < 1000000 && rd(R_STATUS) != 0; i++) {
  }
  wr(R_STATUS, ST_ACKNOWLEDGE);
  wr(R_STATUS, ST_ACKNOWLEDGE | ST_DRIVER);
  wr(R_DEV_FEATURES_SEL, 0);
  uint64_t offered = rd(R_DEV_FEATURES);
  wr(R_DEV_FEATURES_SEL, 1);
  offered |= (uint64_t)rd(R_DEV_FEATURES) << 32;
  if (!(offered & F_VERSION_1)) return fail("device does not offer VIRTIO_F_VERSION_1");
  uint64_t want = F_VERSION_1 | (offered & F_NET_MAC);
  wr(R_DRV_FEATURES_SEL, 0), wr(R_DRV_FEATURES, (uint32_t)want);
  wr(R_DRV_FEATURES_SEL, 1), wr(R_DRV_FEATURES, (uint32_t)(want >> 32));
  wr(R_STATUS, ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK);
  if (!(rd(R_STATUS) & ST_FEATURES_OK)) return fail("device refused our features (VERSION_1, MAC)");

  memcpy(g_mac, fallback_mac, 6);
  if (want & F_NET_MAC) {
    uint32_t gen;
    do { /* re-read if the device changed its config while we read it */
      gen = rd(R_CONFIG_GEN);
      for (unsigned i = 0; i < 6; i++) g_mac[i] = rd8(R_CONFIG + i);
    } while (rd(R_CONFIG_GEN) != gen);
  }

  /* Descriptors never change: descriptor i <-> buffer i. rx buffers are device-writable. */
  for (uint16_t i = 0; i < VNET_QUEUE_SIZE; i++) {
    g_rx.desc[i] = (struct vq_desc){ (uint64_t)g_rx.buf[i], VNET_BUF_BYTES, DESC_F_WRITE, 0 };
    g_tx.desc[i] = (struct vq_desc){ (uint64_t)g_tx.buf[i], 0, 0, 0 };
    g_tx_free[i] = (uint16_t)(VNET_QUEUE_SIZE - 1 - i);
  }
  g_tx_nfree = VNET_QUEUE_SIZE;
  g_tx.avail.flags = AVAIL_F_NO_INTERRUPT;
  if (!setup_queue(RXQ, &g_rx) || !setup_queue(TXQ, &g_tx))
    return fail("queue 0/1 missing, already live, or smaller than 16 descriptors");
  for (uint16_t i = 0; i < VNET_QUEUE_SIZE; i++) publish(&g_rx, i);
  wr(R_STATUS, ST_ACKNOWLEDGE | ST_DRIVER | ST_FEATURES_OK | ST_DRIVER_OK);
  if (rd(R_STATUS) & ST_FAILED) return fail("device failed after DRIVER_OK");
  notify(&g_rx, RXQ);
  return true;
}

/* "52-55-00-d1-55-01" */
static void mac_text(const uint8_t *mac, char out[18]) {
  for (unsigned i = 0; i < 6; i++) {
    out[3 * i] = "0123456789abcdef"[mac[i] >> 4];
    out[3 * i + 1] = "0123456789abcdef"[mac[i] & 15];
    out[3 * i + 2] = i < 5 ? '-' : '\0';
  }
}

bool vnet_probe(const struct fdt_info *hw, const uint8_t fallback_mac[6]) {
  bool legacy = false;
  for (unsigned i = 0; i < hw->n_virtio; i++) {
    g_base = hw->virtio[i].base;
    if (hw->virtio[i].size < R_CONFIG + 8 || rd(R_MAGIC) != VIRTIO_MAGIC || rd(R_DEVICE_ID) != VIRTIO_ID_NET) continue;
    uint32_t version = rd(R_VERSION);
    legacy |= version == 1;
    if (version != 2) continue;
    g_intid = hw->virtio[i].intid;
    g_ready = init_device(fallback_mac);
    if (!g_ready) return false;
    char mac[18];
    mac_text(g_mac, mac);
    kprintf("virtio-net ready: rx_buffers=%u tx_buffers=%u mac=%s\r\n", VNET_QUEUE_SIZE, VNET_QUEUE_SIZE, mac);
    return true;
  }
  g_base = 0;
  if (legacy)
    kprintf("[shim] virtio-net: legacy device (version 1) not supported; use -global virtio-mmio.force-legacy=false\r\n");
  else
    kprintf("[shim] virtio-net: none (no virtio-mmio net device)\r\n");
  return false;
}

void vnet_irq(void) {
  if (g_base == 0) return;
  uint32_t st = rd(R_IRQ_STATUS);
  wr(R_IRQ_ACK, st); /* the line drops now; new used buffers raise it again */
  g_vnet_stats.irqs++;
}

bool vnet_rx_pending(void) { return g_ready && vread16(&g_rx.used.idx) != g_rx.last_used; }

/* Next used entry of `v`, validated: false when none. *id is VNET_QUEUE_SIZE for a bad one. */
static bool next_used(struct vq *v, uint16_t used_idx, uint32_t *id, uint32_t *len) {
  if (v->last_used == used_idx) return false;
  const volatile struct vq_used_elem *e = &v->used.ring[v->last_used % VNET_QUEUE_SIZE];
  v->last_used++;
  *id = e->id;
  *len = e->len;
  if (*id >= VNET_QUEUE_SIZE || !v->in_flight[*id]) {
    g_vnet_stats.bad_used_id++;
    *id = VNET_QUEUE_SIZE;
  } else {
    v->in_flight[*id] = false;
  }
  return true;
}

unsigned vnet_rx_poll(vnet_rx_fn deliver, void *ctx, unsigned max) {
  if (!g_ready) return 0;
  uint16_t used_idx = vread16(&g_rx.used.idx);
  dmb(ish); /* entries are read after the index that covers them */
  unsigned n = 0, reposted = 0;
  uint32_t id, len;
  while (n < max && next_used(&g_rx, used_idx, &id, &len)) {
    n++;
    if (id == VNET_QUEUE_SIZE) continue;
    if (len < VNET_HDR_BYTES || len > VNET_BUF_BYTES) {
      g_vnet_stats.rx_bad_len++;
    } else {
      g_vnet_stats.rx_frames++;
      if (!deliver(g_rx.buf[id] + VNET_HDR_BYTES, len - VNET_HDR_BYTES, ctx)) g_vnet_stats.rx_dropped++;
    }
    publish(&g_rx, (uint16_t)id);
    reposted++;
  }
  if (reposted) notify(&g_rx, RXQ);
  return n;
}

static void tx_reclaim(void) {
  uint16_t used_idx = vread16(&g_tx.used.idx);
  dmb(ish);
  uint32_t id, len;
  while (next_used(&g_tx, used_idx, &id, &len))
    if (id != VNET_QUEUE_SIZE && g_tx_nfree < VNET_QUEUE_SIZE) g_tx_free[g_tx_nfree++] = (uint16_t)id;
}

bool vnet_tx_done_pending(void) { return g_ready && vread16(&g_tx.used.idx) != g_tx.last_used; }

void vnet_tx_irq(bool on) {
  g_tx.avail.flags = on ? 0 : AVAIL_F_NO_INTERRUPT; /* a hint to the device, read at its next completion */
  dsb(sy);
}

uint8_t *vnet_tx_begin(uint32_t wait_us) {
  if (!g_ready) return NULL;
  if (g_tx_cur >= 0) return g_tx.buf[g_tx_cur] + VNET_HDR_BYTES; /* begun, not committed: reuse */
  tx_reclaim();
  if (g_tx_nfree == 0 && wait_us != 0) {
    /* QEMU completes tx in its own thread; watching the used ring is much quicker than
       waiting for an interrupt to wake us, and the ring is the bottleneck anyway */
    uint64_t until = timer_count() + timer_freq() * wait_us / 1000000;
    while (g_tx_nfree == 0 && timer_count() < until) tx_reclaim();
  }
  if (g_tx_nfree == 0) return NULL;
  g_tx_cur = g_tx_free[--g_tx_nfree];
  memset(g_tx.buf[g_tx_cur], 0, VNET_HDR_BYTES); /* flags 0, GSO_NONE, num_buffers 0 */
  return g_tx.buf[g_tx_cur] + VNET_HDR_BYTES;
}

void vnet_tx_commit(uint32_t len) {
  if (g_tx_cur < 0) return;
  uint16_t id = (uint16_t)g_tx_cur;
  g_tx_cur = -1;
  if (len > VNET_FRAME_MAX) {
    g_vnet_stats.tx_too_big++;
    g_tx_free[g_tx_nfree++] = id;
    return;
  }
  g_tx.desc[id].len = VNET_HDR_BYTES + len;
  publish(&g_tx, id);
  notify(&g_tx, TXQ);
  g_vnet_stats.tx_frames++;
}
