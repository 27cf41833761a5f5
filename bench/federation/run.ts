// bench/federation: relayed tickets/s and source → target → receipt latency (p50/p95), the WAL
// relay (peer gateway) against the NATS JetStream bus, in one run. Each mode gets two fresh hives:
// hive-a a Node-hosted core on real TCP sockets, hive-b the in-process core of an in-process
// hive-gateway (its agent reaches it over REST in both modes, so only the relay's carrier
// differs); a real nats-server (JetStream, file store) for the bus. Agents and relays run in this
// process with the mock executors, so the figures are the relay's round trips, not a service.
// Latency: the ticket's append to hive-a's spec → its receipt appended to hive-a's status.
// Figures only; nothing here asserts speed.
//
//   npm run bench:federation -- [--tickets N] [--paced N] [--json]

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { MANIFEST } from "../../host/generated/manifest.js";
import { Agent } from "../../host/host-ticket-agent/agent.js";
import { BusLink } from "../../host/host-ticket-agent/bus.js";
import { BusCarrier } from "../../host/host-ticket-agent/bus_carrier.js";
import { BusServe, Outbox } from "../../host/host-ticket-agent/bus_serve.js";
import { defaultContext, mockExecutor } from "../../host/host-ticket-agent/executors.js";
import { Journal } from "../../host/host-ticket-agent/journal.js";
import { Relay } from "../../host/host-ticket-agent/relay.js";
import { Wal } from "../../host/host-ticket-agent/wal.js";
import { Guest } from "../../host/runtime/guest.js";
import { restClient, tcpTransport } from "../../host/sdk/connect.js";
import type { NamespaceClient } from "../../host/sdk/ns.js";
import { clientOn } from "../../host/sdk/open.js";
import { inProcess, TOKEN } from "../../tests/helpers/gateway.js";
import { startNats } from "../../tests/helpers/nats.js";
import { pct, watched } from "../receipts.js";

const BUS_TOKEN = "bench-bus-token";

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function mode(carrier: "wal-gateway" | "nats-bus", burst: number, paced: number): Promise<Array<Record<string, number | string>>> {
  const dir = mkdtempSync(join(tmpdir(), `bench-federation-${carrier}-`));
  const guestA = await Guest.start({ net: "sockets", sockets: { portMap: { 31337: 0, 31338: 0, 31339: 0 } } });
  const gwB = await inProcess(["--mock"]);
  const nats = carrier === "nats-bus" ? await startNats({ dir: join(dir, "nats"), token: BUS_TOKEN }) : null;
  const open: NamespaceClient[] = [];
  const closers: Array<() => Promise<void>> = [];
  try {
    const portA = guestA.sockets.bound.get(31337) as number;
    const tcpA = async (): Promise<NamespaceClient> => {
      const c = clientOn(tcpTransport("127.0.0.1", portA), { heartbeatMs: 0, timeoutMs: 30_000 });
      await c.attach("queen");
      open.push(c);
      return c;
    };
    const restB = async (): Promise<NamespaceClient> => {
      const c = await restClient(gwB.url, TOKEN);
      await c.attach("queen");
      open.push(c);
      return c;
    };
    const producer = await tcpA();
    const done = new Map<string, number>();
    const relayNs = watched(await tcpA(), done);
    const nsB = await restB();
    const agentB = new Agent({ ns: nsB, journal: new Journal(join(dir, "agent-b")), localHive: "hive-b", executorFor: () => mockExecutor(new Map()), ctx: defaultContext(nsB) });
    const wal = new Wal(join(dir, "relay-wal.json"));
    let relay: Relay;
    let serve: BusServe | null = null;
    if (nats) {
      const linkA = new BusLink(nats.url, "hive-a", { token: BUS_TOKEN });
      const linkB = new BusLink(nats.url, "hive-b", { token: BUS_TOKEN });
      closers.push(() => linkA.close(), () => linkB.close());
      relay = new Relay({ local: relayNs, wal, peer: async () => null, carrier: new BusCarrier(linkA), localHive: "hive-a" });
      serve = new BusServe({ local: nsB, link: linkB, outbox: new Outbox(join(dir, "bus-outbox.json")), localHive: "hive-b", mount: MANIFEST.host.mount_at });
    } else {
      const peer = await restB();
      relay = new Relay({ local: relayNs, wal, peer: async (h) => (h === "hive-b" ? peer : null), localHive: "hive-a" });
    }
    let stop = false;
    // hive-a's relay and hive-b's agent (with the bus's intake and outbound around it) side by side, as two agents would run.
    const loopA = (async () => {
      while (!stop) if ((await relay.pass()).candidates === 0) await pause(5);
    })();
    const loopB = (async () => {
      while (!stop) {
        if (serve) await serve.intake();
        const s = await agentB.pass();
        if (serve) await serve.outbound();
        if (s.seen === 0) await pause(5);
      }
    })();
    const rows: Array<Record<string, number | string>> = [];
    for (const [name, n] of [
      ["burst", burst],
      ["paced", paced],
    ] as const) {
      const sent = new Map<string, number>();
      const t0 = performance.now();
      for (let i = 0; i < n; i++) {
        const id = `${name[0]}${i}`;
        sent.set(id, performance.now());
        await producer.append(`${MANIFEST.host.mount_at}/tickets/spec`, JSON.stringify({ schema: "host-ticket/v1", id, idempotency_key: "bf", action: "systemd.status-check", args: { unit: "ssh.service" }, source_hive: "hive-a", target_hive: "hive-b" }));
        while (name === "paced" && !done.has(id)) await pause(1);
      }
      while ([...sent.keys()].some((id) => !done.has(id))) await pause(5);
      const wall = performance.now() - t0;
      const lat = [...sent].map(([id, t]) => done.get(id)! - t);
      rows.push({ carrier, mode: name, tickets: n, tickets_per_s: Number(((n * 1000) / wall).toFixed(1)), p50_ms: pct(lat, 0.5), p95_ms: pct(lat, 0.95) });
    }
    stop = true;
    await Promise.all([loopA, loopB]);
    return rows;
  } finally {
    for (const c of closers) await c().catch(() => undefined);
    for (const c of open) await c.close().catch(() => undefined);
    await nats?.stop();
    await gwB.stop();
    await guestA.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const a = await yargs(hideBin(process.argv))
  .option("tickets", { type: "number", default: 200, describe: "tickets appended at once (throughput)" })
  .option("paced", { type: "number", default: 30, describe: "tickets one after another's receipt (latency without queueing)" })
  .option("json", { type: "boolean", default: false })
  .strict()
  .parseAsync();
const rows = [...(await mode("wal-gateway", a.tickets, a.paced)), ...(await mode("nats-bus", a.tickets, a.paced))];
if (a.json) process.stdout.write(JSON.stringify({ bench: "federation", executors: "mock", rows }) + "\n");
else for (const r of rows) process.stdout.write(`federation ${Object.entries(r).map(([k, v]) => `${k}=${v}`).join(" ")}\n`);
process.exit(0);
