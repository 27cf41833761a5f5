// build/esp.mjs: the GPT + FAT32 ESP disk image. Reproducible (two builds, same bytes), a valid GPT
// (both headers and entry arrays CRC-checked, protective MBR), a FAT32 ESP whose BOOTAA64.EFI is
// out/cohesix.img byte for byte (read back with mtools, checked with fsck.fat), and the manifest's
// [uefi] esp_mib bound at and past its edge.

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../host/runtime/qemu.js";

const SECTOR = 512;
const ESP_TYPE = Buffer.from("28732ac11ff8d211ba4b00a0c93ec93b", "hex"); // C12A7328-F81F-11D2-BA4B-00A0C93EC93B on disk
const tmp = mkdtempSync(join(tmpdir(), "cohesix-esp-test-"));

function esp(out: string, env?: string): { status: number | null; stdout: string; stderr: string } {
  const args = [resolve(ROOT, "build/esp.mjs"), "--force", "--json", "--out", out];
  if (env) args.push("--manifest-env", env);
  const r = spawnSync(process.execPath, args, { encoding: "utf8", env: { ...process.env, SOURCE_DATE_EPOCH: "" } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return ~c >>> 0;
}

function checkHeader(disk: Buffer, lba: number): { entriesLba: number; alt: number; first: bigint; last: bigint; diskGuid: Buffer } {
  const h = disk.subarray(lba * SECTOR, lba * SECTOR + SECTOR);
  expect(h.toString("latin1", 0, 8)).toBe("EFI PART");
  const size = h.readUInt32LE(12);
  expect(size).toBe(92);
  const copy = Buffer.from(h.subarray(0, size));
  copy.writeUInt32LE(0, 16);
  expect(crc32(copy)).toBe(h.readUInt32LE(16));
  expect(Number(h.readBigUInt64LE(24))).toBe(lba);
  const entriesLba = Number(h.readBigUInt64LE(72));
  const n = h.readUInt32LE(80);
  const es = h.readUInt32LE(84);
  const entries = disk.subarray(entriesLba * SECTOR, entriesLba * SECTOR + n * es);
  expect(crc32(entries)).toBe(h.readUInt32LE(88));
  return { entriesLba, alt: Number(h.readBigUInt64LE(32)), first: h.readBigUInt64LE(40), last: h.readBigUInt64LE(48), diskGuid: h.subarray(56, 72) };
}

function envWith(overrides: Record<string, string>): string {
  const base = readFileSync(resolve(ROOT, "qemu/manifest.env"), "utf8")
    .split("\n")
    .filter((l) => !Object.keys(overrides).some((k) => l.startsWith(k + "=")));
  const path = join(tmp, `env-${Object.values(overrides).join("-")}`);
  writeFileSync(path, [...base, ...Object.entries(overrides).map(([k, v]) => `${k}=${v}`)].join("\n"));
  return path;
}

describe("npm run esp: out/cohesix-esp.img", () => {
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const a = join(tmp, "a.img");
  const b = join(tmp, "b.img");

  it("is reproducible: two builds give the same bytes, and the JSON result names their sha256", () => {
    const ra = esp(a);
    expect(ra.status, ra.stderr).toBe(0);
    const rb = esp(b);
    expect(rb.status, rb.stderr).toBe(0);
    const da = readFileSync(a);
    expect(da.equals(readFileSync(b))).toBe(true);
    const res = JSON.parse(ra.stdout) as { bytes: number; sha256: string; upToDate: boolean };
    expect(res).toMatchObject({ bytes: da.length, upToDate: false, sha256: createHash("sha256").update(da).digest("hex") });
    expect(ra.stderr).toMatch(/\[esp\] FAT32 40 MiB/); // progress on stderr
  });

  it("has a protective MBR and a valid GPT (primary and backup) with one EFI System Partition", () => {
    const disk = readFileSync(a);
    expect(disk.length % SECTOR).toBe(0);
    const lastLba = disk.length / SECTOR - 1;
    expect(disk[510]).toBe(0x55);
    expect(disk[511]).toBe(0xaa);
    expect(disk[446 + 4]).toBe(0xee);
    expect(disk.readUInt32LE(446 + 8)).toBe(1);
    const p = checkHeader(disk, 1);
    const s = checkHeader(disk, lastLba);
    expect(p.alt).toBe(lastLba);
    expect(s.alt).toBe(1);
    expect(p.diskGuid.equals(s.diskGuid)).toBe(true);
    const e = disk.subarray(p.entriesLba * SECTOR);
    expect(e.subarray(0, 16).equals(ESP_TYPE)).toBe(true);
    const start = Number(e.readBigUInt64LE(32));
    const end = Number(e.readBigUInt64LE(40));
    expect(start).toBe(2048);
    expect(BigInt(start) >= p.first && BigInt(end) <= p.last).toBe(true);
    expect((end - start + 1) * SECTOR).toBe(40 * 1024 * 1024);
    expect(e.subarray(128, 256).every((x) => x === 0)).toBe(true); // exactly one partition
    expect(disk.subarray(s.entriesLba * SECTOR, s.entriesLba * SECTOR + 128 * 128).equals(e.subarray(0, 128 * 128))).toBe(true);
    // version-8 GUIDs (derived from the manifest hash), not random ones
    expect(e[16 + 7] >> 4).toBe(8);
  });

  it("holds a clean FAT32 file system with EFI/BOOT/BOOTAA64.EFI = out/cohesix.img and startup.nsh", () => {
    const part = `${a}@@${2048 * SECTOR}`;
    const efi = join(tmp, "BOOTAA64.EFI");
    const r = spawnSync("mcopy", ["-n", "-i", part, "::/EFI/BOOT/BOOTAA64.EFI", efi], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    expect(readFileSync(efi).equals(readFileSync(resolve(ROOT, "out/cohesix.img")))).toBe(true);
    const nsh = spawnSync("mtype", ["-i", part, "::/startup.nsh"], { encoding: "utf8" });
    expect(nsh.stdout).toContain("\\EFI\\BOOT\\BOOTAA64.EFI");
    const info = spawnSync("minfo", ["-i", part], { encoding: "utf8" });
    expect(info.stdout).toMatch(/disk type="FAT32/);
    const fat = join(tmp, "esp.fat");
    writeFileSync(fat, readFileSync(a).subarray(2048 * SECTOR, (2048 + 40 * 2048) * SECTOR));
    const fsck = spawnSync("fsck.fat", ["-n", "-v", fat], { encoding: "utf8" });
    expect(fsck.status, fsck.stdout + fsck.stderr).toBe(0);
    expect(fsck.stdout).toMatch(/512 bytes per cluster/);
  });

  it("derives its GUIDs and volume id from the manifest hash", () => {
    const other = join(tmp, "other.img");
    const r = esp(other, envWith({ COH_MANIFEST_SHA256: "0".repeat(64) }));
    expect(r.status, r.stderr).toBe(0);
    const x = readFileSync(a);
    const y = readFileSync(other);
    expect(x.subarray(SECTOR + 56, SECTOR + 72).equals(y.subarray(SECTOR + 56, SECTOR + 72))).toBe(false);
    // FAT32 volume id at offset 67 of the partition's boot sector
    const vid = (d: Buffer): number => d.readUInt32LE(2048 * SECTOR + 67);
    expect(vid(x)).not.toBe(vid(y));
    expect(vid(x)).toBe(createHash("sha256").update(`${readEnvSha()}:volume-id`).digest().readUInt32BE(0));
  });

  it("[uefi] esp_mib: 34 (the FAT32 minimum) builds, 33 is refused with a clear error", () => {
    const ok = esp(join(tmp, "min.img"), envWith({ COH_UEFI_ESP_MIB: "34" }));
    expect(ok.status, ok.stderr).toBe(0);
    expect(readFileSync(join(tmp, "min.img")).length).toBe((2048 + 34 * 2048 + 2048) * SECTOR);
    const bad = esp(join(tmp, "small.img"), envWith({ COH_UEFI_ESP_MIB: "33" }));
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/esp: error: .*COH_UEFI_ESP_MIB=33 is outside 34\.\.4096/);
  });
});

function readEnvSha(): string {
  const m = /^COH_MANIFEST_SHA256=([0-9a-f]{64})$/m.exec(readFileSync(resolve(ROOT, "qemu/manifest.env"), "utf8"));
  if (!m) throw new Error("no COH_MANIFEST_SHA256 in qemu/manifest.env");
  return m[1];
}
