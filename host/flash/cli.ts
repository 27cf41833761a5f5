// cohesix-flash (npm run flash): writes out/cohesix-esp.img to a removable disk for a UEFI board.
// Refuses mounted or in-use devices, partitions and too-small targets; non-removable disks and
// disks over [uefi] flash_max_gib only with --force. Shows what it will overwrite, asks (--yes
// for scripts), writes with progress on stderr, reads back and compares. A regular file is a
// valid target too (what the tests use; also handy for making a copy).
//
//   npm run flash -- --device /dev/sdX [--image out/cohesix-esp.img] [--yes] [--force] [--json]

import { createHash } from "node:crypto";
import { closeSync, fsyncSync, openSync, readSync, statSync, writeSync } from "node:fs";
import { createInterface } from "node:readline";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { MANIFEST } from "../generated/manifest.js";
import { decide, gatherFacts, SYSTEM_ROOTS, type TargetFacts } from "./target.js";

const CHUNK = 4 << 20;
const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

class FlashError extends Error {
  constructor(
    readonly reason: string,
    readonly detail: string,
    readonly code = 2,
  ) {
    super(`ERR FLASH reason=${reason} detail=${detail}`);
  }
}

/** What is on the target now, in one line: its partition table if it has one. */
function describeContent(path: string): string {
  const fd = openSync(path, "r");
  try {
    const b = Buffer.alloc(1024);
    const n = readSync(fd, b, 0, b.length, 0);
    if (n >= 1024 && b.toString("latin1", 512, 520) === "EFI PART") {
      const g = b.subarray(512 + 56, 512 + 72);
      return `a GPT disk (disk GUID bytes ${g.toString("hex")})`;
    }
    if (n >= 512 && b[510] === 0x55 && b[511] === 0xaa) return "an MBR-partitioned disk";
    if (b.subarray(0, n).every((x) => x === 0)) return n === 0 ? "empty" : "zeros at the start";
    return "data without a partition table";
  } finally {
    closeSync(fd);
  }
}

function summary(f: TargetFacts): string {
  const gib = (f.sizeBytes / 2 ** 30).toFixed(2);
  if (f.kind === "file") return `${f.path}: regular file, ${f.sizeBytes} bytes`;
  return `${f.path}: block device ${f.name}${f.model ? ` (${f.model})` : ""}, ${gib} GiB, ${f.removable ? "removable" : "NOT removable"}`;
}

async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await new Promise<string>((res) => {
      rl.question(question, res);
      rl.once("close", () => res(""));
    });
    return answer.trim() === "yes";
  } finally {
    rl.close();
  }
}

function progress(what: string, done: number, total: number, started: number): void {
  const s = (Date.now() - started) / 1000;
  const mbs = s > 0 ? done / 2 ** 20 / s : 0;
  process.stderr.write(`[flash] ${what} ${Math.floor((100 * done) / total)}% (${done}/${total} bytes, ${mbs.toFixed(1)} MiB/s)\n`);
}

function sha256Of(path: string, bytes: number, what: string | null): string {
  const h = createHash("sha256");
  const fd = openSync(path, "r");
  const buf = Buffer.alloc(CHUNK);
  const started = Date.now();
  try {
    for (let off = 0; off < bytes; ) {
      const n = readSync(fd, buf, 0, Math.min(CHUNK, bytes - off), off);
      if (n <= 0) throw new FlashError("short-read", `${path} ended at ${off} of ${bytes} bytes`);
      h.update(buf.subarray(0, n));
      off += n;
      if (what) progress(what, off, bytes, started);
    }
  } finally {
    closeSync(fd);
  }
  return h.digest("hex");
}

function write(image: string, target: TargetFacts, bytes: number): void {
  const src = openSync(image, "r");
  // a file target is replaced; a device is written in place (no truncation on block devices)
  const dst = openSync(target.path, target.kind === "file" ? "w" : "r+");
  const buf = Buffer.alloc(CHUNK);
  const started = Date.now();
  try {
    for (let off = 0; off < bytes; ) {
      const n = readSync(src, buf, 0, Math.min(CHUNK, bytes - off), off);
      if (n <= 0) throw new FlashError("short-read", `${image} ended at ${off} of ${bytes} bytes`);
      for (let w = 0; w < n; ) w += writeSync(dst, buf, w, n - w, off + w);
      off += n;
      progress("writing", off, bytes, started);
    }
    fsyncSync(dst);
  } finally {
    closeSync(src);
    closeSync(dst);
  }
}

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName("cohesix-flash")
    .usage("$0 --device PATH: write the ESP disk image to a removable disk (docs/UEFI.md)")
    .option("device", { type: "string", demandOption: true, describe: "whole disk (/dev/sdX, /dev/mmcblkN) or a regular file" })
    .option("image", { type: "string", default: resolve(ROOT, "out/cohesix-esp.img"), describe: "disk image to write (npm run esp)" })
    .option("yes", { type: "boolean", default: false, describe: "do not ask for confirmation" })
    .option("force", { type: "boolean", default: false, describe: "allow non-removable disks and disks over [uefi] flash_max_gib" })
    .option("json", { type: "boolean", default: false, describe: "print the result as JSON" })
    .option("sys-root", { type: "string", default: SYSTEM_ROOTS.sys, hidden: true })
    .option("proc-root", { type: "string", default: SYSTEM_ROOTS.proc, hidden: true })
    .strict()
    .parseAsync();
  const started = Date.now();
  let imageBytes: number;
  try {
    imageBytes = statSync(argv.image).size;
  } catch {
    throw new FlashError("no-image", `${argv.image} not found (npm run esp)`, 1);
  }
  const facts = gatherFacts(argv.device, { sys: argv["sys-root"], proc: argv["proc-root"], dev: SYSTEM_ROOTS.dev });
  const maxBytes = MANIFEST.uefi.flash_max_gib * 2 ** 30;
  const d = decide(facts, imageBytes, maxBytes, argv.force);
  if (!d.ok) {
    const reasons = [...d.fatal, ...d.forceable.map((r) => `${r} (--force to write anyway)`)];
    throw new FlashError(d.fatal.length ? "refused" : "needs-force", reasons.join("; "));
  }
  process.stderr.write(`[flash] image ${argv.image}: ${imageBytes} bytes\n`);
  process.stderr.write(`[flash] target ${summary(facts)}\n`);
  if (facts.kind !== "missing" && facts.sizeBytes > 0) process.stderr.write(`[flash] it holds ${describeContent(facts.path)}; all of it up to ${imageBytes} bytes is overwritten\n`);
  if (!argv.yes && !(await confirm(`[flash] type yes to overwrite ${facts.path}: `))) throw new FlashError("not-confirmed", "nothing written", 1);
  const want = sha256Of(argv.image, imageBytes, null);
  write(argv.image, facts, imageBytes);
  const got = sha256Of(facts.path, imageBytes, "verifying");
  if (got !== want) throw new FlashError("verify-failed", `read back sha256 ${got}, image ${want}`, 3);
  const result = { device: facts.path, kind: facts.kind, bytes: imageBytes, sha256: want, verified: true, ms: Date.now() - started };
  if (argv.json) process.stdout.write(JSON.stringify(result) + "\n");
  else process.stdout.write(`[flash] ${facts.path}: ${imageBytes} bytes written and read back, sha256 ${want} (${result.ms} ms)\n`);
}

main().catch((e: unknown) => {
  const err = e instanceof FlashError ? e : new FlashError("internal", e instanceof Error ? e.message : String(e), 1);
  if (process.argv.includes("--json")) process.stdout.write(JSON.stringify({ ok: false, reason: err.reason, detail: err.detail }) + "\n");
  process.stderr.write(err.message + "\n");
  process.exit(err.code);
});
