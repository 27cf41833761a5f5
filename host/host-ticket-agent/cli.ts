// host-ticket-agent: executes bounded, idempotent, crash-safe host control tickets from the hive's
// /host/tickets/spec and appends host-ticket-result/v1 receipts (docs/HOST.md).
//   host-ticket-agent [--run-once] [--poll-ms N] [--state-dir DIR] [--mock] [--submit FILE]
//                     [--tcp-host H --tcp-port P --auth-token T | --rest-url U --rest-auth-token T]
// Exit codes: 0 done (or stopped by a signal), 1 the hive refused, 2 bad arguments or the state
// directory is owned by another agent, 3 the hive unreachable.

import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { MANIFEST } from "../generated/manifest.js";
import { openQueen, UsageError } from "../sdk/hive.js";
import { NsClosed, NsRefusal } from "../sdk/ns.js";
import { ConnectError } from "../sdk/pipe.js";
import { Agent, type PassStats } from "./agent.js";
import { LockError, takeLock } from "./durable.js";
import { defaultContext, executorFor, mockExecutor } from "./executors.js";
import { DEFAULT_PEFT_PLACES, type PeftPlaces } from "./peft_exec.js";
import { K8sApi } from "../sdk/k8s/api.js";
import { K8sConfigError, resolveTarget } from "../sdk/k8s/config.js";
import { Journal, JournalError } from "./journal.js";
import { peerDialer, RelayConfigError } from "./peers.js";
import { Relay, type RelayStats } from "./relay.js";
import { Wal, WalError } from "./wal.js";
import { BusConfigError, BusLink, zeroBusStats, type BusStats } from "./bus.js";
import { BusCarrier } from "./bus_carrier.js";
import { BusServe, Outbox, OutboxError } from "./bus_serve.js";
import { writeDurable } from "./durable.js";
import { secretRef } from "../sdk/hive.js";
import { RELAY_STATUS_SCHEMA, type RelayStatusDoc } from "../sdk/relay_status.js";

process.stdout.on("error", () => process.exit(0));

/** HOST_TICKET_AGENT_CRASH_AT=<state>:<n>: SIGKILL itself the n-th time it reaches <state> (crash tests). */
function crashHook(): ((s: string) => void) | undefined {
  const spec = process.env.HOST_TICKET_AGENT_CRASH_AT;
  if (!spec) return undefined;
  const [state, nth] = spec.split(":");
  let left = Number(nth ?? "1");
  return (s) => {
    if (s === state && --left <= 0) process.kill(process.pid, "SIGKILL");
  };
}

/** A flag given twice: the last one wins (yargs makes an array). */
function last<T>(v: T | T[]): T {
  return Array.isArray(v) ? v[v.length - 1] : v;
}

async function main(argv: string[]): Promise<number> {
  const a = await yargs(argv)
    .scriptName("host-ticket-agent")
    .usage("$0 [options]\n\nExecutes allowlisted host-ticket/v1 tickets from /host/tickets/spec with durable receipts (docs/HOST.md).")
    .option("run-once", { type: "boolean", default: false, describe: "one pass over the spec, then exit" })
    .option("poll-ms", { type: "number", default: MANIFEST.host.agent_poll_ms, describe: "wait between passes" })
    .option("state-dir", { type: "string", default: "out/host-ticket-agent", describe: "journal, cursor and lock (one agent per directory)" })
    .option("mount", { type: "string", default: MANIFEST.host.mount_at, describe: "where /host is mounted" })
    .option("local-hive", { type: "string", default: MANIFEST.federation.local_hive, describe: "this hive's name (federation.local_hive); tickets whose target_hive is another hive are not executed here" })
    .option("relay", { type: "boolean", default: false, describe: "forward tickets for other hives to their gateways and bring their receipts back (docs/FEDERATION.md)" })
    .option("relay-wal", { type: "string", describe: "the relay's write-ahead log [default <state-dir>/relay-wal.json]" })
    .option("relay-peer", { type: "string", array: true, default: [] as string[], describe: "HIVE=URL: a peer hive's gateway (repeatable)" })
    .option("relay-peer-token", { type: "string", array: true, default: [] as string[], describe: "HIVE=env:NAME|file:/abs/path: that gateway's request token [default: the REST token env]" })
    .option("relay-bus", { type: "string", describe: "nats://HOST:PORT: relay through NATS JetStream instead of peer gateways (docs/FEDERATION.md)" })
    .option("relay-bus-token", { type: "string", describe: "the bus's auth token: env:NAME or file:/abs/path" })
    .option("relay-bus-creds", { type: "string", describe: "a NATS .creds file (user JWT + NKey seed): env:NAME or file:/abs/path" })
    .option("relay-status", { type: "string", describe: "the live relay counters hive-gateway --relay-status reads [default <state-dir>/relay-status.json]" })
    .option("writer-epoch", { type: "number", describe: "refuse tickets carrying another writer_epoch (EPERM stale-writer)" })
    .option("docker-socket", { type: "string", default: process.env.DOCKER_HOST?.startsWith("unix://") ? process.env.DOCKER_HOST.slice(7) : "/var/run/docker.sock", describe: "Docker Engine API socket [env DOCKER_HOST=unix://…]" })
    .option("k8s-client", { type: "string", choices: ["kubectl", "api"], default: "kubectl", describe: "k8s.* tickets: drive kubectl from PATH, or the Kubernetes API directly (evictions honour PodDisruptionBudgets)" })
    .option("kubeconfig", { type: "string", describe: "--k8s-client api: the kubeconfig [env KUBECONFIG; else the in-cluster service account; else ~/.kube/config]" })
    .option("registry-root", { type: "string", default: DEFAULT_PEFT_PLACES.registryRoot, describe: "the model registry peft.import/activate/rollback tickets change (a ticket's registry_root must lie inside it)" })
    .option("export-root", { type: "string", default: DEFAULT_PEFT_PLACES.exportRoot, describe: "where peft.export tickets save bundles and peft.import reads them" })
    .option("adapter-root", { type: "string", default: DEFAULT_PEFT_PLACES.adapterRoot, describe: "where peft.import finds trained adapters (<root>/<job_id> unless the ticket names adapter_dir inside it)" })
    .option("publish-inventory", { type: "string", choices: ["mock", "nvidia-smi"], default: "nvidia-smi", describe: "the GPU inventory a peft.import with publish=true sends (gpu-bridge-snapshot/v1)" })
    .option("mock", { type: "boolean", default: false, describe: "an in-process guest and executors that succeed at once (demos, the bench)" })
    .option("submit", { type: "string", describe: "append this file's JSONL ticket lines to the spec first" })
    .option("tcp-host", { type: "string", describe: "TCP console host [default 127.0.0.1]" })
    .option("tcp-port", { type: "number", describe: `TCP console port [default ${MANIFEST.network.console_port}]` })
    .option("auth-token", { type: "string", describe: "console AUTH token: env:NAME, file:/abs/path or literal [env COH_AUTH_TOKEN]" })
    .option("protocol", { type: "string", choices: ["console", "9p"], default: "console", describe: "what to speak over TCP" })
    .option("ticket", { type: "string", describe: "queen ticket for --protocol 9p: env:NAME, file:/abs/path or literal" })
    .option("rest-url", { type: "string", describe: "reach the hive through hive-gateway at this URL" })
    .option("rest-auth-token", { type: "string", describe: "gateway request token: env:NAME, file:/abs/path or literal [env HIVE_GATEWAY_REQUEST_AUTH_TOKEN, COHSH_REST_AUTH_TOKEN, COH_REST_AUTH_TOKEN]" })
    .option("json", { type: "boolean", default: false, describe: "print one JSON record per pass on stdout" })
    .strict()
    .version(false)
    .help()
    .fail((msg, err) => {
      throw new UsageError(msg ?? err?.message ?? "bad arguments");
    })
    .parseAsync(argv);

  if ((MANIFEST.host.enable as number) === 0 || (MANIFEST.host.tickets_enable as number) === 0) {
    process.stderr.write("host-ticket-agent: tickets disabled (manifest [host] enable or tickets_enable is 0)\n");
    return 0;
  }
  if (!Number.isInteger(a["poll-ms"]) || a["poll-ms"] < 10) throw new UsageError("--poll-ms must be a whole number >= 10");
  // Resolved before the lock and the connection: a bad kubeconfig is a usage error, nothing held.
  const k8sApi = a["k8s-client"] === "api" ? new K8sApi(resolveTarget(a.kubeconfig === undefined ? undefined : last(a.kubeconfig)), MANIFEST.host.action_deadline_ms) : null;
  const dir = resolve(a["state-dir"]);
  const release = takeLock(join(dir, "agent.lock"));
  const journal = new Journal(dir);
  let opened;
  try {
    journal.load();
    opened = await openQueen({
      mock: a.mock,
      tcpHost: a["tcp-host"],
      tcpPort: a["tcp-port"],
      authToken: a["auth-token"],
      protocol: a.protocol as "console" | "9p",
      ticket: a.ticket,
      restUrl: a["rest-url"],
      restAuthToken: a["rest-auth-token"],
      tool: "host-ticket-agent",
    });
  } catch (e) {
    release();
    throw e;
  }
  const counts = new Map<string, number>();
  const agent = new Agent({
    ns: opened.ns,
    journal,
    mount: a.mount,
    localHive: a["local-hive"],
    writerEpoch: a["writer-epoch"],
    executorFor: a.mock ? () => mockExecutor(counts) : executorFor,
    ctx: defaultContext(opened.ns, {
      mount: a.mount,
      dockerSocket: last(a["docker-socket"]),
      k8s: k8sApi,
      peft: { registryRoot: a["registry-root"], exportRoot: a["export-root"], adapterRoot: a["adapter-root"], inventory: a["publish-inventory"] as PeftPlaces["inventory"] },
    }),
    log: (l) => process.stderr.write(l + "\n"),
    crashPoint: crashHook(),
  });
  let relay: Relay | null = null;
  let serve: BusServe | null = null;
  let link: BusLink | null = null;
  let closePeers = async (): Promise<void> => undefined;
  const logErr = (l: string): void => void process.stderr.write(l + "\n");
  if (!a.relay && (a["relay-bus"] || a["relay-peer"].length > 0)) throw new UsageError("--relay-bus and --relay-peer need --relay");
  if (a.relay) {
    if ((MANIFEST.federation.enable as number) === 0) throw new UsageError("--relay: federation is disabled in this manifest ([federation] enable = 0)");
    const wal = new Wal(resolve(a["relay-wal"] ?? join(dir, "relay-wal.json")));
    wal.load();
    if (a["relay-bus"]) {
      if (a["relay-peer"].length > 0 || a["relay-peer-token"].length > 0) throw new UsageError("--relay-bus carries every relayed ticket; do not mix it with --relay-peer");
      for (const [flag, v] of [["--relay-bus-token", a["relay-bus-token"]], ["--relay-bus-creds", a["relay-bus-creds"]]] as const)
        if (v !== undefined && !/^(env|file):/.test(v)) throw new UsageError(`${flag}: give a reference (env:NAME or file:/abs/path), never the secret itself`);
      link = new BusLink(last(a["relay-bus"]), a["local-hive"], { token: secretRef(a["relay-bus-token"], "--relay-bus-token"), creds: secretRef(a["relay-bus-creds"], "--relay-bus-creds") });
      const outbox = new Outbox(join(dir, "bus-outbox.json"));
      outbox.load();
      serve = new BusServe({ local: opened.ns, link, outbox, localHive: a["local-hive"], mount: a.mount, log: logErr, crashPoint: crashHook() });
      relay = new Relay({ local: opened.ns, wal, peer: async () => null, carrier: new BusCarrier(link, logErr), localHive: a["local-hive"], mount: a.mount, log: logErr, crashPoint: crashHook() });
    } else {
      const peers = peerDialer(a["relay-peer"], a["relay-peer-token"]);
      closePeers = peers.close;
      relay = new Relay({ local: opened.ns, wal, peer: peers.dial, localHive: a["local-hive"], mount: a.mount, log: logErr, crashPoint: crashHook() });
    }
  }
  const statusFile = resolve(a["relay-status"] ?? join(dir, "relay-status.json"));
  let busBefore: BusStats = zeroBusStats();
  /** The bus's side of a pass: a bus that is away is logged and waited for; the local hive's errors end the run. */
  const busStep = async (step: () => Promise<void>): Promise<void> => {
    try {
      await step();
    } catch (e) {
      if (e instanceof NsClosed || e instanceof ConnectError || e instanceof BusConfigError) throw e;
      link!.stats.unavailable++;
      logErr(`host-ticket-agent bus: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  const stop = new AbortController();
  process.once("SIGINT", () => stop.abort());
  process.once("SIGTERM", () => stop.abort());
  const report = (s: PassStats, pass: number): void => {
    if (a.json) process.stdout.write(JSON.stringify({ schema: "host-ticket-agent-pass/v1", pass, ...s }) + "\n");
    if (s.seen > 0 || a["run-once"]) process.stderr.write(`host-ticket-agent pass=${pass} seen=${s.seen} executed=${s.executed} succeeded=${s.succeeded} failed=${s.failed} expired=${s.expired} skipped_terminal=${s.skipped_terminal} conflicts=${s.conflicts}\n`);
  };
  const reportRelay = (s: RelayStats, pass: number): void => {
    if (a.json) process.stdout.write(JSON.stringify({ schema: "host-ticket-agent-relay/v1", pass, ...s }) + "\n");
    if (s.candidates > 0 || a["run-once"]) process.stderr.write(`host-ticket-agent relay pass=${pass} ${Object.entries(s).map(([k, v]) => `${k}=${v}`).join(" ")}\n`);
  };
  const reportBus = (pass: number): void => {
    const now = { ...link!.stats };
    const d = Object.fromEntries(Object.entries(now).map(([k, v]) => [k, v - busBefore[k as keyof BusStats]])) as Record<string, number>;
    busBefore = now;
    if (a.json) process.stdout.write(JSON.stringify({ schema: "host-ticket-agent-bus/v1", pass, ...d }) + "\n");
    if (Object.values(d).some((v) => v !== 0) || a["run-once"]) process.stderr.write(`host-ticket-agent bus pass=${pass} ${Object.entries(d).map(([k, v]) => `${k}=${v}`).join(" ")}\n`);
  };
  // The live counters for hive-gateway's /v1/meta/status (host/sdk/relay_status.ts), replaced whole each pass.
  const writeStatus = (pass: number): void => {
    const doc: RelayStatusDoc = { schema: RELAY_STATUS_SCHEMA, updated_unix_ms: Date.now(), pid: process.pid, local_hive: a["local-hive"], carrier: link ? "nats" : "gateway", passes: pass, totals: { ...relay!.totals }, ...(link ? { bus: { ...link.stats } } : {}) };
    try {
      writeDurable(statusFile, JSON.stringify(doc) + "\n");
    } catch (e) {
      logErr(`host-ticket-agent relay: ${statusFile} not written: ${e instanceof Error ? e.message : String(e)}`);
    }
  };
  try {
    if (a.submit) for (const l of readFileSync(a.submit, "utf8").split("\n").filter((x) => x.trim())) await opened.ns.append(`${a.mount}/tickets/spec`, l.trim());
    let pass = 0;
    do {
      // Relayed tickets in before the local pass (so it executes them), receipts out after it.
      if (serve) await busStep(() => serve.intake());
      report(await agent.pass(), ++pass);
      if (relay) reportRelay(await relay.pass(), pass);
      if (serve) await busStep(() => serve.outbound());
      if (link) reportBus(pass);
      if (relay) writeStatus(pass);
      if (a["run-once"] || stop.signal.aborted) break;
      await new Promise<void>((res) => {
        const t = setTimeout(res, a["poll-ms"]);
        stop.signal.addEventListener("abort", () => (clearTimeout(t), res()), { once: true });
      });
    } while (!stop.signal.aborted);
  } finally {
    await closePeers();
    await link?.close().catch(() => undefined);
    await opened.close().catch(() => undefined);
    release();
  }
  return 0;
}

main(hideBin(process.argv)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const msg = e instanceof Error ? e.message : String(e);
    const code = e instanceof UsageError || e instanceof LockError || e instanceof JournalError || e instanceof WalError || e instanceof RelayConfigError || e instanceof BusConfigError || e instanceof OutboxError || e instanceof K8sConfigError ? 2 : e instanceof NsRefusal ? 1 : e instanceof NsClosed || e instanceof ConnectError ? 3 : 1;
    if (process.argv.includes("--json")) process.stdout.write(JSON.stringify({ ok: false, error: msg }) + "\n");
    process.stderr.write(`host-ticket-agent: ${msg}\n`);
    process.exit(code);
  },
);
