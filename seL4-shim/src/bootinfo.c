/*
 * CBI1 bootinfo synthesis. Pure: no hardware, no globals, host-buildable.
 *
 * Steps (docs/PLATFORM_ABI.md, "How the platform synthesises it"), kept in the
 * same order as host/runtime/bootinfo.ts so the two produce identical blobs:
 *   1. sort RAM banks; the kernel window is the first 64 MiB of the lowest bank;
 *   2. device = [0, first RAM base) minus the GIC frames and the UART, each
 *      rounded out to whole 4 KiB pages;
 *   3. RAM = every bank, the first one starting after the kernel window;
 *   4. each range cut into the largest naturally aligned power-of-two blocks
 *      (4..47 bits), ascending; at most 230 descriptors, the rest counted.
 */
#include "bootinfo.h"

#define PAGE 0x1000ull
#define MAX_PIECES (CBI_MAX_KERNEL_DEV + 2 + CBI_MAX_RAM) /* device parts + RAM banks */

struct span {
  uint64_t start, end; /* [start, end) */
  uint8_t device;
};

static void put16(uint8_t *p, uint16_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
}
static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}

static unsigned ctz_capped(uint64_t v) {
  return v == 0 ? CBI_MAX_BITS : (unsigned)__builtin_ctzll(v);
}
static unsigned log2_floor(uint64_t v) {
  return 63u - (unsigned)__builtin_clzll(v); /* v > 0 */
}

/* Removes [hs, he) from the ordered list of spans (in place, order kept). */
static int subtract(struct span *sp, unsigned *n, unsigned cap, uint64_t hs, uint64_t he) {
  struct span tmp[MAX_PIECES];
  unsigned m = 0;
  for (unsigned i = 0; i < *n; i++) {
    struct span s = sp[i];
    if (he <= s.start || hs >= s.end) {
      if (m >= MAX_PIECES) return CBI_E_INPUT;
      tmp[m++] = s;
      continue;
    }
    if (s.start < hs) {
      if (m >= MAX_PIECES) return CBI_E_INPUT;
      tmp[m++] = (struct span){ s.start, hs, s.device };
    }
    if (he < s.end) {
      if (m >= MAX_PIECES) return CBI_E_INPUT;
      tmp[m++] = (struct span){ he, s.end, s.device };
    }
  }
  if (m > cap) return CBI_E_INPUT;
  for (unsigned i = 0; i < m; i++) sp[i] = tmp[i];
  *n = m;
  return CBI_OK;
}

const char *cbi_strerror(int err) {
  switch (err) {
  case CBI_OK: return "ok";
  case CBI_E_NO_RAM: return "no RAM banks";
  case CBI_E_WINDOW: return "first RAM bank is smaller than the 64 MiB kernel window";
  case CBI_E_SPACE: return "output buffer too small";
  case CBI_E_INPUT: return "too many ranges";
  }
  return "unknown error";
}

int cbi_build(const struct cbi_input *in, uint8_t *out, size_t cap, struct cbi_result *res) {
  struct cbi_range ram[CBI_MAX_RAM];
  struct span sp[MAX_PIECES];
  unsigned n_ram = in->n_ram, n = 0;

  *res = (struct cbi_result){ 0 };
  if (n_ram == 0) return CBI_E_NO_RAM;
  if (n_ram > CBI_MAX_RAM || in->n_kernel_dev > CBI_MAX_KERNEL_DEV) return CBI_E_INPUT;
  if (cap < CBI_HEADER_BYTES) return CBI_E_SPACE;

  /* 1. RAM banks by address (insertion sort: at most CBI_MAX_RAM) */
  for (unsigned i = 0; i < n_ram; i++) {
    unsigned j = i;
    while (j > 0 && ram[j - 1].base > in->ram[i].base) {
      ram[j] = ram[j - 1];
      j--;
    }
    ram[j] = in->ram[i];
  }
  if (ram[0].size < CBI_KERNEL_WINDOW) return CBI_E_WINDOW;
  res->ram_base = ram[0].base;

  /* 2. device: [0, first RAM) minus the frames the kernel keeps and the UART page(s) */
  if (ram[0].base > 0) sp[n++] = (struct span){ 0, ram[0].base, 1 };
  for (unsigned i = 0; i <= in->n_kernel_dev; i++) {
    const struct cbi_range *h = i < in->n_kernel_dev ? &in->kernel_dev[i] : &in->uart;
    /* no size check: an empty hole at a page boundary removes nothing, exactly as in bootinfo.ts */
    uint64_t hs = h->base & ~(PAGE - 1), he = (h->base + h->size + PAGE - 1) & ~(PAGE - 1);
    int err = subtract(sp, &n, MAX_PIECES - CBI_MAX_RAM, hs, he);
    if (err) return err;
  }

  /* 3. RAM, the first bank after the kernel window; banks are above every device span */
  for (unsigned i = 0; i < n_ram; i++) {
    uint64_t start = i == 0 ? ram[i].base + CBI_KERNEL_WINDOW : ram[i].base;
    uint64_t end = ram[i].base + ram[i].size;
    if (start < end) sp[n++] = (struct span){ start, end, 0 };
  }

  /* 4. ascending power-of-two split; spans are disjoint and already in address order */
  unsigned count = 0;
  for (unsigned i = 0; i < n; i++) {
    uint64_t cur = sp[i].start;
    while (cur < sp[i].end) {
      unsigned a = ctz_capped(cur), b = log2_floor(sp[i].end - cur);
      unsigned bits = a < b ? a : b;
      if (bits > CBI_MAX_BITS) bits = CBI_MAX_BITS;
      if (bits < CBI_MIN_BITS) break;
      if (count < CBI_MAX_UNTYPED) {
        size_t off = CBI_HEADER_BYTES + (size_t)count * CBI_UNTYPED_BYTES;
        if (off + CBI_UNTYPED_BYTES > cap) return CBI_E_SPACE;
        put64(out + off, cur);
        out[off + 8] = (uint8_t)bits;
        out[off + 9] = sp[i].device;
        put16(out + off + 10, 0);
        put32(out + off + 12, 0);
        count++;
      } else {
        res->dropped++;
        res->dropped_bytes += 1ull << bits;
      }
      cur += 1ull << bits;
    }
  }

  /* header */
  uint32_t total = CBI_HEADER_BYTES + count * CBI_UNTYPED_BYTES;
  put32(out + 0, CBI_MAGIC);
  put16(out + 4, CBI_VERSION);
  put16(out + 6, CBI_HEADER_BYTES);
  put32(out + 8, total);
  out[12] = CBI_NODE_BITS;
  out[13] = (uint8_t)in->gic_version;
  put16(out + 14, (uint16_t)count);
  put32(out + 16, CBI_SLOT_FIRST_UNTYPED + count);  /* first empty slot */
  put32(out + 20, 1u << CBI_NODE_BITS);             /* end of the empty window */
  put32(out + 24, CBI_SLOT_FIRST_UNTYPED);
  put32(out + 28, CBI_SLOT_CNODE);
  put32(out + 32, CBI_SLOT_TCB);
  put32(out + 36, CBI_SLOT_VSPACE);
  put32(out + 40, CBI_SLOT_ENDPOINT);
  put32(out + 44, CBI_SLOT_UART);
  put64(out + 48, ram[0].base + CBI_KERNEL_WINDOW - PAGE); /* IPC buffer: top page of the window */
  put64(out + 56, in->dtb_paddr);
  res->len = total;
  res->count = count;
  return CBI_OK;
}
