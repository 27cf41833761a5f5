/*
 * Minimal FDT walker (see include/fdt.h). No hardware access, no allocation:
 * one pass over the structure block with a fixed-depth node stack; all facts
 * land in a caller-provided struct fdt_info. Also built for the host.
 */
#include <string.h>

#include "fdt.h"

#define FDT_BEGIN_NODE 1u
#define FDT_END_NODE 2u
#define FDT_PROP 3u
#define FDT_NOP 4u
#define FDT_END 9u

#define MAX_DEPTH 16      /* QEMU virt nests 3 deep; 16 is plenty and bounds the stack */
#define PATH_MAX_LEN 128  /* longest node path we track for stdout-path matching */
#define MAX_UARTS 4       /* PL011 candidates remembered until /chosen is known */
#define MAX_ALIASES 16    /* /aliases entries remembered for stdout-path = "serial0" */

static uint32_t be32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Reads `cells` (1 or 2) big-endian cells; more than 2 keeps the low 64 bits. */
static uint64_t read_cells(const uint8_t *p, uint32_t cells) {
  uint64_t v = 0;
  for (uint32_t i = 0; i < cells; i++) v = (v << 32) | be32(p + 4 * i);
  return v;
}

struct prop {
  const uint8_t *val;
  uint32_t len;
};

struct node {
  const char *name;          /* unit name, e.g. "pl011@9000000" (NUL-terminated in blob) */
  uint32_t addr_cells;       /* #address-cells for this node's children */
  uint32_t size_cells;       /* #size-cells for this node's children */
  uint32_t redist_regions;   /* #redistributor-regions (GICv3) */
  struct prop compat, reg, irq, device_type, status, method;
  struct prop stdout_path, rng_seed, kaslr_seed; /* only meaningful in /chosen */
  size_t path_len;           /* length of this node's path in walk.path */
};

struct uart_cand {
  char path[PATH_MAX_LEN];
  uint64_t base, size;
  unsigned intid;
};

struct walk {
  const uint8_t *blob;
  const uint8_t *strings;
  uint32_t strings_len;
  struct node stack[MAX_DEPTH];
  char path[PATH_MAX_LEN];
  bool path_truncated;
  struct uart_cand uarts[MAX_UARTS];
  unsigned n_uarts;
  struct { const char *name; struct prop val; } aliases[MAX_ALIASES];
  unsigned n_aliases;
  struct prop stdout_path;
};

uint32_t fdt_total_size(const void *blob) {
  const uint8_t *b = blob;
  if (b == NULL || be32(b) != FDT_MAGIC) return 0;
  return be32(b + 4);
}

const char *fdt_strerror(int err) {
  switch (err) {
  case FDT_OK: return "ok";
  case FDT_E_MAGIC: return "bad magic";
  case FDT_E_VERSION: return "unsupported version";
  case FDT_E_BOUNDS: return "offset out of bounds";
  case FDT_E_STRUCT: return "malformed structure block";
  case FDT_E_DEPTH: return "nodes nested too deep";
  }
  return "unknown error";
}

/* True if the NUL-separated string list `p` contains `s`. */
static bool strlist_has(struct prop p, const char *s) {
  size_t n = strlen(s);
  uint32_t off = 0;
  while (off < p.len) {
    const char *cur = (const char *)p.val + off;
    size_t left = p.len - off;
    size_t l = strnlen(cur, left);
    if (l == n && memcmp(cur, s, n) == 0) return true;
    off += (uint32_t)l + 1;
  }
  return false;
}

/* True if a string property equals `s` (value is NUL-terminated within len). */
static bool prop_is(struct prop p, const char *s) {
  size_t n = strlen(s);
  return p.len >= n + 1 && memcmp(p.val, s, n) == 0 && p.val[n] == '\0';
}

static bool enabled(const struct node *n) {
  return n->status.val == NULL || prop_is(n->status, "okay") || prop_is(n->status, "ok");
}

/* First interrupt of a 3-cell GIC specifier: <type number flags>; 0 if none. */
static unsigned intid_at(struct prop irq, unsigned index) {
  if (irq.val == NULL || irq.len < 12u * (index + 1)) return 0;
  const uint8_t *p = irq.val + 12u * index;
  uint32_t type = be32(p), num = be32(p + 4);
  if (type == 0) return 32u + num; /* SPI */
  if (type == 1) return 16u + num; /* PPI */
  return 0;
}

static bool name_is(const char *name, const char *base) {
  size_t n = strlen(base);
  return strncmp(name, base, n) == 0 && (name[n] == '\0' || name[n] == '@');
}

static void add_mem(struct fdt_info *out, uint64_t base, uint64_t size) {
  if (size == 0 || out->n_mem >= FDT_MAX_MEM) return;
  /* insertion sort by base: banks are few */
  unsigned i = out->n_mem++;
  while (i > 0 && out->mem[i - 1].base > base) {
    out->mem[i] = out->mem[i - 1];
    i--;
  }
  out->mem[i].base = base;
  out->mem[i].size = size;
}

/* Decodes reg entry `index` with the parent's cell counts; false if absent. */
static bool reg_at(const struct node *parent, struct prop reg, unsigned index, uint64_t *base, uint64_t *size) {
  uint32_t ac = parent->addr_cells, sc = parent->size_cells;
  uint32_t entry = 4u * (ac + sc);
  if (reg.val == NULL || entry == 0 || ac > 4 || sc > 4) return false;
  if ((uint64_t)entry * (index + 1) > reg.len) return false;
  const uint8_t *p = reg.val + (size_t)entry * index;
  *base = read_cells(p, ac);
  *size = read_cells(p + 4 * ac, sc);
  return true;
}

static unsigned reg_count(const struct node *parent, struct prop reg) {
  uint32_t entry = 4u * (parent->addr_cells + parent->size_cells);
  return (reg.val == NULL || entry == 0) ? 0 : reg.len / entry;
}

/* Called when a node ends: all its properties are known. */
static void finish_node(struct walk *w, unsigned depth, struct fdt_info *out) {
  const struct node *n = &w->stack[depth];
  if (depth == 0 || !enabled(n)) return;
  const struct node *parent = &w->stack[depth - 1];
  uint64_t base, size;

  if (depth == 1 && (prop_is(n->device_type, "memory") || (n->device_type.val == NULL && name_is(n->name, "memory")))) {
    for (unsigned i = 0; reg_at(parent, n->reg, i, &base, &size); i++) add_mem(out, base, size);
  }
  if (depth == 1 && name_is(n->name, "chosen")) {
    w->stdout_path = n->stdout_path;
    if (n->rng_seed.val != NULL) {
      uint32_t l = n->rng_seed.len < FDT_MAX_RNG_SEED ? n->rng_seed.len : FDT_MAX_RNG_SEED;
      memcpy(out->rng_seed, n->rng_seed.val, l);
      out->rng_seed_len = l;
    }
    if (n->kaslr_seed.val != NULL && n->kaslr_seed.len >= 8) {
      out->kaslr_seed = read_cells(n->kaslr_seed.val, 2);
      out->has_kaslr_seed = true;
    }
  }
  if (strlist_has(n->compat, "arm,pl031") && out->rtc_base == 0 && reg_at(parent, n->reg, 0, &base, &size)) {
    out->rtc_base = base;
  }
  if (strlist_has(n->compat, "arm,pl011") && reg_at(parent, n->reg, 0, &base, &size) && w->n_uarts < MAX_UARTS) {
    struct uart_cand *u = &w->uarts[w->n_uarts++];
    size_t l = n->path_len < PATH_MAX_LEN - 1 ? n->path_len : PATH_MAX_LEN - 1;
    memcpy(u->path, w->path, l);
    u->path[l] = '\0';
    u->base = base;
    u->size = size;
    u->intid = intid_at(n->irq, 0);
  }
  unsigned ver = 0;
  if (strlist_has(n->compat, "arm,gic-v3")) ver = 3;
  else if (strlist_has(n->compat, "arm,cortex-a15-gic") || strlist_has(n->compat, "arm,gic-400") ||
           strlist_has(n->compat, "arm,cortex-a9-gic"))
    ver = 2;
  if (ver != 0 && out->gic_version == 0) {
    out->gic_version = ver;
    out->gic_redist_regions = n->redist_regions ? n->redist_regions : 1;
    unsigned cnt = reg_count(parent, n->reg);
    for (unsigned i = 0; i < cnt && out->n_gic_regs < FDT_MAX_GIC_REGS; i++) {
      if (reg_at(parent, n->reg, i, &base, &size)) {
        out->gic_regs[out->n_gic_regs].base = base;
        out->gic_regs[out->n_gic_regs].size = size;
        out->n_gic_regs++;
      }
    }
  }
  if (strlist_has(n->compat, "arm,armv8-timer") || strlist_has(n->compat, "arm,armv7-timer")) {
    /* interrupts: secure phys, non-secure phys, virtual, hypervisor */
    out->timer_phys_intid = intid_at(n->irq, 1);
    out->timer_virt_intid = intid_at(n->irq, 2);
  }
  if (strlist_has(n->compat, "arm,psci") || strlist_has(n->compat, "arm,psci-0.2") ||
      strlist_has(n->compat, "arm,psci-1.0")) {
    if (prop_is(n->method, "hvc")) out->psci_method = PSCI_HVC;
    else if (prop_is(n->method, "smc")) out->psci_method = PSCI_SMC;
  }
  if (strlist_has(n->compat, "virtio,mmio") && out->n_virtio < FDT_MAX_VIRTIO &&
      reg_at(parent, n->reg, 0, &base, &size)) {
    struct fdt_virtio *v = &out->virtio[out->n_virtio++];
    v->base = base;
    v->size = size;
    v->intid = intid_at(n->irq, 0);
  }
}

/* stdout-path may be a path or an alias, optionally followed by ":options". */
static void pick_uart(struct walk *w, struct fdt_info *out) {
  const char *want = NULL;
  size_t want_len = 0;
  if (w->stdout_path.val != NULL) {
    want = (const char *)w->stdout_path.val;
    want_len = strnlen(want, w->stdout_path.len);
    const char *colon = memchr(want, ':', want_len);
    if (colon != NULL) want_len = (size_t)(colon - want);
    if (want_len > 0 && want[0] != '/') {
      for (unsigned i = 0; i < w->n_aliases; i++) {
        if (strlen(w->aliases[i].name) == want_len && memcmp(w->aliases[i].name, want, want_len) == 0) {
          want = (const char *)w->aliases[i].val.val;
          want_len = strnlen(want, w->aliases[i].val.len);
          break;
        }
      }
    }
  }
  int pick = w->n_uarts > 0 ? 0 : -1;
  for (unsigned i = 0; want != NULL && i < w->n_uarts; i++) {
    if (strlen(w->uarts[i].path) == want_len && memcmp(w->uarts[i].path, want, want_len) == 0) {
      pick = (int)i;
      out->uart_from_stdout_path = true;
      break;
    }
  }
  if (pick >= 0) {
    out->uart_base = w->uarts[pick].base;
    out->uart_size = w->uarts[pick].size;
    out->uart_intid = w->uarts[pick].intid;
  }
}

static void path_push(struct walk *w, unsigned depth, const char *name, size_t name_len) {
  size_t at = depth > 0 ? w->stack[depth - 1].path_len : 0;
  if (depth == 0) {
    w->path[0] = '/';
    w->stack[0].path_len = 1;
    return;
  }
  if (depth > 1) {
    if (at < PATH_MAX_LEN - 1) w->path[at] = '/';
    at++;
  }
  for (size_t i = 0; i < name_len; i++, at++)
    if (at < PATH_MAX_LEN - 1) w->path[at] = name[i];
  if (at >= PATH_MAX_LEN - 1) w->path_truncated = true;
  w->stack[depth].path_len = at;
}

int fdt_parse(const void *blob, size_t max_len, struct fdt_info *out) {
  static struct walk w; /* ~2 KiB: static so it costs no stack; single-threaded boot */
  const uint8_t *b = blob;
  memset(out, 0, sizeof(*out));
  memset(&w, 0, sizeof(w));
  if (max_len < FDT_HEADER_BYTES || be32(b) != FDT_MAGIC) return FDT_E_MAGIC;
  uint32_t total = be32(b + 4), off_struct = be32(b + 8), off_strings = be32(b + 12);
  uint32_t version = be32(b + 20), size_strings = be32(b + 32), size_struct = be32(b + 36);
  if (version < 16) return FDT_E_VERSION;
  if (total > max_len || total < FDT_HEADER_BYTES) return FDT_E_BOUNDS;
  if (version < 17) size_struct = total - off_struct; /* v16 has no size_dt_struct */
  if (off_struct > total || size_struct > total - off_struct) return FDT_E_BOUNDS;
  if (off_strings > total || size_strings > total - off_strings) return FDT_E_BOUNDS;
  out->totalsize = total;
  w.blob = b;
  w.strings = b + off_strings;
  w.strings_len = size_strings;

  const uint8_t *s = b + off_struct;
  uint32_t pos = 0, end = size_struct & ~3u;
  int depth = -1;
  while (pos + 4 <= end) {
    uint32_t tok = be32(s + pos);
    pos += 4;
    if (tok == FDT_BEGIN_NODE) {
      const char *name = (const char *)s + pos;
      size_t l = strnlen(name, end - pos);
      if (l == end - pos) return FDT_E_STRUCT;
      pos += ((uint32_t)l + 1 + 3) & ~3u;
      if (++depth >= MAX_DEPTH) return FDT_E_DEPTH;
      struct node *n = &w.stack[depth];
      memset(n, 0, sizeof(*n));
      n->name = name;
      n->addr_cells = 2; /* devicetree spec defaults */
      n->size_cells = 1;
      path_push(&w, (unsigned)depth, name, l);
    } else if (tok == FDT_END_NODE) {
      if (depth < 0) return FDT_E_STRUCT;
      finish_node(&w, (unsigned)depth, out);
      depth--;
    } else if (tok == FDT_PROP) {
      if (depth < 0 || pos + 8 > end) return FDT_E_STRUCT;
      uint32_t len = be32(s + pos), nameoff = be32(s + pos + 4);
      pos += 8;
      if (len > end - pos || nameoff >= w.strings_len) return FDT_E_BOUNDS;
      const char *pname = (const char *)w.strings + nameoff;
      if (strnlen(pname, w.strings_len - nameoff) == w.strings_len - nameoff) return FDT_E_BOUNDS;
      struct prop p = { s + pos, len };
      pos += (len + 3) & ~3u;
      struct node *n = &w.stack[depth];
      if (strcmp(pname, "#address-cells") == 0 && len >= 4) n->addr_cells = be32(p.val);
      else if (strcmp(pname, "#size-cells") == 0 && len >= 4) n->size_cells = be32(p.val);
      else if (strcmp(pname, "#redistributor-regions") == 0 && len >= 4) n->redist_regions = be32(p.val);
      else if (strcmp(pname, "compatible") == 0) n->compat = p;
      else if (strcmp(pname, "reg") == 0) n->reg = p;
      else if (strcmp(pname, "interrupts") == 0) n->irq = p;
      else if (strcmp(pname, "device_type") == 0) n->device_type = p;
      else if (strcmp(pname, "status") == 0) n->status = p;
      else if (strcmp(pname, "method") == 0) n->method = p;
      else if (strcmp(pname, "stdout-path") == 0) n->stdout_path = p;
      else if (strcmp(pname, "rng-seed") == 0) n->rng_seed = p;
      else if (strcmp(pname, "kaslr-seed") == 0) n->kaslr_seed = p;
      if (depth == 1 && name_is(n->name, "aliases") && w.n_aliases < MAX_ALIASES && len > 0) {
        w.aliases[w.n_aliases].name = pname;
        w.aliases[w.n_aliases].val = p;
        w.n_aliases++;
      }
    } else if (tok == FDT_NOP) {
      continue;
    } else if (tok == FDT_END) {
      break;
    } else {
      return FDT_E_STRUCT;
    }
  }
  if (depth != -1) return FDT_E_STRUCT;
  pick_uart(&w, out);
  return FDT_OK;
}
