// out/cohesix.img is one file with two views: a Linux arm64 Image (QEMU -kernel) and a PE32+ EFI
// application (BOOTAA64.EFI). This parser is written from the PE/COFF specification, independent
// of seL4-shim/tools/pe_stamp.c, and checks every field the firmware relies on; objdump's reading
// of the same header must agree with it.

import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../host/runtime/qemu.js";

const IMG = resolve(ROOT, "out/cohesix.img");
const ELF = resolve(ROOT, "out/cohesix.elf");
const PE_STAMP = resolve(ROOT, "out/shim-host/pe_stamp");

interface Section {
  name: string;
  virtualSize: number;
  rva: number;
  rawSize: number;
  rawOffset: number;
  flags: number;
}

interface Pe {
  machine: number;
  characteristics: number;
  magic: number;
  entry: number;
  baseOfCode: number;
  imageBase: bigint;
  sectionAlignment: number;
  fileAlignment: number;
  sizeOfImage: number;
  sizeOfHeaders: number;
  checksum: number;
  checksumOffset: number;
  subsystem: number;
  dirs: Array<{ rva: number; size: number }>;
  sections: Section[];
}

function parsePe(b: Buffer): Pe {
  if (b.toString("latin1", 0, 2) !== "MZ") throw new Error("no MZ signature");
  const pe = b.readUInt32LE(0x3c);
  if (b.toString("latin1", pe, pe + 4) !== "PE\0\0") throw new Error("no PE signature at e_lfanew");
  const coff = pe + 4;
  const nSections = b.readUInt16LE(coff + 2);
  const optSize = b.readUInt16LE(coff + 16);
  const opt = coff + 20;
  const nDirs = b.readUInt32LE(opt + 108);
  const dirs = Array.from({ length: nDirs }, (_, i) => ({ rva: b.readUInt32LE(opt + 112 + 8 * i), size: b.readUInt32LE(opt + 116 + 8 * i) }));
  const st = opt + optSize;
  const sections = Array.from({ length: nSections }, (_, i) => {
    const o = st + 40 * i;
    return {
      name: b.toString("latin1", o, o + 8).replace(/\0+$/, ""),
      virtualSize: b.readUInt32LE(o + 8),
      rva: b.readUInt32LE(o + 12),
      rawSize: b.readUInt32LE(o + 16),
      rawOffset: b.readUInt32LE(o + 20),
      flags: b.readUInt32LE(o + 36),
    };
  });
  return {
    machine: b.readUInt16LE(coff),
    characteristics: b.readUInt16LE(coff + 18),
    magic: b.readUInt16LE(opt),
    entry: b.readUInt32LE(opt + 16),
    baseOfCode: b.readUInt32LE(opt + 20),
    imageBase: b.readBigUInt64LE(opt + 24),
    sectionAlignment: b.readUInt32LE(opt + 32),
    fileAlignment: b.readUInt32LE(opt + 36),
    sizeOfImage: b.readUInt32LE(opt + 56),
    sizeOfHeaders: b.readUInt32LE(opt + 60),
    checksum: b.readUInt32LE(opt + 64),
    checksumOffset: opt + 64,
    subsystem: b.readUInt16LE(opt + 68),
    dirs,
    sections,
  };
}

/** PE image checksum: 16-bit words summed with end-around carry, checksum field skipped, + length. */
function peChecksum(b: Buffer, checksumOffset: number): number {
  let sum = 0;
  for (let i = 0; i < b.length; i += 2) {
    if (i === checksumOffset || i === checksumOffset + 2) continue;
    sum += b[i] | ((i + 1 < b.length ? b[i + 1] : 0) << 8);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum + b.length) >>> 0;
}

let nmOut: string | undefined;
function nm(symbol: string): bigint {
  nmOut ??= spawnSync("aarch64-linux-gnu-nm", ["-P", ELF], { encoding: "utf8" }).stdout;
  const line = nmOut.split("\n").find((l) => l.startsWith(symbol + " "));
  if (!line) throw new Error(`${symbol} not in ${ELF}`);
  return BigInt("0x" + line.split(" ")[2]);
}

const isPow2 = (n: number): boolean => n > 0 && (n & (n - 1)) === 0;
const SCN_CODE = 0x20;
const SCN_EXECUTE = 0x20000000;
const SCN_WRITE = 0x80000000;

describe("out/cohesix.img as a PE32+ EFI application", () => {
  const img = readFileSync(IMG);
  const pe = parsePe(img);
  const tmp = mkdtempSync(join(tmpdir(), "cohesix-pe-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("machine AArch64, PE32+, subsystem EFI application, not RELOCS_STRIPPED", () => {
    expect(pe.machine).toBe(0xaa64);
    expect(pe.magic).toBe(0x20b);
    expect(pe.subsystem).toBe(10);
    expect(pe.characteristics & 0x0002).toBe(0x0002); // IMAGE_FILE_EXECUTABLE_IMAGE
    expect(pe.characteristics & 0x0001).toBe(0); // IMAGE_FILE_RELOCS_STRIPPED: EDK2 would pin it to ImageBase
    expect(pe.imageBase).toBe(nm("_head"));
    expect(pe.imageBase % 0x10000n).toBe(0n);
  });

  it("sections aligned, inside the file and the image, ascending; headers fill the 4 KiB slot", () => {
    expect(isPow2(pe.fileAlignment) && pe.fileAlignment >= 512 && pe.fileAlignment <= 0x10000).toBe(true);
    expect(isPow2(pe.sectionAlignment) && pe.sectionAlignment >= pe.fileAlignment).toBe(true);
    expect(pe.sizeOfHeaders).toBe(0x1000);
    expect(pe.sizeOfImage % pe.sectionAlignment).toBe(0);
    expect(img.length % pe.fileAlignment).toBe(0);
    expect(pe.sections.map((s) => s.name)).toEqual([".text", ".data", ".reloc"]);
    let lastEnd = pe.sizeOfHeaders;
    for (const s of pe.sections) {
      expect(s.rva % pe.sectionAlignment, s.name).toBe(0);
      expect(s.rawOffset % pe.fileAlignment, s.name).toBe(0);
      expect(s.rawSize % pe.fileAlignment, s.name).toBe(0);
      expect(s.rawOffset + s.rawSize, s.name).toBeLessThanOrEqual(img.length);
      expect(s.rva, s.name).toBeGreaterThanOrEqual(lastEnd);
      lastEnd = s.rva + Math.max(s.virtualSize, s.rawSize);
      expect(lastEnd, s.name).toBeLessThanOrEqual(pe.sizeOfImage);
    }
    // the code the firmware runs is where the flat image has it: RVA == file offset
    for (const s of pe.sections.slice(0, 2)) expect(s.rva, s.name).toBe(s.rawOffset);
    const text = pe.sections[0];
    expect(text.flags & (SCN_CODE | SCN_EXECUTE)).toBe(SCN_CODE | SCN_EXECUTE);
    expect(text.flags & SCN_WRITE).toBe(0);
    expect(pe.sections[1].flags & SCN_EXECUTE).toBe(0);
    expect(pe.baseOfCode).toBe(text.rva);
  });

  it("entry point is efi_entry, inside .text", () => {
    const text = pe.sections[0];
    expect(BigInt(pe.entry)).toBe(nm("efi_entry") - nm("_head"));
    expect(pe.entry >= text.rva && pe.entry < text.rva + text.virtualSize).toBe(true);
  });

  it("relocatable: a .reloc section with well-formed base-relocation blocks, named by the directory", () => {
    const reloc = pe.sections[2];
    const dir = pe.dirs[5];
    expect(pe.dirs.length).toBe(16);
    expect(dir.rva).toBe(reloc.rva);
    expect(dir.size).toBeGreaterThanOrEqual(8);
    expect(dir.size).toBeLessThanOrEqual(reloc.virtualSize);
    for (let o = 0; o < dir.size; ) {
      const page = img.readUInt32LE(reloc.rawOffset + o);
      const size = img.readUInt32LE(reloc.rawOffset + o + 4);
      expect(size >= 8 && size % 4 === 0 && o + size <= dir.size).toBe(true);
      expect(page % 0x1000).toBe(0);
      for (let e = 8; e < size; e += 2) {
        const type = img.readUInt16LE(reloc.rawOffset + o + e) >> 12;
        expect([0, 10]).toContain(type); // ABSOLUTE (padding) or DIR64
      }
      o += size;
    }
  });

  it("checksum valid, and a flipped byte makes it wrong", () => {
    expect(pe.checksum).toBe(peChecksum(img, pe.checksumOffset));
    const bad = Buffer.from(img);
    bad[0x2000] ^= 0x01;
    expect(peChecksum(bad, pe.checksumOffset)).not.toBe(pe.checksum);
  });

  it("objdump reads the same header (binutils' own PE parser)", () => {
    const r = spawnSync("aarch64-linux-gnu-objdump", ["-x", IMG], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("file format pei-aarch64-little");
    const field = (name: string): number => parseInt((new RegExp(`^${name}\\s+([0-9a-f]+)`, "m").exec(r.stdout) ?? ["", "-1"])[1], 16);
    expect(field("AddressOfEntryPoint")).toBe(pe.entry);
    expect(field("SizeOfImage")).toBe(pe.sizeOfImage);
    expect(field("CheckSum")).toBe(pe.checksum);
    expect(field("Subsystem")).toBe(10);
    expect(r.stdout).not.toMatch(/RELOCS_STRIPPED|relocations stripped/);
  });

  it("the Linux arm64 Image view is intact and the stamp changed nothing else", () => {
    expect(img.toString("latin1", 0x38, 0x3c)).toBe("ARM\x64");
    expect(img.readUInt32LE(0)).toBe(0x91005a4d); // "MZ" that executes as add x13, x18, #0x16
    const code1 = img.readUInt32LE(4);
    expect(code1 >>> 26).toBe(0b000101); // b <imm26>
    const target = 4 + (((code1 & 0x3ffffff) << 6) >> 4);
    expect(BigInt(target)).toBe(nm("_entry") - nm("_head"));
    expect(img.readBigUInt64LE(8)).toBe(0n); // text_offset
    expect(img.readBigUInt64LE(16)).toBe(nm("__kernel_end") - nm("_head")); // image_size
    const flat = join(tmp, "flat.bin");
    expect(spawnSync("aarch64-linux-gnu-objcopy", ["-O", "binary", ELF, flat]).status).toBe(0);
    const raw = readFileSync(flat);
    expect(img.subarray(0, 0x40)).toEqual(raw.subarray(0, 0x40));
    expect(raw.subarray(0x40, 0x1000).every((b) => b === 0)).toBe(true);
    expect(img.subarray(0x1000, raw.length).equals(raw.subarray(0x1000))).toBe(true); // (toEqual is slow on 400 KB)
  });

  it("pe_stamp refuses an image that is already stamped, and leaves it alone", () => {
    const copy = join(tmp, "again.img");
    copyFileSync(IMG, copy);
    const syms = join(tmp, "syms");
    const r = spawnSync(PE_STAMP, [copy, syms], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
    const r2 = spawnSync(PE_STAMP, [copy, resolve(ROOT, "out/shim/pe.syms")], { encoding: "utf8" });
    expect(r2.status).toBe(1);
    expect(r2.stderr).toMatch(/not empty \(stamped twice\?\)/);
    expect(readFileSync(copy).equals(img)).toBe(true);
  });
});
