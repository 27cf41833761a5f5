/*
 * EFI stage: the same image started by UEFI firmware as BOOTAA64.EFI (head.S efi_entry
 * relocated it where the firmware loaded it). Under boot services it
 *
 *   1. finds the DTB configuration table, or else the ACPI 2.0 RSDP (acpi.c) and builds
 *      the same `struct fdt_info` a DTB would give, with RAM from the memory map;
 *   2. finds a GOP framebuffer (linear RGBX/BGRX) for the console text mirror (fbcon.c);
 *   3. claims the kernel window: the image at RAM base + 2 MiB (where -kernel puts it)
 *      with its stacks, tables and arena, and the window's top page (the IPC buffer);
 *   4. takes the memory map and calls ExitBootServices, again with a fresh map while the
 *      key is stale (EFI_INVALID_PARAMETER), at most EFI_EBS_TRIES times;
 *   5. digests the final map into the ranges inside RAM the OS must preserve;
 *   6. copies the image into the window, cleans it (and the DTB and the handoff) to the
 *      point of coherency, and enters the copy like a Linux loader: MMU off, x0 = DTB,
 *      x1 = handoff (efi_enter_kernel in head.S). From there the boot is the -kernel one.
 *
 * Only .bss and the stack are written here, never initialized .data: the window copy
 * is taken from this running image (or is this image), and its .bss is cleared again
 * at its entry; so the handoff lives in pool memory.
 * Before ExitBootServices failures are printed on ConOut and returned to the firmware;
 * after it nothing can fail.
 */
#include <stddef.h>
#include <string.h>

#include "acpi.h"
#include "efi_handoff.h"
#include "shim.h"

typedef uint64_t efi_status;
#define EFI_ERR(n) (0x8000000000000000ull | (n))
#define EFI_LOAD_ERROR EFI_ERR(1)
#define EFI_INVALID_PARAMETER EFI_ERR(2)
#define EFI_UNSUPPORTED EFI_ERR(3)
#define EFI_BUFFER_TOO_SMALL EFI_ERR(5)
#define EFI_OUT_OF_RESOURCES EFI_ERR(9)
#define EFI_NOT_FOUND EFI_ERR(14)

#define EFI_EBS_TRIES 8
#define ALLOCATE_ADDRESS 2
#define MEM_LOADER_DATA 2

typedef struct {
  uint32_t a;
  uint16_t b, c;
  uint8_t d[8];
} efi_guid;

struct efi_table_header {
  uint64_t signature;
  uint32_t revision, header_size, crc32, reserved;
};

struct efi_text_out {
  void *reset;
  efi_status (*output_string)(struct efi_text_out *self, const uint16_t *s);
};

struct efi_memory_descriptor {
  uint32_t type, pad;
  uint64_t phys, virt, pages, attr;
};

/* UEFI 2.x EFI_BOOT_SERVICES; only the members we call are typed */
struct efi_boot_services {
  struct efi_table_header hdr;
  void *raise_tpl, *restore_tpl;
  efi_status (*allocate_pages)(uint32_t type, uint32_t mem_type, uint64_t pages, uint64_t *addr);
  void *free_pages;
  efi_status (*get_memory_map)(uint64_t *size, void *map, uint64_t *key, uint64_t *desc_size, uint32_t *desc_ver);
  efi_status (*allocate_pool)(uint32_t mem_type, uint64_t size, void **buf);
  void *free_pool;
  void *create_event, *set_timer, *wait_for_event, *signal_event, *close_event, *check_event;
  void *install_protocol_interface, *reinstall_protocol_interface, *uninstall_protocol_interface;
  void *handle_protocol, *reserved, *register_protocol_notify, *locate_handle, *locate_device_path;
  void *install_configuration_table, *load_image, *start_image, *exit, *unload_image;
  efi_status (*exit_boot_services)(void *image, uint64_t map_key);
  void *get_next_monotonic_count, *stall, *set_watchdog_timer, *connect_controller, *disconnect_controller;
  void *open_protocol, *close_protocol, *open_protocol_information, *protocols_per_handle, *locate_handle_buffer;
  efi_status (*locate_protocol)(const efi_guid *protocol, void *registration, void **iface);
};
_Static_assert(offsetof(struct efi_boot_services, get_memory_map) == 56, "EFI_BOOT_SERVICES layout");
_Static_assert(offsetof(struct efi_boot_services, exit_boot_services) == 232, "EFI_BOOT_SERVICES layout");
_Static_assert(offsetof(struct efi_boot_services, locate_protocol) == 320, "EFI_BOOT_SERVICES layout");

struct efi_config_table {
  efi_guid guid;
  uint64_t table;
};

struct efi_system_table {
  struct efi_table_header hdr;
  const uint16_t *vendor;
  uint32_t revision;
  void *con_in_handle, *con_in, *con_out_handle;
  struct efi_text_out *con_out;
  void *stderr_handle, *std_err, *runtime;
  struct efi_boot_services *boot;
  uint64_t n_tables;
  struct efi_config_table *tables;
};
_Static_assert(offsetof(struct efi_system_table, con_out) == 64, "EFI_SYSTEM_TABLE layout");
_Static_assert(offsetof(struct efi_system_table, boot) == 96, "EFI_SYSTEM_TABLE layout");
_Static_assert(offsetof(struct efi_system_table, tables) == 112, "EFI_SYSTEM_TABLE layout");

struct efi_gop_info {
  uint32_t version, width, height, pixel_format;
  uint32_t masks[4];
  uint32_t stride;
};
struct efi_gop_mode {
  uint32_t max_mode, mode;
  struct efi_gop_info *info;
  uint64_t info_size, fb_base, fb_size;
};
struct efi_gop {
  void *query_mode, *set_mode, *blt;
  struct efi_gop_mode *mode;
};

static const efi_guid DTB_GUID = { 0xb1b621d5, 0xf19c, 0x41a5, { 0x83, 0x0b, 0xd9, 0x15, 0x2c, 0x69, 0xaa, 0xe0 } };
static const efi_guid ACPI20_GUID = { 0x8868e871, 0xe4f1, 0x11d3, { 0xbc, 0x22, 0x00, 0x80, 0xc7, 0x3c, 0x88, 0x81 } };
static const efi_guid GOP_GUID = { 0x9042a9de, 0x23dc, 0x4a38, { 0x96, 0xfb, 0x7a, 0xde, 0xd0, 0x80, 0x51, 0x6a } };

/* memory types (UEFI 2.x, EFI_MEMORY_TYPE) */
enum {
  EFI_RESERVED = 0, EFI_LOADER_CODE, EFI_LOADER_DATA, EFI_BS_CODE, EFI_BS_DATA, EFI_RT_CODE, EFI_RT_DATA,
  EFI_CONVENTIONAL, EFI_UNUSABLE, EFI_ACPI_RECLAIM, EFI_ACPI_NVS, EFI_MMIO, EFI_MMIO_PORT, EFI_PAL_CODE,
  EFI_PERSISTENT,
};
#define EFI_MEMORY_WB 0x8ull

extern char __bss_start[];
extern NORETURN void efi_enter_kernel(uint64_t entry, uint64_t dtb, uint64_t handoff);

/* In firmware-allocated LoaderData, not in our .bss: when the firmware loaded us at the
   kernel-window address already, the window image is this one and its entry clears .bss. */
static struct efi_handoff *g_hop;
#define g_ho (*g_hop)
static struct efi_system_table *g_st;
static struct fdt_info g_dtb_hw;

/* ---- console (boot services only) ---- */
static void say(const char *s) {
  uint16_t buf[96];
  while (*s) {
    unsigned n = 0;
    while (*s && n < 94) {
      if (*s == '\n') buf[n++] = '\r';
      buf[n++] = (uint8_t)*s++;
    }
    buf[n] = 0;
    g_st->con_out->output_string(g_st->con_out, buf);
  }
}

static void say_hex(uint64_t v) {
  char b[19] = "0x";
  int n = 2;
  for (int sh = 60; sh >= 0; sh -= 4) {
    unsigned d = (v >> sh) & 0xf;
    if (d || n > 2 || sh == 0) b[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
  }
  b[n] = 0;
  say(b);
}

static void say_dec(uint64_t v) {
  char b[21];
  int n = 20;
  b[n] = 0;
  do {
    b[--n] = (char)('0' + v % 10);
    v /= 10;
  } while (v);
  say(b + n);
}

static efi_status fail(const char *what, efi_status st) {
  say("[shim] efi: cannot boot: ");
  say(what);
  if (st) {
    say(" (status ");
    say_hex(st);
    say(")");
  }
  say("\n");
  return st ? st : EFI_LOAD_ERROR;
}

static bool guid_eq(const efi_guid *x, const efi_guid *y) { return memcmp(x, y, sizeof(*x)) == 0; }

static uint64_t config_table(const efi_guid *g) {
  for (uint64_t i = 0; i < g_st->n_tables; i++)
    if (guid_eq(&g_st->tables[i].guid, g)) return g_st->tables[i].table;
  return 0;
}

/* ---- memory map ---- */
static uint8_t *g_map;
static uint64_t g_map_cap, g_map_size, g_map_key, g_desc_size;

static efi_status get_map(void) {
  uint32_t ver;
  g_map_size = g_map_cap;
  return g_st->boot->get_memory_map(&g_map_size, g_map, &g_map_key, &g_desc_size, &ver);
}

/* Sizes and allocates the map buffer (boot services still fully up), with room for
   the descriptors the allocation itself and later steps may add. */
static efi_status alloc_map(void) {
  g_map_cap = 0;
  efi_status st = get_map();
  if (st != EFI_BUFFER_TOO_SMALL) return st ? st : EFI_LOAD_ERROR;
  g_map_cap = g_map_size + 16 * g_desc_size;
  return g_st->boot->allocate_pool(MEM_LOADER_DATA, g_map_cap, (void **)&g_map);
}

static const struct efi_memory_descriptor *desc(uint64_t i) {
  return (const struct efi_memory_descriptor *)(g_map + i * g_desc_size);
}
static uint64_t n_desc(void) { return g_desc_size ? g_map_size / g_desc_size : 0; }

static bool is_ram_type(uint32_t t) { return t != EFI_MMIO && t != EFI_MMIO_PORT && t != EFI_PERSISTENT && t <= EFI_PERSISTENT; }
/* RAM the OS must leave alone even after ExitBootServices (we never call runtime services,
   but firmware and other agents may still own it) */
static bool must_preserve(uint32_t t) {
  return t == EFI_RESERVED || t == EFI_RT_CODE || t == EFI_RT_DATA || t == EFI_UNUSABLE || t == EFI_ACPI_NVS ||
         t == EFI_PAL_CODE || t > EFI_PERSISTENT;
}

/* Adds [base, base+size) to a sorted, merged range list of capacity `cap`. */
static void range_add(struct fdt_range *r, unsigned *n, unsigned cap, uint64_t base, uint64_t size, uint32_t *dropped) {
  uint64_t end = base + size;
  unsigned i = 0;
  while (i < *n && r[i].base + r[i].size < base) i++;
  if (i < *n && r[i].base <= end) { /* overlaps or touches r[i]: merge, then swallow followers */
    uint64_t s = r[i].base < base ? r[i].base : base;
    uint64_t e = r[i].base + r[i].size > end ? r[i].base + r[i].size : end;
    unsigned j = i + 1;
    while (j < *n && r[j].base <= e) {
      if (r[j].base + r[j].size > e) e = r[j].base + r[j].size;
      j++;
    }
    r[i] = (struct fdt_range){ s, e - s };
    memmove(&r[i + 1], &r[j], (*n - j) * sizeof(*r));
    *n -= j - i - 1;
    return;
  }
  if (*n == cap) {
    if (dropped) (*dropped)++;
    return;
  }
  memmove(&r[i + 1], &r[i], (*n - i) * sizeof(*r));
  r[i] = (struct fdt_range){ base, size };
  (*n)++;
}

/* ACPI only: RAM banks = merged write-back RAM descriptors of the memory map. */
static void ram_from_map(struct fdt_info *hw) {
  unsigned n = 0;
  uint32_t dropped = 0;
  for (uint64_t i = 0; i < n_desc(); i++) {
    const struct efi_memory_descriptor *d = desc(i);
    if (is_ram_type(d->type) && (d->attr & EFI_MEMORY_WB)) range_add(hw->mem, &n, FDT_MAX_MEM, d->phys, d->pages << 12, &dropped);
  }
  hw->n_mem = n;
}

static void digest_reserved(void) {
  for (uint64_t i = 0; i < n_desc(); i++) {
    const struct efi_memory_descriptor *d = desc(i);
    if (must_preserve(d->type))
      range_add(g_ho.reserved, &g_ho.n_reserved, EFI_MAX_RESERVED, d->phys, d->pages << 12, &g_ho.reserved_dropped);
  }
  if (g_ho.flags & EFI_HO_HAVE_FB) {
    uint64_t b = g_ho.fb.base & ~(SHIM_PAGE_SIZE - 1), e = (g_ho.fb.base + g_ho.fb.size + SHIM_PAGE_SIZE - 1) & ~(SHIM_PAGE_SIZE - 1);
    range_add(g_ho.reserved, &g_ho.n_reserved, EFI_MAX_RESERVED, b, e - b, &g_ho.reserved_dropped);
  }
}

/* Names what holds [b, e) when the kernel window cannot be claimed. */
static void say_map_overlaps(uint64_t b, uint64_t e) {
  if (get_map() != 0) return;
  for (uint64_t i = 0; i < n_desc(); i++) {
    const struct efi_memory_descriptor *d = desc(i);
    uint64_t db = d->phys, de = db + (d->pages << 12);
    if (de <= b || db >= e) continue;
    say("[shim] efi:   ");
    say_hex(db);
    say("+");
    say_hex(de - db);
    say(" type ");
    say_dec(d->type);
    say("\n");
  }
}

static void find_gop(void) {
  struct efi_gop *gop = NULL;
  if (g_st->boot->locate_protocol(&GOP_GUID, NULL, (void **)&gop) != 0 || gop == NULL || gop->mode == NULL) return;
  const struct efi_gop_mode *m = gop->mode;
  const struct efi_gop_info *inf = m->info;
  if (inf == NULL || m->fb_base == 0 || inf->pixel_format > 1 || inf->stride < inf->width) return;
  if ((uint64_t)inf->stride * inf->height * 4 > m->fb_size) return;
  g_ho.fb = (struct efi_fb){ m->fb_base, m->fb_size, inf->width, inf->height, inf->stride,
                             inf->pixel_format == 0 ? FB_FMT_RGBX : FB_FMT_BGRX };
  g_ho.flags |= EFI_HO_HAVE_FB;
}

/* After a failed ExitBootServices the firmware may be half gone (no console, no return):
   nothing else is safe. */
static NORETURN void stranded(void) {
  for (;;) wfi();
}

static void clean_to_poc(uint64_t start, uint64_t end) {
  uint64_t line = 4ull << ((read_sysreg(ctr_el0) >> 16) & 0xf);
  for (uint64_t a = start & ~(line - 1); a < end; a += line) __asm__ volatile("dc civac, %0" ::"r"(a) : "memory");
  dsb(sy);
}

efi_status efi_main(void *image, struct efi_system_table *st) {
  g_st = st;
  if (st == NULL || st->boot == NULL || st->con_out == NULL) return EFI_INVALID_PARAMETER;
  struct efi_boot_services *bs = st->boot;
  efi_status s = bs->allocate_pool(MEM_LOADER_DATA, sizeof(struct efi_handoff), (void **)&g_hop);
  if (s != 0) return fail("AllocatePool for the handoff", s);
  memset(g_hop, 0, sizeof(*g_hop));
  g_ho.efi_entry_count = read_sysreg(cntvct_el0);

  /* 1. machine description */
  struct fdt_info *hw;
  uint64_t dtb = config_table(&DTB_GUID);
  if (dtb != 0 && fdt_total_size((const void *)dtb) != 0) {
    int err = fdt_parse((const void *)dtb, fdt_total_size((const void *)dtb), &g_dtb_hw);
    if (err != FDT_OK) return fail(fdt_strerror(err), 0);
    hw = &g_dtb_hw;
  } else {
    dtb = 0;
    uint64_t rsdp = config_table(&ACPI20_GUID);
    if (rsdp == 0) return fail("the firmware gives neither a DTB nor an ACPI 2.0 table", 0);
    hw = &g_ho.hw;
    int err = acpi_parse(rsdp, hw);
    if (err != ACPI_OK) return fail(acpi_strerror(err), 0);
    g_ho.flags |= EFI_HO_FROM_ACPI;
  }
  s = alloc_map();
  if (s != 0) return fail("GetMemoryMap", s);
  if (hw->n_mem == 0) { /* ACPI, or a DTB without /memory: RAM from the map */
    if ((s = get_map()) != 0) return fail("GetMemoryMap", s);
    ram_from_map(hw);
    if (hw->n_mem == 0) return fail("no RAM in the memory map", 0);
  }

  /* 2. framebuffer */
  find_gop();

  /* 3. the kernel window: image (+ NOLOAD regions) at RAM base + 2 MiB, and the IPC page */
  uint64_t ram0 = hw->mem[0].base;
  uint64_t img_bytes = (uint64_t)(__kernel_end - __image_start);
  uint64_t dest = ram0 + (KERNEL_LINK_BASE & 0x3fffffull);
  uint64_t ipc = ram0 + SHIM_KERNEL_WINDOW - SHIM_PAGE_SIZE;
  if (hw->mem[0].size < SHIM_KERNEL_WINDOW) return fail("the first RAM bank is smaller than the 64 MiB kernel window", 0);
  /* The PE's ImageBase is the link address, so firmware that tries ImageBase first (EDK2)
     loads us right there: then only the part past what it allocated is claimed, no copy. */
  uint64_t here = (uint64_t)__image_start, claim = dest, here_end = here;
  if ((s = get_map()) != 0) return fail("GetMemoryMap", s);
  for (uint64_t i = 0; i < n_desc(); i++)
    if (desc(i)->phys <= here && here < desc(i)->phys + (desc(i)->pages << 12)) here_end = desc(i)->phys + (desc(i)->pages << 12);
  bool in_place = here == dest;
  if (in_place) claim = here_end < dest + img_bytes ? here_end : dest + img_bytes;
  else if (here < dest + img_bytes && here_end > dest) return fail("the firmware loaded us across the kernel window (not at its start)", 0);
  uint64_t a = claim;
  if (claim < dest + img_bytes &&
      (s = bs->allocate_pages(ALLOCATE_ADDRESS, MEM_LOADER_DATA, (dest + img_bytes - claim) / SHIM_PAGE_SIZE, &a)) != 0) {
    say("[shim] efi: the kernel window ");
    say_hex(dest);
    say("+");
    say_hex(img_bytes);
    say(" is not free memory; the firmware's map there:\n");
    say_map_overlaps(dest, dest + img_bytes);
    return fail("kernel window taken", s);
  }
  a = ipc;
  if ((s = bs->allocate_pages(ALLOCATE_ADDRESS, MEM_LOADER_DATA, 1, &a)) != 0) return fail("the IPC buffer page at the top of the kernel window is not free", s);
  /* The handoff and the map buffer were allocated before the window was ours and may lie in
     it; allocated again now they cannot (the first ones are left to the firmware). */
  struct efi_handoff *ho = NULL;
  if ((s = bs->allocate_pool(MEM_LOADER_DATA, sizeof(*ho), (void **)&ho)) != 0) return fail("AllocatePool for the handoff", s);
  memcpy(ho, g_hop, sizeof(*ho));
  g_hop = ho;
  if ((s = alloc_map()) != 0) return fail("GetMemoryMap", s);

  say("[shim] efi: ");
  say(dtb ? "dtb=" : "acpi");
  if (dtb) say_hex(dtb);
  say(" image=");
  say_hex(here);
  if (!in_place) {
    say("->");
    say_hex(dest);
  }
  if (g_ho.flags & EFI_HO_HAVE_FB) {
    say(" gop=");
    say_dec(g_ho.fb.width);
    say("x");
    say_dec(g_ho.fb.height);
    say("@");
    say_hex(g_ho.fb.base);
  } else {
    say(" gop=none");
  }
  say("\n");

  /* 4. memory map and ExitBootServices; after the first call only these two may be used */
  for (;;) {
    s = get_map();
    if (s == EFI_BUFFER_TOO_SMALL && g_ho.ebs_tries == 0) {
      if ((s = alloc_map()) != 0) return fail("GetMemoryMap", s);
      continue;
    }
    if (s != 0) {
      if (g_ho.ebs_tries == 0) return fail("GetMemoryMap", s);
      stranded();
    }
    g_ho.ebs_tries++;
#ifdef SHIM_EFI_STALE_KEY_ONCE
    /* debug build (docs/UEFI.md): a stale key on the first call, to exercise the retry */
    if (g_ho.ebs_tries == 1) g_map_key++;
#endif
    s = bs->exit_boot_services(image, g_map_key);
    if (s == 0) break;
    if (s != EFI_INVALID_PARAMETER || g_ho.ebs_tries >= EFI_EBS_TRIES) {
      if (g_ho.ebs_tries == 1) return fail("ExitBootServices", s);
      stranded();
    }
  }

  /* 5. what RAM must stay untouched */
  g_ho.map_entries = (uint32_t)n_desc();
  digest_reserved();

  /* 6. into the window */
  g_ho.magic = EFI_HANDOFF_MAGIC;
  g_ho.version = EFI_HANDOFF_VERSION;
  g_ho.size = sizeof(g_ho);
  g_ho.dtb = dtb;
  if (!in_place) memcpy((void *)dest, __image_start, (size_t)(__bss_start - __image_start));
  clean_to_poc(dest, dest + img_bytes);
  clean_to_poc((uint64_t)g_hop, (uint64_t)g_hop + sizeof(g_ho));
  if (dtb) clean_to_poc(dtb, dtb + fdt_total_size((const void *)dtb));
  __asm__ volatile("ic iallu\n dsb sy\n isb" ::: "memory");
  uint64_t enter = dest + ((uint64_t)efi_enter_kernel - (uint64_t)__image_start);
  ((void (*)(uint64_t, uint64_t, uint64_t))enter)(dest, dtb, (uint64_t)g_hop);
  for (;;) wfi();
}
