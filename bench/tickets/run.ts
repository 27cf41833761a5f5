// bench/tickets: host-ticket-agent throughput and latency from spec append to terminal receipt,
// with the mock executors (so the figure is the agent + journal + hive round trips, not a
// service), over the TCP console (the Node-hosted guest on real sockets) and over hive-gateway
// REST (in process, over its own in-process guest). Figures only; nothing here asserts speed.
//
//   npm run bench:tickets -- [--tickets N] [--json]

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { Agent } from "../../host/host-ticket-agent/agent.js";
import { defaultContext, mockExecutor } from "../../host/host-ticket-agent/executors.js";
import { Journal } from "../../host/host-ticket-agent/journal.js";
import { Guest } from "../../host/runtime/guest.js";
import { restClient, tcpTransport } from "../../host/sdk/connect.js";
import type { NamespaceClient } from "../../host/sdk/ns.js";
import { clientOn } from "../../host/sdk/open.js";
import { inProcess, TOKEN } from "../../tests/helpers/gateway.js";
import { pct, watched } from "../receipts.js";

/** `paced`: the next ticket is appended only after the previous receipt (latency without queueing). */
async function run(name: string, producer: NamespaceClient, consumer: NamespaceClient, n: number, paced: boolean, dir: string): Promise<Record<string, number | string>> {
  const done = new Map<string, number>();
  const ns = watched(consumer, done);
  const agent = new Agent({ ns, journal: new Journal(dir), executorFor: () => mockExecutor(new Map()), ctx: defaultContext(ns) });
  const sent = new Map<string, number>();
  let stop = false;
  const loop = (async () => {
    while (!stop) {
      const s = await agent.pass();
      if (s.seen === 0) await new Promise((r) => setTimeout(r, 5));
    }
  })();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const id = `${paced ? "p" : "b"}${i}`;
    sent.set(id, performance.now());
    await producer.append("/host/tickets/spec", JSON.stringify({ schema: "host-ticket/v1", id, idempotency_key: paced ? "paced" : "bench", action: "systemd.status-check", args: { unit: "ssh.service" } }));
    while (paced && !done.has(id)) await new Promise((r) => setTimeout(r, 1));
  }
  while (done.size < n) await new Promise((r) => setTimeout(r, 5));
  const wall = performance.now() - t0;
  stop = true;
  await loop;
  const lat = [...sent].map(([id, t]) => done.get(id)! - t);
  return { transport: name, mode: paced ? "paced" : "burst", tickets: n, tickets_per_s: Number(((n * 1000) / wall).toFixed(1)), p50_ms: pct(lat, 0.5), p95_ms: pct(lat, 0.95) };
}

const a = await yargs(hideBin(process.argv)).option("tickets", { type: "number", default: 300 }).option("json", { type: "boolean", default: false }).strict().parseAsync();
const rows: Array<Record<string, number | string>> = [];

const guest = await Guest.start({ net: "sockets", sockets: { portMap: { 31337: 0, 31338: 0, 31339: 0 } } });
try {
  const port = guest.sockets.bound.get(31337) as number;
  const mk = async (): Promise<NamespaceClient> => {
    const c = clientOn(tcpTransport("127.0.0.1", port), { heartbeatMs: 0, timeoutMs: 30_000 });
    await c.attach("queen");
    return c;
  };
  const p = await mk();
  const c = await mk();
  // One journal per hive (a fresh one would see the earlier run's tickets as pre-journal terminals).
  const dir = mkdtempSync(join(tmpdir(), "bench-tickets-"));
  rows.push(await run("tcp-console", p, c, a.tickets, false, dir));
  rows.push(await run("tcp-console", p, c, 50, true, dir));
  rmSync(dir, { recursive: true, force: true });
  await p.close();
  await c.close();
} finally {
  await guest.stop();
}

const gw = await inProcess(["--mock"]);
try {
  const mk = async (): Promise<NamespaceClient> => {
    const c = await restClient(gw.url, TOKEN);
    await c.attach("queen");
    return c;
  };
  const p = await mk();
  const c = await mk();
  const dir = mkdtempSync(join(tmpdir(), "bench-tickets-"));
  rows.push(await run("rest", p, c, a.tickets, false, dir));
  rows.push(await run("rest", p, c, 50, true, dir));
  rmSync(dir, { recursive: true, force: true });
} finally {
  await gw.stop();
}

if (a.json) process.stdout.write(JSON.stringify({ bench: "tickets", executors: "mock", rows }) + "\n");
else for (const r of rows) process.stdout.write(`tickets ${Object.entries(r).map(([k, v]) => `${k}=${v}`).join(" ")}\n`);
process.exit(0);
