// bench/mount: coh mount against the SDK's own 9P client (P9Client), in one run, on the core on the
// Node host (sockets on free ports) and on QEMU: sequential read MB/s of a large file — an export
// window's telemetry.cbor filled towards export.telemetry_max_bytes — small-file reads/s
// (/proc/lifecycle/state: open, read, close) and appends/s (/log/queen.log: open, one record,
// close). The mount is driven by a child process (child.cjs) with plain fs calls; the direct client
// runs here; the two take turns (--repeat) and the medians are printed, since the machine is
// shared. Figures only, never assertions.
//
//   npm run bench:mount -- [--ops N] [--runs N] [--repeat N] [--no-qemu] [--json]

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { MANIFEST } from "../../host/generated/manifest.js";
import { QemuGuest } from "../../host/runtime/qemu.js";
import { P9Client } from "../../host/sdk/p9/client.js";
import { tcpPipe } from "../../host/sdk/pipe.js";
import { mintTicket } from "../../host/sdk/ticket/index.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
const SMALL = "/proc/lifecycle/state";
const LOG = "/log/queen.log";
const JOB = "bench-mnt";
const BIG = `/queen/export/lora_jobs/${JOB}/telemetry.cbor`;

interface Row {
  host: string;
  big_bytes: number;
  direct_mb_s: number;
  mount_mb_s: number;
  direct_small_ops_s: number;
  mount_small_ops_s: number;
  direct_append_ops_s: number;
  mount_append_ops_s: number;
}

function waitLine(p: ChildProcess, stream: "stdout" | "stderr", re: RegExp, ms: number, what: string): Promise<RegExpExecArray> {
  return new Promise((res, rej) => {
    let buf = "";
    const t = setTimeout(() => rej(new Error(`${what}: nothing matched ${re} in ${ms} ms: ${buf}`)), ms);
    p[stream]?.on("data", (d: Buffer) => {
      buf += d.toString();
      const m = re.exec(buf);
      if (m) {
        clearTimeout(t);
        res(m);
      }
    });
    p.once("exit", (c) => rej(new Error(`${what} exited ${c}: ${buf}`)));
  });
}

async function stop(p: ChildProcess, sig: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (p.exitCode !== null || p.signalCode !== null || p.pid === undefined) return;
  const gone = new Promise<void>((r) => p.once("exit", () => r()));
  process.kill(p.pid, sig);
  const t = setTimeout(() => p.pid && p.exitCode === null && process.kill(p.pid, "SIGKILL"), 10_000);
  await gone;
  clearTimeout(t);
}

/** Opens an export window and writes ingest records until its telemetry.cbor is nearly full. */
async function fillBundle(c: P9Client, root: number): Promise<void> {
  await c.append(root, "/queen/export/ctl", `{"op":"open","id":"${JOB}","ttl_s":3600}\n`);
  const rec = "r".repeat(MANIFEST.telemetry_ingest.max_record_bytes - 100);
  const perSeg = Math.floor(MANIFEST.telemetry_ingest.max_bytes_per_segment / (rec.length + 1)) - 1;
  const target = MANIFEST.export.telemetry_max_bytes;
  for (let d = 0, n = 0; n * (rec.length + 80) < target; d++) {
    const dev = `bench-dev-${d}`;
    for (let s = 1; s <= MANIFEST.telemetry_ingest.max_segments_per_device && n * (rec.length + 80) < target; s++) {
      await c.append(root, `/queen/telemetry/${dev}/ctl`, '{"new":"segment","mime":"text/plain"}\n');
      const seg = `seg-${String(s).padStart(6, "0")}`;
      for (let i = 0; i < perSeg && n * (rec.length + 80) < target; i++, n++) await c.append(root, `/queen/telemetry/${dev}/seg/${seg}`, `${rec}\n`);
    }
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** One host: the bundle filled once, one mount; direct and mount measured in turns, `repeat` times; medians. */
async function bench(host: string, port: number, ops: number, runs: number, repeat: number): Promise<Row> {
  const c = new P9Client(await tcpPipe("127.0.0.1", port));
  await c.negotiate();
  const t = mintTicket({ role: "queen", secret: MANIFEST.tickets.queen });
  if (!t.ok) throw new Error(t.error.message);
  const { fid: root } = await c.attach("queen", t.value.token);
  await fillBundle(c, root);
  const now = (): number => Number(process.hrtime.bigint()) / 1e9;
  const direct = async (): Promise<{ bytes: number; bigS: number; smallS: number; appendS: number }> => {
    for (let i = 0; i < 3; i++) await c.catBytes(root, BIG);
    let t0 = now();
    let bytes = 0;
    for (let i = 0; i < runs; i++) bytes += (await c.catBytes(root, BIG)).length;
    const bigS = now() - t0;
    for (let i = 0; i < 20; i++) await c.cat(root, SMALL);
    t0 = now();
    for (let i = 0; i < ops; i++) await c.cat(root, SMALL);
    const smallS = now() - t0;
    t0 = now();
    for (let i = 0; i < ops; i++) await c.append(root, LOG, `bench-direct-${i}\n`);
    return { bytes, bigS, smallS, appendS: now() - t0 };
  };

  const base = mkdtempSync(join(tmpdir(), "bench-mount-"));
  const dir = join(base, "mnt");
  const m = spawn(join(ROOT, "bin/coh"), ["--port", String(port), "mount", "--at", dir], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  const viaMount = async (): Promise<{ bytes: number; bigS: number; smallS: number; appendS: number }> => {
    const ch = spawn(process.execPath, [join(ROOT, "bench/mount/child.cjs"), dir, BIG, SMALL, LOG, String(runs), String(ops)], { stdio: ["ignore", "pipe", "inherit"] });
    const line = await waitLine(ch, "stdout", /^\{.*\}$/m, 600_000, "mount child");
    return JSON.parse(line[0]) as { bytes: number; bigS: number; smallS: number; appendS: number };
  };
  try {
    await waitLine(m, "stdout", /^OK MOUNT mode=fuse at=/m, 30_000, "coh mount");
    const d: Array<Awaited<ReturnType<typeof direct>>> = [];
    const v: typeof d = [];
    for (let i = 0; i < repeat; i++) {
      d.push(await direct());
      v.push(await viaMount());
    }
    const mb = (xs: typeof d): number => Math.round(median(xs.map((x) => x.bytes / x.bigS / 1e6)) * 100) / 100;
    const per = (xs: typeof d, k: "smallS" | "appendS"): number => Math.round(median(xs.map((x) => ops / x[k])));
    return {
      host,
      big_bytes: Math.round(d[0].bytes / runs),
      direct_mb_s: mb(d),
      mount_mb_s: mb(v),
      direct_small_ops_s: per(d, "smallS"),
      mount_small_ops_s: per(v, "smallS"),
      direct_append_ops_s: per(d, "appendS"),
      mount_append_ops_s: per(v, "appendS"),
    };
  } finally {
    c.end();
    await stop(m);
    rmSync(base, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .option("ops", { type: "number", default: 500 })
    .option("runs", { type: "number", default: 20, describe: "whole reads of the large file per turn" })
    .option("repeat", { type: "number", default: 5, describe: "turns of direct then mount; medians are printed" })
    .option("qemu", { type: "boolean", default: true, describe: "--no-qemu: the Node-hosted core only" })
    .option("json", { type: "boolean", default: false })
    .strict()
    .parseAsync();
  const rows: Row[] = [];
  const hive = spawn(process.execPath, ["--import", "tsx", join(ROOT, "host/runtime/cli.ts"), "--tcp-port", "0", "--udp-port", "0", "--smoke-port", "0"], { cwd: ROOT, stdio: ["pipe", "ignore", "pipe"] });
  try {
    const m = await waitLine(hive, "stderr", /cohesix-mock: ready console=(\d+)/, 30_000, "mock hive");
    rows.push(await bench("mock", Number(m[1]), argv.ops, argv.runs, argv.repeat));
  } finally {
    await stop(hive);
  }
  if (argv.qemu) {
    const q = await QemuGuest.start();
    try {
      await q.waitReady(120_000);
      rows.push(await bench("qemu", q.ports.tcp, argv.ops, argv.runs, argv.repeat));
    } finally {
      await q.stop();
    }
  }
  if (argv.json) {
    process.stdout.write(JSON.stringify(rows) + "\n");
    return;
  }
  process.stdout.write("| host | file bytes | read MB/s direct | mount | ratio | small reads/s direct | mount | ratio | appends/s direct | mount | ratio |\n|---|---|---|---|---|---|---|---|---|---|---|\n");
  const ratio = (a: number, b: number): string => (a / b).toFixed(2);
  for (const r of rows) {
    process.stdout.write(`| ${r.host} | ${r.big_bytes} | ${r.direct_mb_s} | ${r.mount_mb_s} | ${ratio(r.mount_mb_s, r.direct_mb_s)} | ${r.direct_small_ops_s} | ${r.mount_small_ops_s} | ${ratio(r.mount_small_ops_s, r.direct_small_ops_s)} | ${r.direct_append_ops_s} | ${r.mount_append_ops_s} | ${ratio(r.mount_append_ops_s, r.direct_append_ops_s)} |\n`);
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:mount: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exitCode = 1;
});
