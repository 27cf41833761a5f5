/*
 * Host CLI around src/bootinfo.c (and src/fdt.c) for the vitest suite:
 *
 *   bootinfo_host --ram 0x40000000:0x40000000 --gic 0x08000000:0x10000 \
 *                 --gic 0x080a0000:0xf60000 --uart 0x09000000:0x1000 \
 *                 --gic-version 3 --dtb 0
 *   bootinfo_host --dtb-file virt.dtb [--dtb 0x...]
 *
 * Writes the CBI1 blob as one line of lowercase hex on stdout. With
 * --dtb-file the ranges come from a real DTB (e.g. QEMU's -M virt,dumpdtb=F)
 * through the same FDT walker the shim uses. Exit 0 ok, 1 synthesis or
 * parse error, 2 usage error; diagnostics go to stderr.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bootinfo.h"
#include "fdt.h"

static void usage(void) {
  fprintf(stderr,
          "usage: bootinfo_host [--ram B:S]... [--gic B:S]... [--uart B:S] [--gic-version N] [--dtb ADDR]\n"
          "                     [--dtb-file FILE]\n");
  exit(2);
}

static uint64_t num(const char *s) {
  char *end;
  unsigned long long v = strtoull(s, &end, 0);
  if (*s == '\0' || *end != '\0') usage();
  return v;
}

static struct cbi_range range(char *s) {
  char *colon = strchr(s, ':');
  if (colon == NULL) usage();
  *colon = '\0';
  return (struct cbi_range){ num(s), num(colon + 1) };
}

static int from_dtb_file(const char *path, struct cbi_input *in) {
  static uint8_t buf[2 << 20]; /* QEMU's virt DTB is at most 1 MiB */
  FILE *f = fopen(path, "rb");
  if (f == NULL) {
    perror(path);
    return -1;
  }
  size_t n = fread(buf, 1, sizeof(buf), f);
  fclose(f);
  static struct fdt_info hw;
  int err = fdt_parse(buf, n, &hw);
  if (err) {
    fprintf(stderr, "%s: %s\n", path, fdt_strerror(err));
    return -1;
  }
  for (unsigned i = 0; i < hw.n_mem && in->n_ram < CBI_MAX_RAM; i++)
    in->ram[in->n_ram++] = (struct cbi_range){ hw.mem[i].base, hw.mem[i].size };
  for (unsigned i = 0; i < hw.n_gic_regs && in->n_kernel_dev < CBI_MAX_KERNEL_DEV; i++)
    in->kernel_dev[in->n_kernel_dev++] = (struct cbi_range){ hw.gic_regs[i].base, hw.gic_regs[i].size };
  in->uart = (struct cbi_range){ hw.uart_base, hw.uart_size };
  in->gic_version = hw.gic_version;
  fprintf(stderr, "dtb: ram=%u gic=v%u regs=%u uart=0x%llx+0x%llx irq=%u timer=%u/%u psci=%d virtio=%u rng=%u kaslr=%d\n",
          hw.n_mem, hw.gic_version, hw.n_gic_regs, (unsigned long long)hw.uart_base,
          (unsigned long long)hw.uart_size, hw.uart_intid, hw.timer_phys_intid, hw.timer_virt_intid,
          hw.psci_method, hw.n_virtio, hw.rng_seed_len, hw.has_kaslr_seed);
  return 0;
}

int main(int argc, char **argv) {
  static struct cbi_input in;
  static uint8_t blob[CBI_MAX_BYTES];
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (i + 1 >= argc) usage();
    char *v = argv[++i];
    if (strcmp(a, "--ram") == 0) {
      if (in.n_ram >= CBI_MAX_RAM) usage();
      in.ram[in.n_ram++] = range(v);
    } else if (strcmp(a, "--gic") == 0) {
      if (in.n_kernel_dev >= CBI_MAX_KERNEL_DEV) usage();
      in.kernel_dev[in.n_kernel_dev++] = range(v);
    } else if (strcmp(a, "--uart") == 0) {
      in.uart = range(v);
    } else if (strcmp(a, "--gic-version") == 0) {
      in.gic_version = (unsigned)num(v);
    } else if (strcmp(a, "--dtb") == 0) {
      in.dtb_paddr = num(v);
    } else if (strcmp(a, "--dtb-file") == 0) {
      if (from_dtb_file(v, &in) != 0) return 1;
    } else {
      usage();
    }
  }
  struct cbi_result res;
  int err = cbi_build(&in, blob, sizeof(blob), &res);
  if (err) {
    fprintf(stderr, "bootinfo: %s\n", cbi_strerror(err));
    return 1;
  }
  if (res.dropped)
    fprintf(stderr, "bootinfo: %u untyped (%llu bytes) over the %u-descriptor limit not handed out\n",
            res.dropped, (unsigned long long)res.dropped_bytes, CBI_MAX_UNTYPED);
  for (uint32_t i = 0; i < res.len; i++) printf("%02x", blob[i]);
  printf("\n");
  return 0;
}
