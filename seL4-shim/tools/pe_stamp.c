/*
 * pe_stamp: turns the flat image (objcopy -O binary of cohesix.elf) into a file that is
 * both a Linux arm64 Image and a PE32+ EFI application, in place.
 *
 *   pe_stamp IMAGE SYMS        SYMS = `nm -P cohesix.elf` output plus one line
 *                              "__min_reloc_target A <hex>" (lowest R_AARCH64_RELATIVE offset)
 *
 * head.S leaves "MZ" at 0, the arm64 magic at 0x38, e_lfanew = 0x40 at 0x3c and zeros
 * up to 0x1000; this tool writes the PE signature, COFF header, PE32+ optional header and
 * three section headers there, appends a .reloc section, pads the file to the file
 * alignment and sets the checksum. Why our own header rather than objcopy's pei-aarch64
 * output: objcopy marks the image IMAGE_FILE_RELOCS_STRIPPED, which EDK2 refuses to load
 * anywhere but at ImageBase (docs/UEFI.md).
 *
 * Layout (RVA == file offset for everything the code uses, so the loaded image is the
 * flat image): headers [0, 0x1000); .text [0x1000, __pe_data_start) RX; .data
 * [__pe_data_start, __bss_end) RW (the loader zero-fills .bss); .reloc after it. The
 * image relocates itself (head.S applies its RELA table), so .reloc holds one block of
 * padding entries: present, valid and a no-op for the firmware's loader.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILE_ALIGN 0x200u
#define SECT_ALIGN 0x1000u
#define HEADER_SLOT 0x1000u
#define PE_OFF 0x40u
#define COFF_OFF (PE_OFF + 4)
#define OPT_OFF (COFF_OFF + 20)
#define OPT_SIZE 240u /* PE32+ with 16 data directories */
#define SECT_OFF (OPT_OFF + OPT_SIZE)
#define N_SECT 3u
#define CHECKSUM_OFF (OPT_OFF + 64)

#define IMAGE_FILE_MACHINE_ARM64 0xaa64u
#define IMAGE_FILE_EXECUTABLE_IMAGE 0x0002u
#define IMAGE_FILE_LINE_NUMS_STRIPPED 0x0004u
#define IMAGE_FILE_LARGE_ADDRESS_AWARE 0x0020u
#define IMAGE_FILE_DEBUG_STRIPPED 0x0200u
#define IMAGE_SUBSYSTEM_EFI_APPLICATION 10u
#define IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE 0x0040u
#define IMAGE_DIRECTORY_ENTRY_BASERELOC 5u
#define SCN_CNT_CODE 0x00000020u
#define SCN_CNT_INITIALIZED_DATA 0x00000040u
#define SCN_MEM_DISCARDABLE 0x02000000u
#define SCN_MEM_EXECUTE 0x20000000u
#define SCN_MEM_READ 0x40000000u
#define SCN_MEM_WRITE 0x80000000u

static void die(const char *fmt, const char *a) {
  fprintf(stderr, "pe_stamp: ");
  fprintf(stderr, fmt, a);
  fputc('\n', stderr);
  exit(1);
}

static uint8_t *g_buf;
static size_t g_cap;

static void put16(size_t off, uint32_t v) {
  g_buf[off] = (uint8_t)v;
  g_buf[off + 1] = (uint8_t)(v >> 8);
}
static void put32(size_t off, uint32_t v) {
  put16(off, v & 0xffff);
  put16(off + 2, v >> 16);
}
static void put64(size_t off, uint64_t v) {
  put32(off, (uint32_t)v);
  put32(off + 4, (uint32_t)(v >> 32));
}
static uint32_t align_up(uint64_t v, uint32_t a) { return (uint32_t)((v + a - 1) & ~(uint64_t)(a - 1)); }

/* Finds `name` in `nm -P` output ("name type value [size]"). */
static uint64_t sym(const char *syms, const char *name) {
  size_t n = strlen(name);
  for (const char *p = syms; *p;) {
    if (strncmp(p, name, n) == 0 && p[n] == ' ') {
      const char *v = strchr(p + n + 1, ' ');
      if (v == NULL) break;
      return strtoull(v + 1, NULL, 16);
    }
    p = strchr(p, '\n');
    if (p == NULL) break;
    p++;
  }
  die("symbol %s not found in the symbol list", name);
  return 0;
}

static void section(unsigned i, const char *name, uint32_t vsize, uint32_t rva, uint32_t rawsize, uint32_t rawoff,
                    uint32_t flags) {
  size_t o = SECT_OFF + 40u * i;
  memcpy(g_buf + o, name, strlen(name)); /* 8 bytes, NUL padded (the slot is zero) */
  put32(o + 8, vsize);
  put32(o + 12, rva);
  put32(o + 16, rawsize);
  put32(o + 20, rawoff);
  put32(o + 36, flags); /* relocations, line numbers: none */
}

/* The PE/COFF image checksum: 16-bit one's-complement-style sum with carries folded,
   the checksum field itself skipped, plus the file length. */
static uint32_t pe_checksum(const uint8_t *b, size_t len) {
  uint64_t sum = 0;
  for (size_t i = 0; i < len; i += 2) {
    if (i == CHECKSUM_OFF || i == CHECKSUM_OFF + 2) continue;
    uint32_t w = b[i] | (i + 1 < len ? (uint32_t)b[i + 1] << 8 : 0);
    sum += w;
    sum = (sum & 0xffff) + (sum >> 16);
  }
  sum = (sum & 0xffff) + (sum >> 16);
  return (uint32_t)(sum + len);
}

static char *slurp(const char *path, size_t *len, size_t extra) {
  FILE *f = fopen(path, "rb");
  if (f == NULL) die("cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *b = calloc(1, (size_t)n + extra + 1);
  if (b == NULL || fread(b, 1, (size_t)n, f) != (size_t)n) die("cannot read %s", path);
  fclose(f);
  *len = (size_t)n;
  return b;
}

int main(int argc, char **argv) {
  if (argc != 3) die("%s", "usage: pe_stamp IMAGE SYMS");
  size_t symlen, len;
  char *syms = slurp(argv[2], &symlen, 0);
  /* room for padding and the .reloc section */
  g_buf = (uint8_t *)slurp(argv[1], &len, 2 * FILE_ALIGN + 16);
  g_cap = len + 2 * FILE_ALIGN + 16;

  uint64_t base = sym(syms, "_head");
  uint64_t entry = sym(syms, "efi_entry") - base;
  uint64_t data = sym(syms, "__pe_data_start") - base;
  uint64_t bss_end = sym(syms, "__bss_end") - base;
  uint64_t min_reloc = sym(syms, "__min_reloc_target") - base;

  if (len < HEADER_SLOT || memcmp(g_buf, "MZ", 2) != 0 || memcmp(g_buf + 0x38, "ARM\x64", 4) != 0)
    die("%s: not our flat image (no MZ at 0 or no ARM\\x64 at 0x38)", argv[1]);
  if (g_buf[0x3c] != PE_OFF || g_buf[0x3d] || g_buf[0x3e] || g_buf[0x3f]) die("%s: e_lfanew at 0x3c is not 0x40", argv[1]);
  for (size_t i = PE_OFF; i < HEADER_SLOT; i++)
    if (g_buf[i] != 0) die("%s: the PE header slot 0x40..0x1000 is not empty (stamped twice?)", argv[1]);
  if (data % SECT_ALIGN || data < HEADER_SLOT || data > len) die("%s: __pe_data_start is not a page inside the file", argv[1]);
  if (entry < HEADER_SLOT || entry >= data) die("%s: efi_entry is not inside .text", argv[1]);
  if (min_reloc < data) die("%s: a relocation target lies below __pe_data_start (in the read-only .text view)", argv[1]);
  if (bss_end < len) die("%s: __bss_end lies inside the file", argv[1]);

  uint32_t file_end = align_up(len, FILE_ALIGN);           /* padded flat image */
  uint32_t reloc_rva = align_up(bss_end, SECT_ALIGN);
  uint32_t reloc_off = file_end;
  uint32_t total = reloc_off + FILE_ALIGN;
  uint32_t image_size = reloc_rva + SECT_ALIGN;
  uint32_t text_size = (uint32_t)data - HEADER_SLOT;
  uint32_t data_raw = file_end - (uint32_t)data;
  uint32_t data_virt = align_up(bss_end - data, SECT_ALIGN);
  memset(g_buf + len, 0, g_cap - len);

  /* .reloc: one base-relocation block for page 0 with two IMAGE_REL_BASED_ABSOLUTE (padding) entries */
  put32(reloc_off, 0);
  put32(reloc_off + 4, 12);

  memcpy(g_buf + PE_OFF, "PE\0\0", 4);
  put16(COFF_OFF + 0, IMAGE_FILE_MACHINE_ARM64);
  put16(COFF_OFF + 2, N_SECT);
  put32(COFF_OFF + 4, 0); /* TimeDateStamp: 0, the build is reproducible */
  put16(COFF_OFF + 16, OPT_SIZE);
  put16(COFF_OFF + 18, IMAGE_FILE_EXECUTABLE_IMAGE | IMAGE_FILE_LINE_NUMS_STRIPPED | IMAGE_FILE_LARGE_ADDRESS_AWARE |
                           IMAGE_FILE_DEBUG_STRIPPED); /* no IMAGE_FILE_RELOCS_STRIPPED: loadable anywhere */

  size_t o = OPT_OFF;
  put16(o + 0, 0x20b);        /* PE32+ */
  g_buf[o + 2] = 0x02;        /* linker version 2.40, informational */
  g_buf[o + 3] = 0x28;
  put32(o + 4, text_size);    /* SizeOfCode */
  put32(o + 8, data_raw + FILE_ALIGN); /* SizeOfInitializedData: .data + .reloc */
  put32(o + 12, 0);           /* SizeOfUninitializedData: .bss is part of .data's virtual size */
  put32(o + 16, (uint32_t)entry);
  put32(o + 20, HEADER_SLOT); /* BaseOfCode */
  put64(o + 24, base);        /* ImageBase: the ELF's link address */
  put32(o + 32, SECT_ALIGN);
  put32(o + 36, FILE_ALIGN);
  put16(o + 48, 1);           /* MajorSubsystemVersion (informational) */
  put32(o + 56, image_size);
  put32(o + 60, HEADER_SLOT); /* SizeOfHeaders */
  put16(o + 68, IMAGE_SUBSYSTEM_EFI_APPLICATION);
  put16(o + 70, IMAGE_DLLCHARACTERISTICS_DYNAMIC_BASE);
  put64(o + 72, 0x10000);     /* stack/heap reserve and commit: unused by EFI, conventional values */
  put64(o + 80, 0x10000);
  put64(o + 88, 0x10000);
  put64(o + 96, 0);
  put32(o + 108, 16);         /* NumberOfRvaAndSizes */
  put32(o + 112 + 8 * IMAGE_DIRECTORY_ENTRY_BASERELOC, reloc_rva);
  put32(o + 112 + 8 * IMAGE_DIRECTORY_ENTRY_BASERELOC + 4, 12);

  section(0, ".text", text_size, HEADER_SLOT, text_size, HEADER_SLOT, SCN_CNT_CODE | SCN_MEM_EXECUTE | SCN_MEM_READ);
  section(1, ".data", data_virt, (uint32_t)data, data_raw, (uint32_t)data,
          SCN_CNT_INITIALIZED_DATA | SCN_MEM_READ | SCN_MEM_WRITE);
  section(2, ".reloc", 12, reloc_rva, FILE_ALIGN, reloc_off, SCN_CNT_INITIALIZED_DATA | SCN_MEM_READ | SCN_MEM_DISCARDABLE);

  put32(CHECKSUM_OFF, pe_checksum(g_buf, total));

  FILE *f = fopen(argv[1], "wb");
  if (f == NULL || fwrite(g_buf, 1, total, f) != total || fclose(f) != 0) die("cannot write %s", argv[1]);
  (void)symlen;
  return 0;
}
