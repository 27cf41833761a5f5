// bench/workers: spawn N heartbeat workers (default 1024, the manifest's limit) through the
// console, in the Node-hosted mock and in the QEMU guest; print per-spawn latency p50/p95 and
// the core's linear memory before and after. Figures only.
//
//   npm run bench:workers -- [--workers N] [--json] [--no-qemu]

import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { ConsoleClient } from "../../host/sdk/console/client.js";
import { tcpPipe } from "../../host/sdk/pipe.js";
import { loopbackPipe } from "../../host/sdk/connect.js";
import { Guest } from "../../host/runtime/guest.js";
import { QemuGuest } from "../../host/runtime/qemu.js";

interface Figures {
  host: string;
  workers: number;
  p50_ms: number;
  p95_ms: number;
  memory_before: string;
  memory_after: string;
}

async function run(host: string, c: ConsoleClient, n: number): Promise<Figures> {
  const attach = await c.request("ATTACH queen");
  if (!attach.ok) throw new Error(attach.ack);
  const before = (await c.request("CAT /proc/memory")).lines[0] ?? "";
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = process.hrtime.bigint();
    const r = await c.request('ECHO /queen/ctl {"spawn":"heartbeat","ticks":0}');
    lat.push(Number(process.hrtime.bigint() - t0) / 1e6);
    if (!r.ok) throw new Error(`spawn ${i + 1}: ${r.ack}`);
  }
  const after = (await c.request("CAT /proc/memory")).lines[0] ?? "";
  lat.sort((a, b) => a - b);
  const at = (q: number): number => lat[Math.min(lat.length - 1, Math.floor(q * (lat.length - 1)))];
  return { host, workers: n, p50_ms: at(0.5), p95_ms: at(0.95), memory_before: before, memory_after: after };
}

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .option("workers", { type: "number", default: 1024 })
    .option("qemu", { type: "boolean", default: true })
    .option("json", { type: "boolean", default: false })
    .strict()
    .parseAsync();
  const results: Figures[] = [];
  const mock = await Guest.start();
  try {
    const end = mock.loopback.connect(31337);
    if (!end) throw new Error("mock console not listening");
    const c = new ConsoleClient(loopbackPipe(end));
    await c.request("AUTH changeme");
    results.push(await run("mock", c, argv.workers));
  } finally {
    await mock.stop();
  }
  if (argv.qemu) {
    const q = await QemuGuest.start();
    try {
      await q.waitReady(30_000);
      const c = new ConsoleClient(await tcpPipe("127.0.0.1", q.ports.tcp));
      await c.request("AUTH changeme");
      results.push(await run("qemu", c, argv.workers));
      c.close();
    } finally {
      await q.stop();
    }
  }
  if (argv.json) {
    process.stdout.write(JSON.stringify(results) + "\n");
    return;
  }
  for (const r of results) {
    process.stdout.write(
      `${r.host.padEnd(5)} spawn ${r.workers} heartbeat workers: p50 ${r.p50_ms.toFixed(3)} ms  p95 ${r.p95_ms.toFixed(3)} ms  ` +
        `memory ${r.memory_before} -> ${r.memory_after}\n`,
    );
  }
}

main().catch((e: unknown) => {
  process.stderr.write(`bench/workers: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
