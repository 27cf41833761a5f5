// The NATS JetStream bus (docs/FEDERATION.md): two hives, each a core in this process on real
// TCP sockets, a real nats-server (JetStream on, file store, token auth), and real
// host-ticket-agent processes with --relay --relay-bus on each hive. hive-a's agent publishes
// its tickets for hive-b; hive-b's agent takes them into its spec, executes them (the fake
// systemctl of tests/fakes counts executions) and publishes the receipts home. Seed scenario E,
// a replay the duplicate window drops, kill -9 of both agents at the bus's steps and at random
// instants with a nats-server restart in the middle, and the gateway's live relay counters.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "smol-toml";
import { validate } from "../host/coh-rtc/schema.js";
import { MANIFEST } from "../host/generated/manifest.js";
import { Bus, manifestBounds } from "../host/host-ticket-agent/bus.js";
import { Guest } from "../host/runtime/guest.js";
import { tcpTransport } from "../host/sdk/connect.js";
import type { NamespaceClient } from "../host/sdk/ns.js";
import { clientOn } from "../host/sdk/open.js";
import { auth, inProcess } from "./helpers/gateway.js";
import { startNats, type NatsServer } from "./helpers/nats.js";
import { xorshift } from "./helpers/rng.js";

const ROOT = resolve(import.meta.dirname, "..");
const T = `${MANIFEST.host.mount_at}/tickets`;
const tmp = mkdtempSync(join(tmpdir(), "federation-nats-"));
const STATE = join(tmp, "host.json");
const UNITS = 140;
const BUS_TOKEN = "bus-token-9f2c41d07e";

interface Hive {
  guest: Guest;
  port: number;
  ns: NamespaceClient;
}
let a: Hive;
let b: Hive;
let nats: NatsServer | null = null;
const running = new Set<ChildProcess>();

async function hive(): Promise<Hive> {
  const guest = await Guest.start({ net: "sockets", sockets: { portMap: { 31337: 0, 31338: 0, 31339: 0 } } });
  const port = guest.sockets.bound.get(31337) as number;
  const ns = clientOn(tcpTransport("127.0.0.1", port), { heartbeatMs: 0, timeoutMs: 30_000 });
  await ns.attach("queen");
  return { guest, port, ns };
}

beforeAll(async () => {
  writeFileSync(STATE, JSON.stringify({ units: Object.fromEntries(Array.from({ length: UNITS }, (_, i) => [`u${i}.service`, { ActiveState: "active", SubState: "running", InvocationID: `boot-${i}` }])) }));
  a = await hive();
  b = await hive();
  nats = await startNats({ dir: join(tmp, "nats"), token: BUS_TOKEN });
}, 90_000);
afterAll(async () => {
  for (const p of running) p.kill("SIGKILL");
  await nats?.stop();
  for (const h of [a, b]) {
    await h?.ns.close().catch(() => undefined);
    await h?.guest.stop();
  }
  rmSync(tmp, { recursive: true, force: true });
});

interface Run {
  proc: ChildProcess;
  done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>;
}

/** One agent on hive a or b, relaying over the bus; `once` = --run-once. */
function agent(which: "a" | "b", o: { once?: boolean; env?: NodeJS.ProcessEnv; busUrl?: string } = {}): Run {
  const h = which === "a" ? a : b;
  const args = ["--json", "--poll-ms", "50", "--tcp-port", String(h.port), "--state-dir", join(tmp, `agent-${which}`), "--local-hive", `hive-${which}`, "--relay", "--relay-bus", o.busUrl ?? nats!.url, "--relay-bus-token", "env:BUS_TOKEN"];
  if (o.once !== false) args.unshift("--run-once");
  const proc = spawn(join(ROOT, "bin/host-ticket-agent"), args, { env: { ...process.env, PATH: `${join(ROOT, "tests/fakes/bin")}:${process.env.PATH}`, FAKE_HOST_STATE: STATE, BUS_TOKEN, ...o.env } });
  running.add(proc);
  let stdout = "";
  let stderr = "";
  proc.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
  proc.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const guard = setTimeout(() => proc.kill("SIGKILL"), 300_000);
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((res) =>
    proc.on("close", (code, signal) => {
      clearTimeout(guard);
      running.delete(proc);
      res({ code, signal, stdout, stderr });
    }),
  );
  return { proc, done };
}

const once = async (which: "a" | "b", env?: NodeJS.ProcessEnv): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> => agent(which, { env }).done;
const record = (stdout: string, schema: string): Record<string, number> => JSON.parse(stdout.split("\n").find((l) => l.includes(`"${schema}"`))!) as Record<string, number>;
const spec = (id: string, unit: string, key = "nb"): string => JSON.stringify({ schema: "host-ticket/v1", id, idempotency_key: key, action: "systemd.restart", args: { unit }, source_hive: "hive-a", target_hive: "hive-b" });
const execs = (unit: string): number => (JSON.parse(readFileSync(STATE, "utf8")) as { exec?: Record<string, number> }).exec?.[`systemctl restart ${unit}`] ?? 0;
const terminals = async (h: Hive, id: string): Promise<string[]> =>
  [...(await h.ns.read(`${T}/status`)), ...(await h.ns.read(`${T}/deadletter`))].filter((l) => {
    const r = JSON.parse(l) as { id: string; state: string };
    return r.id === id && ["succeeded", "failed", "expired"].includes(r.state);
  });

describe("the NATS JetStream bus between two hives", () => {
  it("seed scenario E over the bus: hive-b runs hive-a's ticket, the receipt (source, target, hop 1) comes home once", async () => {
    await a.ns.append(`${T}/spec`, spec("n1", "u0.service"));
    const r1 = await once("a");
    expect(r1.code, r1.stderr).toBe(0);
    expect(record(r1.stdout, "host-ticket-agent-relay/v1")).toMatchObject({ candidates: 1, forwarded: 1, queue_depth: 1 });
    expect(record(r1.stdout, "host-ticket-agent-bus/v1")).toMatchObject({ tickets_published: 1, tickets_publish_duplicates: 0 });
    expect(r1.stderr + r1.stdout).not.toContain(BUS_TOKEN);
    expect(execs("u0.service")).toBe(0); // not hive-a's to run
    // One pass on hive-b: the ticket into its spec, executed, the receipt published.
    const rb = await once("b");
    expect(rb.code, rb.stderr).toBe(0);
    expect(record(rb.stdout, "host-ticket-agent-bus/v1")).toMatchObject({ tickets_in: 1, tickets_appended: 1, receipts_published: 1 });
    expect(execs("u0.service")).toBe(1);
    const onB = await terminals(b, "n1");
    expect(onB).toHaveLength(1);
    expect(JSON.parse(onB[0])).toMatchObject({ state: "succeeded", source_hive: "hive-a", target_hive: "hive-b", relay_hop: 1, relay_correlation_id: "n1:nb:hive-a:hive-b" });
    expect((await b.ns.read(`${T}/spec`)).filter((l) => l.includes('"id":"n1"'))).toHaveLength(1);
    const r2 = await once("a");
    expect(record(r2.stdout, "host-ticket-agent-relay/v1")).toMatchObject({ terminal_returned: 1, queue_depth: 0 });
    expect(record(r2.stdout, "host-ticket-agent-bus/v1")).toMatchObject({ results_in: 1, results_delivered: 1 });
    expect(await terminals(a, "n1")).toEqual(onB); // hive-b's receipt, byte for byte
    // Later passes on both sides: nothing travels again.
    const rb2 = await once("b");
    expect(record(rb2.stdout, "host-ticket-agent-bus/v1")).toMatchObject({ tickets_in: 0, receipts_published: 0 });
    const r3 = await once("a");
    expect(record(r3.stdout, "host-ticket-agent-relay/v1")).toMatchObject({ deduped: 1, forwarded: 0, terminal_returned: 0 });
    expect(record(r3.stdout, "host-ticket-agent-bus/v1")).toMatchObject({ results_in: 0 });
    expect(await terminals(a, "n1")).toHaveLength(1);
    expect(execs("u0.service")).toBe(1);
  }, 120_000);

  it("a crash after the publish, before the WAL says so: the re-publish is dropped by JetStream's duplicate window", async () => {
    await a.ns.append(`${T}/spec`, spec("n2", "u1.service"));
    const dead = await once("a", { HOST_TICKET_AGENT_CRASH_AT: "relay-forwarded:1" });
    expect(dead.signal).toBe("SIGKILL");
    const wal = JSON.parse(readFileSync(join(tmp, "agent-a", "relay-wal.json"), "utf8")) as { entries: { key: string; state: string }[] };
    expect(wal.entries.find((e) => e.key === "n2:nb:hive-a:hive-b")?.state).toBe("pending");
    const again = await once("a");
    expect(record(again.stdout, "host-ticket-agent-bus/v1")).toMatchObject({ tickets_published: 1, tickets_publish_duplicates: 1 });
    const rb = await once("b");
    expect(record(rb.stdout, "host-ticket-agent-bus/v1")).toMatchObject({ tickets_in: 1, tickets_appended: 1 });
    await once("a");
    expect(execs("u1.service")).toBe(1);
    expect(await terminals(a, "n2")).toHaveLength(1);
    // hive-b restarted at the step after its append (before the ack): redelivered, not appended twice.
    await a.ns.append(`${T}/spec`, spec("n3", "u2.service"));
    await once("a");
    const killed = await once("b", { HOST_TICKET_AGENT_CRASH_AT: "bus-ticket-appended:1" });
    expect(killed.signal).toBe("SIGKILL");
    // The unacknowledged delivery comes back after bus_ack_wait_ms; run hive-b until it has.
    let held = 0;
    for (let i = 0; i < 40 && held === 0; i++) held = record((await once("b")).stdout, "host-ticket-agent-bus/v1").tickets_already_held;
    expect(held).toBe(1);
    expect((await b.ns.read(`${T}/spec`)).filter((l) => l.includes('"id":"n3"'))).toHaveLength(1);
    await once("a");
    expect(await terminals(a, "n3")).toHaveLength(1);
    expect(execs("u2.service")).toBe(1);
  }, 180_000);

  it("refusals: a hive name NATS cannot carry ends once in hive-a's deadletter; the bus URL may not carry credentials", async () => {
    await a.ns.append(`${T}/spec`, JSON.stringify({ schema: "host-ticket/v1", id: "n4", idempotency_key: "nb", action: "systemd.restart", args: { unit: "u3.service" }, source_hive: "hive-a", target_hive: "hive.b" }));
    const r = await once("a");
    expect(record(r.stdout, "host-ticket-agent-relay/v1")).toMatchObject({ rejected: 1, forwarded: 0 });
    const dl = await terminals(a, "n4");
    expect(dl).toHaveLength(1);
    expect(JSON.parse(dl[0])).toMatchObject({ state: "failed" });
    expect(record((await once("a")).stdout, "host-ticket-agent-relay/v1").rejected).toBe(0);
    const url = await agent("a", { busUrl: `nats://user:${BUS_TOKEN}@127.0.0.1:${nats!.port}` }).done;
    expect(url.code).toBe(2);
    expect(url.stderr).toContain("credentials do not go in the URL");
    expect(url.stderr).not.toContain(BUS_TOKEN);
    // A wrong token: the bus refuses, the agent keeps working its own hive and says the bus is away.
    const wrong = await once("a", { BUS_TOKEN: "not-the-token" });
    expect(wrong.code, wrong.stderr).toBe(0);
    expect(record(wrong.stdout, "host-ticket-agent-bus/v1").unavailable).toBeGreaterThanOrEqual(1);
    expect(wrong.stderr).not.toContain("not-the-token");
  }, 120_000);

  it("the gateway's /v1/meta/status relay counters follow the agent's relay-status.json live (env seeds without it)", async () => {
    const file = join(tmp, "agent-a", "relay-status.json");
    const doc = JSON.parse(readFileSync(file, "utf8")) as { carrier: string; totals: Record<string, number>; bus: Record<string, number> };
    expect(doc).toMatchObject({ carrier: "nats", totals: { queue_depth: 0 } });
    const gw = await inProcess(["--mock", "--relay-status", file], { HIVE_GATEWAY_RELAY_DEDUPED: "7" });
    try {
      const get = async (): Promise<{ broker: Record<string, number>; relay: Record<string, unknown> }> => (await (await fetch(`${gw.url}/v1/meta/status`, { headers: auth() })).json()) as { broker: Record<string, number>; relay: Record<string, unknown> };
      const s1 = await get();
      expect(s1.relay).toMatchObject({ source: "agent", carrier: "nats", local_hive: "hive-a" });
      expect(s1.broker).toMatchObject({ relay_queue_depth: 0, relay_deduped: doc.totals.deduped, relay_remote_write_failures: doc.totals.remote_write_failures });
      // A pass with a ticket the bus will not take now (a wrong token): the counters move without a gateway restart.
      await a.ns.append(`${T}/spec`, spec("n5", "u4.service"));
      const down = await once("a", { BUS_TOKEN: "not-the-token" });
      expect(down.code, down.stderr).toBe(0);
      const s2 = await get();
      expect(s2.broker.relay_queue_depth).toBe(1);
      expect(s2.broker.relay_remote_write_failures).toBe(1);
      expect((s2.relay.bus as Record<string, number>).unavailable).toBeGreaterThanOrEqual(1);
      await once("a");
      await once("b");
      await once("a");
      expect((await get()).broker.relay_queue_depth).toBe(0);
      expect(await terminals(a, "n5")).toHaveLength(1);
    } finally {
      await gw.stop();
    }
    const seeded = await inProcess(["--mock", "--relay-status", join(tmp, "no-such-status.json")], { HIVE_GATEWAY_RELAY_DEDUPED: "7", HIVE_GATEWAY_RELAY_QUEUE_DEPTH: "2" });
    try {
      const s = (await (await fetch(`${seeded.url}/v1/meta/status`, { headers: auth() })).json()) as { broker: Record<string, number>; relay: Record<string, unknown> };
      expect(s.broker).toMatchObject({ relay_queue_depth: 2, relay_deduped: 7, relay_remote_write_failures: 0 });
      expect(s.relay).toMatchObject({ source: "env", file_error: "no relay-status file yet" });
    } finally {
      await seeded.stop();
    }
  }, 120_000);

  it("kill -9 of both relaying agents at the bus's steps and at random, and a nats-server restart, under a stream of tickets: one receipt each side, one execution each", async () => {
    // 100 tickets and 10 kills (the WAL relay's test runs 200/20): hive-b executes each with the
    // fake systemctl, a node process, which is what takes the time. FED_NATS_TICKETS overrides.
    const N = Number(process.env.FED_NATS_TICKETS ?? 100);
    const K = 10;
    const unit = (i: number): string => `u${i + 20}.service`;
    const feed = async (from: number, to: number): Promise<void> => {
      for (let i = from; i < to; i++) await a.ns.append(`${T}/spec`, spec(`m${i}`, unit(i), "s"));
    };
    await feed(0, N / 2);
    const rnd = xorshift(20261202);
    const STEPS = { a: ["relay-pending", "relay-forwarded", "relay-retained", "relay-appended"], b: ["bus-ticket-appended", "bus-receipt-published"] };
    const live: Record<"a" | "b", Run | null> = { a: null, b: null };
    const all: Run[] = [];
    const start = (w: "a" | "b", env?: NodeJS.ProcessEnv): Run => {
      const r = agent(w, { once: false, env });
      all.push(r);
      return r;
    };
    const ensure = (w: "a" | "b"): void => {
      if (!live[w] || live[w]!.proc.exitCode !== null || live[w]!.proc.signalCode !== null) live[w] = start(w);
    };
    let kills = 0;
    let restartedAt = -1;
    for (let k = 0; k < K; k++) {
      // hive-a's agent dies at random instants too; hive-b's only at the bus's steps (a kill
      // inside an execution is the agent's replay-ambiguous case, tests/host_ticket_crash.test.ts).
      const victim: "a" | "b" = k % 2 === 0 ? "a" : "b";
      const other = victim === "a" ? "b" : "a";
      ensure(other);
      if (live[victim]) {
        // hive-a's is killed wherever it is (one more random instant); hive-b's is stopped
        // between passes, since a kill inside an execution is the agent's replay-ambiguous case.
        live[victim]!.proc.kill(victim === "a" ? "SIGKILL" : "SIGTERM");
        await live[victim]!.done;
      }
      const random = victim === "a" && k % 4 === 0;
      const steps = STEPS[victim];
      const run = start(victim, random ? {} : { HOST_TICKET_AGENT_CRASH_AT: `${steps[rnd(steps.length)]}:${1 + rnd(6)}` });
      live[victim] = run;
      // Its planned step, or a random instant: whichever comes first kills it. hive-b's agent whose
      // step never came is stopped between passes (SIGTERM): a timer's SIGKILL could land inside
      // an execution (replay-ambiguous, a receipt with no execution; one full-suite run hit it).
      const at = setTimeout(() => run.proc.kill(victim === "b" ? "SIGTERM" : "SIGKILL"), random ? 300 + rnd(2500) : 6000);
      const r = await run.done;
      clearTimeout(at);
      if (r.signal === "SIGKILL") kills++;
      else expect(r.code, r.stderr.slice(-800)).toBe(0);
      live[victim] = null;
      if (k === K / 2) {
        // More tickets, and the bus restarted in place (same port and store) while agents run.
        await feed(N / 2, N);
        const port = nats!.port;
        await nats!.stop();
        nats = await startNats({ dir: join(tmp, "nats"), token: BUS_TOKEN, port });
        restartedAt = k;
      }
    }
    expect(restartedAt).toBe(K / 2);
    // Both agents run undisturbed until hive-a holds a receipt for every ticket (bounded).
    ensure("a");
    ensure("b");
    const deadline = Date.now() + 240_000;
    const count = async (h: Hive): Promise<Map<string, number>> => {
      const m = new Map<string, number>();
      for (const f of ["status", "deadletter"])
        for (const l of await h.ns.read(`${T}/${f}`)) {
          const r = JSON.parse(l) as { id: string; state: string };
          if (r.id.startsWith("m") && ["succeeded", "failed", "expired"].includes(r.state)) m.set(r.id, (m.get(r.id) ?? 0) + 1);
        }
      return m;
    };
    while (Date.now() < deadline && (await count(a)).size < N) await new Promise((r) => setTimeout(r, 500));
    // A little longer, so a duplicate still in flight would have arrived before the count.
    for (let i = 0; i < 3; i++) {
      const before = JSON.stringify([...(await count(a))]);
      await new Promise((r) => setTimeout(r, 1000));
      if (JSON.stringify([...(await count(a))]) === before) break;
    }
    for (const w of ["a", "b"] as const) {
      live[w]?.proc.kill("SIGTERM");
      await live[w]?.done;
    }
    const receiptsB = new Map<string, string>();
    for (const f of ["status", "deadletter"]) for (const l of await b.ns.read(`${T}/${f}`)) receiptsB.set((JSON.parse(l) as { id: string }).id, l);
    const termA = await count(a);
    const termB = await count(b);
    let lost = 0;
    let twice = 0;
    const odd: string[] = [];
    for (let i = 0; i < N; i++) {
      const onA = termA.get(`m${i}`) ?? 0;
      const onB = termB.get(`m${i}`) ?? 0;
      const ex = execs(unit(i));
      if (onA === 0 || onB === 0 || ex === 0) lost++;
      if (onA > 1 || onB > 1 || ex > 1) twice++;
      if (onA !== 1 || onB !== 1 || ex !== 1) odd.push(`m${i}: a=${onA} b=${onB} exec=${ex} ${receiptsB.get(`m${i}`) ?? ""}`);
    }
    if (odd.length) process.stdout.write(`[federation nats] odd:\n  ${odd.join("\n  ")}\n`);
    const specsOnB = (await b.ns.read(`${T}/spec`)).filter((l) => l.includes('"id":"m'));
    // What the bus saw over every run (a killed run's last lines may be missing).
    const sum: Record<string, number> = {};
    for (const r of all)
      for (const l of (await r.done).stdout.split("\n"))
        if (l.includes('"host-ticket-agent-bus/v1"'))
          for (const [k, v] of Object.entries(JSON.parse(l) as Record<string, number>)) if (typeof v === "number" && k !== "pass" && v) sum[k] = (sum[k] ?? 0) + v;
    process.stdout.write(`[federation nats] tickets=${N} kills=${kills} agent_runs=${all.length} nats_restart_after_kill=${restartedAt} lost=${lost} twice=${twice} spec_lines_on_b=${specsOnB.length} bus=${JSON.stringify(sum)}\n`);
    expect({ lost, twice }).toEqual({ lost: 0, twice: 0 });
    expect(specsOnB.length).toBe(N); // appended once each on hive-b, whatever the kills and the restart
    expect(kills).toBeGreaterThanOrEqual(K / 2);
  }, 500_000);
});

describe("the bus's bounds (manifest [federation] bus_*)", () => {
  it("coh-rtc: each bus_* key at its edge passes, past it is refused; the duplicate window may not outlast the max age", () => {
    const text = readFileSync(join(ROOT, "configs/root_task.toml"), "utf8");
    const check = (k: string, v: number): string => {
      const { errors } = validate(parse(text.replace(new RegExp(`^${k} = \\d+`, "m"), `${k} = ${v}`)) as Record<string, unknown>);
      return errors.map((e) => `${e.path}: ${e.message}`).join("; ");
    };
    expect(check("bus_fetch_batch", 4096)).toBe("");
    expect(check("bus_fetch_batch", 4097)).toContain("federation.bus_fetch_batch: must be within 1..4096");
    expect(check("bus_ack_wait_ms", 500)).toBe("");
    expect(check("bus_ack_wait_ms", 499)).toContain("federation.bus_ack_wait_ms");
    expect(check("bus_duplicate_window_ms", 86_400_000)).toBe("");
    expect(check("bus_duplicate_window_ms", 86_400_001)).toContain("federation.bus_duplicate_window_ms: must be within 1000..86400000");
    // The cross-check, at and past its edge (the development manifest's window is 120000 ms).
    expect(MANIFEST.federation.bus_duplicate_window_ms).toBe(120_000);
    expect(check("bus_stream_max_age_ms", 120_000)).toBe("");
    expect(check("bus_stream_max_age_ms", 119_999)).toContain("federation.bus_duplicate_window_ms (120000) must not exceed federation.bus_stream_max_age_ms (119999)");
  });

  it("a stream at bus_stream_max_msgs refuses one more (the source defers it), takes it once one is consumed; a msg id replayed inside the window is dropped, past it is not", async () => {
    const srv = await startNats({ dir: join(tmp, "nats-bounds"), token: BUS_TOKEN });
    const bus = await Bus.open(srv.url, "hive-x", { token: BUS_TOKEN }, { ...manifestBounds(), maxMsgs: 3, duplicateWindowMs: 1000, maxAgeMs: 60_000 });
    try {
      for (let i = 0; i < 3; i++) expect(await bus.publish("tickets", "hive-x", `k${i}`, `line ${i}`)).toEqual({ duplicate: false });
      await expect(bus.publish("tickets", "hive-x", "k3", "line 3")).rejects.toThrow(/maximum messages/i);
      const got = await bus.take("tickets");
      expect(got.map((d) => d.line)).toEqual(["line 0", "line 1", "line 2"]);
      expect(got[0].msgId).toBe("k0");
      got[0].ack();
      await bus.flush();
      // The ack frees a slot (work-queue retention: a consumed message leaves the stream).
      let took = false;
      for (let i = 0; i < 50 && !took; i++) took = await bus.publish("tickets", "hive-x", "k3", "line 3").then(() => true, () => false);
      expect(took).toBe(true);
      for (const d of got.slice(1)) d.ack();
      // Inside the duplicate window the server drops the replay; once the window has passed it is a new message.
      const t0 = Date.now();
      expect(await bus.publish("results", "hive-x", "r0", "receipt")).toEqual({ duplicate: false });
      expect(await bus.publish("results", "hive-x", "r0", "receipt")).toEqual({ duplicate: true });
      let dup = true;
      while (dup && Date.now() - t0 < 10_000) {
        await new Promise((r) => setTimeout(r, 250));
        dup = (await bus.publish("results", "hive-x", "r0", "receipt")).duplicate;
      }
      expect(dup).toBe(false);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1000);
    } finally {
      await bus.close();
      await srv.stop();
    }
  }, 60_000);
});
