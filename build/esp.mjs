#!/usr/bin/env node
// npm run esp: out/cohesix.img -> out/cohesix-esp.img, a GPT disk image with one FAT32 EFI
// System Partition holding EFI/BOOT/BOOTAA64.EFI (the same bytes as the -kernel image) and a
// startup.nsh for the UEFI shell. Built without root: mkfs.fat writes the file system into a
// plain file, mtools copies files into it, and the GPT around it is written here.
//
// Reproducible: the volume id and both GUIDs are derived from the manifest's sha256, every
// timestamp is SOURCE_DATE_EPOCH (default 2020-01-01), mkfs.fat runs with --invariant. Two builds
// of the same inputs give the same bytes (tests/esp.test.ts). Skipped when the output is newer
// than its inputs; progress goes to stderr, the result (size, sha256) to stdout.
//
//   node build/esp.mjs [--image out/cohesix.img] [--out out/cohesix-esp.img] [--force] [--json]

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync, writeSync, copyFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const SECTOR = 512;
const ESP_START_LBA = 2048; // 1 MiB: the usual alignment, room for the primary GPT
const ENTRIES = 128;
const ENTRY_BYTES = 128;
const ENTRY_SECTORS = (ENTRIES * ENTRY_BYTES) / SECTOR; // 32
const ESP_TYPE = "c12a7328-f81f-11d2-ba4b-00a0c93ec93b";
const DEFAULT_EPOCH = 1577836800; // 2020-01-01T00:00:00Z
const VOLUME_LABEL = "COHESIX";

const argv = yargs(hideBin(process.argv))
  .scriptName("esp")
  .usage("$0 [options]: build the GPT + FAT32 ESP disk image from out/cohesix.img")
  .option("image", { type: "string", default: join(root, "out/cohesix.img"), describe: "EFI application to install as BOOTAA64.EFI" })
  .option("out", { type: "string", default: join(root, "out/cohesix-esp.img"), describe: "disk image to write" })
  .option("manifest-env", { type: "string", default: process.env.COH_MANIFEST_ENV ?? join(root, "qemu/manifest.env"), describe: "generated manifest.env (COH_MANIFEST_SHA256, COH_UEFI_ESP_MIB)" })
  .option("force", { type: "boolean", default: false, describe: "rebuild even when up to date" })
  .option("json", { type: "boolean", default: false, describe: "print the result as JSON" })
  .strict()
  .help()
  .parseSync();

function fail(msg) {
  process.stderr.write(`esp: error: ${msg}\n`);
  process.exit(1);
}
const progress = (msg) => process.stderr.write(`[esp] ${msg}\n`);

function readEnv(path) {
  if (!existsSync(path)) fail(`${path} not found: run \`npm run gen\` first`);
  const env = {};
  for (const line of readFileSync(path, "utf8").split("\n")) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2].replace(/^"(.*)"$/, "$1");
  }
  return env;
}

function tool(cmd, fix) {
  if (spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status !== 0) fail(`missing tool ${cmd} (${fix}); \`bash .ci/setup\` installs it`);
}

function run(cmd, args, env) {
  const r = spawnSync(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  if (r.error) fail(`cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${cmd} ${args.join(" ")} exited with status ${r.status}: ${r.stderr.toString().trim()}`);
}

// ---- CRC32 (IEEE 802.3, as GPT uses) ----
const CRC_TABLE = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

// GUID text -> the 16 bytes GPT stores (first three fields little-endian)
function guidBytes(text) {
  const h = text.replace(/-/g, "");
  const b = Buffer.from(h, "hex");
  b.subarray(0, 4).reverse();
  b.subarray(4, 6).reverse();
  b.subarray(6, 8).reverse();
  return b;
}
// A stable GUID from the manifest hash and a purpose: sha256 -> 16 bytes, RFC 9562 version 8 + variant
function derivedGuid(seed, purpose) {
  const d = createHash("sha256").update(`${seed}:${purpose}`).digest().subarray(0, 16);
  d[6] = (d[6] & 0x0f) | 0x80;
  d[8] = (d[8] & 0x3f) | 0x80;
  const h = d.toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

function gptHeader({ myLba, altLba, firstUsable, lastUsable, diskGuid, entriesLba, entriesCrc }) {
  const h = Buffer.alloc(SECTOR);
  h.write("EFI PART", 0, "ascii");
  h.writeUInt32LE(0x00010000, 8);
  h.writeUInt32LE(92, 12);
  h.writeBigUInt64LE(BigInt(myLba), 24);
  h.writeBigUInt64LE(BigInt(altLba), 32);
  h.writeBigUInt64LE(BigInt(firstUsable), 40);
  h.writeBigUInt64LE(BigInt(lastUsable), 48);
  guidBytes(diskGuid).copy(h, 56);
  h.writeBigUInt64LE(BigInt(entriesLba), 72);
  h.writeUInt32LE(ENTRIES, 80);
  h.writeUInt32LE(ENTRY_BYTES, 84);
  h.writeUInt32LE(entriesCrc, 88);
  h.writeUInt32LE(crc32(h.subarray(0, 92)), 16);
  return h;
}

function protectiveMbr(totalSectors) {
  const m = Buffer.alloc(SECTOR);
  const e = 446;
  m[e + 1] = 0x00; // CHS of LBA 1: head 0, sector 2, cylinder 0
  m[e + 2] = 0x02;
  m[e + 3] = 0x00;
  m[e + 4] = 0xee; // GPT protective
  m[e + 5] = 0xff;
  m[e + 6] = 0xff;
  m[e + 7] = 0xff;
  m.writeUInt32LE(1, e + 8);
  m.writeUInt32LE(Math.min(totalSectors - 1, 0xffffffff), e + 12);
  m[510] = 0x55;
  m[511] = 0xaa;
  return m;
}

function build() {
  const image = resolve(argv.image);
  const out = resolve(argv.out);
  const envPath = resolve(argv["manifest-env"]);
  if (!existsSync(image)) fail(`${image} not found: run \`npm run build\` first`);
  const env = readEnv(envPath);
  const seed = env.COH_MANIFEST_SHA256;
  if (!/^[0-9a-f]{64}$/.test(seed ?? "")) fail(`${envPath}: COH_MANIFEST_SHA256 missing or not a sha256`);
  const espMiB = Number(env.COH_UEFI_ESP_MIB ?? "40");
  // FAT32 needs at least 65525 clusters: 33 MiB of 512-byte clusters plus FATs
  if (!Number.isInteger(espMiB) || espMiB < 34 || espMiB > 4096) fail(`${envPath}: COH_UEFI_ESP_MIB=${env.COH_UEFI_ESP_MIB} is outside 34..4096`);

  const inputs = [image, envPath, fileURLToPath(import.meta.url)];
  if (!argv.force && existsSync(out) && statSync(out).mtimeMs >= Math.max(...inputs.map((p) => statSync(p).mtimeMs))) {
    return { path: out, ...describe(out), upToDate: true };
  }
  tool("mkfs.fat", "apt-get install dosfstools");
  tool("mcopy", "apt-get install mtools");

  const epoch = Number(process.env.SOURCE_DATE_EPOCH ?? DEFAULT_EPOCH);
  const volumeId = createHash("sha256").update(`${seed}:volume-id`).digest().subarray(0, 4).toString("hex");
  const diskGuid = derivedGuid(seed, "disk");
  const partGuid = derivedGuid(seed, "esp");
  const espSectors = (espMiB * 1024 * 1024) / SECTOR;
  const totalSectors = ESP_START_LBA + espSectors + 2048; // 1 MiB tail: backup GPT, keeps the size MiB aligned
  const lastLba = totalSectors - 1;
  const backupEntriesLba = lastLba - ENTRY_SECTORS;
  const lastUsable = backupEntriesLba - 1;

  const tmp = mkdtempSync(join(tmpdir(), "cohesix-esp-"));
  try {
    progress(`FAT32 ${espMiB} MiB, volume id ${volumeId}, label ${VOLUME_LABEL}`);
    const fat = join(tmp, "esp.fat");
    const dateEnv = { SOURCE_DATE_EPOCH: String(epoch), TZ: "UTC" };
    // --invariant first: it fixes every time- or random-based value, then -i sets ours
    run("mkfs.fat", ["--invariant", "-F", "32", "-S", "512", "-s", "1", "-h", String(ESP_START_LBA), "-i", volumeId, "-n", VOLUME_LABEL, "-C", fat, String(espMiB * 1024)], dateEnv);
    const efi = join(tmp, "BOOTAA64.EFI");
    const nsh = join(tmp, "startup.nsh");
    copyFileSync(image, efi);
    // The UEFI shell runs startup.nsh when no boot option worked: start the same loader.
    writeFileSync(nsh, "@echo -off\r\nfs0:\r\n\\EFI\\BOOT\\BOOTAA64.EFI\r\n");
    for (const f of [efi, nsh]) utimesSync(f, epoch, epoch);
    run("mmd", ["-i", fat, "::/EFI", "::/EFI/BOOT"], dateEnv);
    run("mcopy", ["-m", "-i", fat, efi, "::/EFI/BOOT/BOOTAA64.EFI"], dateEnv);
    run("mcopy", ["-m", "-i", fat, nsh, "::/startup.nsh"], dateEnv);
    progress(`EFI/BOOT/BOOTAA64.EFI (${statSync(efi).size} bytes), startup.nsh`);

    const entries = Buffer.alloc(ENTRIES * ENTRY_BYTES);
    guidBytes(ESP_TYPE).copy(entries, 0);
    guidBytes(partGuid).copy(entries, 16);
    entries.writeBigUInt64LE(BigInt(ESP_START_LBA), 32);
    entries.writeBigUInt64LE(BigInt(ESP_START_LBA + espSectors - 1), 40);
    entries.write("EFI System Partition", 56, "utf16le");
    const entriesCrc = crc32(entries);
    const common = { firstUsable: ESP_START_LBA > 34 ? 34 : ESP_START_LBA, lastUsable, diskGuid, entriesCrc };

    const partial = `${out}.tmp`;
    const fd = openSync(partial, "w");
    try {
      writeSync(fd, protectiveMbr(totalSectors), 0, SECTOR, 0);
      writeSync(fd, gptHeader({ ...common, myLba: 1, altLba: lastLba, entriesLba: 2 }), 0, SECTOR, SECTOR);
      writeSync(fd, entries, 0, entries.length, 2 * SECTOR);
      const fatBytes = readFileSync(fat);
      if (fatBytes.length !== espSectors * SECTOR) fail(`mkfs.fat made ${fatBytes.length} bytes, expected ${espSectors * SECTOR}`);
      writeSync(fd, fatBytes, 0, fatBytes.length, ESP_START_LBA * SECTOR);
      writeSync(fd, entries, 0, entries.length, backupEntriesLba * SECTOR);
      writeSync(fd, gptHeader({ ...common, myLba: lastLba, altLba: 1, entriesLba: backupEntriesLba }), 0, SECTOR, lastLba * SECTOR);
    } finally {
      closeSync(fd);
    }
    copyFileSync(partial, out);
    rmSync(partial);
    const d = describe(out);
    writeFileSync(`${out}.sha256`, `${d.sha256}  ${d.bytes}\n`); // read back by the up-to-date path
    progress(`GPT: disk ${diskGuid}, ESP ${partGuid} at LBA ${ESP_START_LBA}..${ESP_START_LBA + espSectors - 1}`);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  return { path: out, ...describe(out), upToDate: false };
}

function describe(path) {
  const side = `${path}.sha256`;
  if (existsSync(side) && statSync(side).mtimeMs >= statSync(path).mtimeMs) {
    const m = /^([0-9a-f]{64}) {2}(\d+)$/.exec(readFileSync(side, "utf8").trim());
    if (m) return { bytes: Number(m[2]), sha256: m[1] };
  }
  const bytes = readFileSync(path);
  return { bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
}

const result = build();
if (argv.json) {
  process.stdout.write(JSON.stringify({ ...result, path: relative(root, result.path) }) + "\n");
} else {
  const state = result.upToDate ? "up to date" : "built";
  process.stdout.write(`[esp] ${relative(root, result.path)}: ${state}, ${result.bytes} bytes, sha256 ${result.sha256}\n`);
}
