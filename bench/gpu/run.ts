// bench/gpu: publishing a gpu-bridge-snapshot/v1 into /gpu — the mock inventory, and 8 GPUs x 64
// models (manifests the size coh peft import writes) — timed from the first `begin` line to
// /gpu/bridge/status saying state=ok, over the console and over Secure9P, on the mock core and
// on QEMU; and the latency of a spawn-gpu lease on /queen/ctl (p50/p95). Figures only.
//
//   npm run bench:gpu -- [--runs N] [--leases N] [--no-qemu] [--json]

import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { MANIFEST } from "../../host/generated/manifest.js";
import { QemuGuest } from "../../host/runtime/qemu.js";
import { mockTransport, tcpTransport, type Transport } from "../../host/sdk/connect.js";
import type { NamespaceClient } from "../../host/sdk/ns.js";
import { clientOn } from "../../host/sdk/open.js";
import { publishSnapshot } from "../../host/sdk/gpu/publish.js";
import { MOCK_GPUS, type Catalogue, type GpuInfo } from "../../host/sdk/gpu/snapshot.js";
import { mintTicket } from "../../host/sdk/ticket/index.js";

interface Row {
  host: string;
  protocol: string;
  snapshot: string;
  bytes: number;
  lines: number;
  median_ms: number;
  bytes_per_s: number;
}

const EIGHT: GpuInfo[] = Array.from({ length: 8 }, (_, i) => ({ id: `GPU-${i}`, name: "NVIDIA H100 80GB HBM3", memory_mb: 81559, sm_count: 132, driver_version: "535.161.08", runtime_version: "12.2" }));

function catalogue(n: number): Catalogue {
  const hex = "ab".repeat(32);
  const models = Array.from({ length: n }, (_, i) => {
    const id = `edge-lora-${String(i).padStart(3, "0")}`;
    const manifest = [
      "[model]", `id = "${id}"`, 'base = "cohesix/base@v1"', 'adapter = "adapter.safetensors"', 'lora = "lora.json"', 'metrics = "metrics.json"', "",
      "[provenance]", `job_id = "job-${i}"`, 'approval = "pending"', "", "[hashes]",
      ...["adapter", "lora", "metrics", "policy", "telemetry"].flatMap((k) => [`${k}_sha256 = "${hex}"`, `${k}_bytes = ${4096 + i}`]),
    ].join("\n");
    return { id, manifest };
  });
  return { models, active: models[0]?.id ?? "" };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))];

async function client(t: Transport, protocol: "console" | "9p"): Promise<NamespaceClient> {
  const ns = clientOn(t, { protocol });
  let ticket: string | undefined;
  if (protocol === "9p") {
    const m = mintTicket({ role: "queen", secret: MANIFEST.tickets.queen });
    if (!m.ok) throw new Error(m.error.message);
    ticket = m.value.token;
  }
  await ns.attach("queen", ticket);
  return ns;
}

async function publishes(host: string, t: Transport, runs: number): Promise<Row[]> {
  const rows: Row[] = [];
  for (const protocol of ["console", "9p"] as const) {
    const ns = await client(t, protocol);
    try {
      for (const [name, gpus, cat] of [["mock", MOCK_GPUS, { models: [], active: "" }], ["8x64", EIGHT, catalogue(64)]] as const) {
        const ms: number[] = [];
        let bytes = 0, lines = 0;
        for (let i = 0; i < runs; i++) {
          const r = await publishSnapshot(ns, gpus, cat as Catalogue);
          ms.push(r.ms);
          bytes = r.bytes;
          lines = r.lines;
        }
        const m = median(ms);
        rows.push({ host, protocol, snapshot: name, bytes, lines, median_ms: m, bytes_per_s: Math.round(bytes / (Math.max(m, 0.5) / 1000)) });
      }
    } finally {
      await ns.close();
    }
  }
  return rows;
}

async function leases(host: string, t: Transport, n: number): Promise<{ host: string; n: number; p50_ms: number; p95_ms: number }> {
  const ns = await client(t, "console");
  const ms: number[] = [];
  try {
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await ns.append("/queen/ctl", '{"spawn":"gpu","lease":{"gpu_id":"GPU-0","mem_mb":1024,"streams":1,"ttl_s":600}}');
      ms.push(performance.now() - t0);
      const w = (JSON.parse((await ns.read("/gpu/GPU-0/lease")).at(-1)!) as { worker_id: string }).worker_id;
      await ns.append("/queen/ctl", `{"kill":"${w}"}`);
    }
  } finally {
    await ns.close();
  }
  return { host, n, p50_ms: +pct(ms, 0.5).toFixed(2), p95_ms: +pct(ms, 0.95).toFixed(2) };
}

async function main(): Promise<void> {
  const a = await yargs(hideBin(process.argv))
    .option("runs", { type: "number", default: 5 })
    .option("leases", { type: "number", default: 100 })
    .option("qemu", { type: "boolean", default: true, describe: "also on QEMU (--no-qemu: the mock only)" })
    .option("json", { type: "boolean", default: false })
    .strict()
    .parseAsync();
  const pubs: Row[] = [];
  const lease: Awaited<ReturnType<typeof leases>>[] = [];
  const mock = await mockTransport();
  try {
    pubs.push(...(await publishes("mock", mock, a.runs)));
    lease.push(await leases("mock", mock, a.leases));
  } finally {
    await mock.stop();
  }
  if (a.qemu) {
    const q = await QemuGuest.start();
    try {
      await q.waitReady(60_000);
      const t = tcpTransport("127.0.0.1", q.ports.tcp);
      pubs.push(...(await publishes("qemu", t, a.runs)));
      lease.push(await leases("qemu", t, a.leases));
    } finally {
      await q.stop();
    }
  }
  if (a.json) {
    process.stdout.write(JSON.stringify({ publish: pubs, spawn_gpu_lease: lease }, null, 2) + "\n");
    return;
  }
  console.log("publish begin -> state=ok (median of runs)");
  for (const r of pubs) console.log(`  ${r.host.padEnd(5)} ${r.protocol.padEnd(8)} ${r.snapshot.padEnd(5)} bytes=${r.bytes} lines=${r.lines} ms=${r.median_ms} bytes/s=${r.bytes_per_s}`);
  console.log("spawn gpu lease (/queen/ctl ECHO round trip)");
  for (const l of lease) console.log(`  ${l.host.padEnd(5)} n=${l.n} p50_ms=${l.p50_ms} p95_ms=${l.p95_ms}`);
}

await main();
