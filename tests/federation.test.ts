// Multi-hive federation (docs/FEDERATION.md): two hives, each a core in this process on real TCP
// sockets; hive-b behind its own hive-gateway process. host-ticket-agent --relay on hive-a sends
// tickets for hive-b to hive-b's gateway through its WAL; hive-b's agent executes them (the fake
// systemctl counts executions); the relay brings the receipts back. Seed scenario E, the target
// gateway stopped and restored, and SIGKILLs of the relaying agent at every WAL state.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MANIFEST } from "../host/generated/manifest.js";
import { Guest } from "../host/runtime/guest.js";
import { restClient, tcpTransport } from "../host/sdk/connect.js";
import type { NamespaceClient } from "../host/sdk/ns.js";
import { clientOn } from "../host/sdk/open.js";
import { spawnGateway, TOKEN, type GatewayProcess } from "./helpers/gateway.js";
import { xorshift } from "./helpers/rng.js";

const ROOT = resolve(import.meta.dirname, "..");
const T = `${MANIFEST.host.mount_at}/tickets`;
const tmp = mkdtempSync(join(tmpdir(), "federation-"));
const STATE = join(tmp, "host.json");
const UNITS = 210;

interface Hive {
  guest: Guest;
  port: number;
  ns: NamespaceClient;
}
let a: Hive;
let b: Hive;
let gwB: GatewayProcess | null = null;

async function hive(): Promise<Hive> {
  const guest = await Guest.start({ net: "sockets", sockets: { portMap: { 31337: 0, 31338: 0, 31339: 0 } } });
  const port = guest.sockets.bound.get(31337) as number;
  const ns = clientOn(tcpTransport("127.0.0.1", port), { heartbeatMs: 0, timeoutMs: 30_000 });
  await ns.attach("queen");
  return { guest, port, ns };
}

const startGwB = async (): Promise<GatewayProcess> => spawnGateway(["--bind", "127.0.0.1:0"], { COH_TCP_PORT: String(b.port), COH_AUTH_TOKEN: MANIFEST.console.auth_token, HIVE_GATEWAY_REQUEST_AUTH_TOKEN: TOKEN });

beforeAll(async () => {
  writeFileSync(STATE, JSON.stringify({ units: Object.fromEntries(Array.from({ length: UNITS }, (_, i) => [`u${i}.service`, { ActiveState: "active", SubState: "running", InvocationID: `boot-${i}` }])) }));
  a = await hive();
  b = await hive();
  gwB = await startGwB();
}, 90_000);
afterAll(async () => {
  await gwB?.stop();
  for (const h of [a, b]) {
    await h?.ns.close().catch(() => undefined);
    await h?.guest.stop();
  }
  rmSync(tmp, { recursive: true, force: true });
});

/** One agent run to its end (or its SIGKILL); `relay` = hive-a's relaying agent, else hive-b's executor. */
function agent(which: "relay" | "b", env: NodeJS.ProcessEnv = {}, killAfterMs?: number): Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }> {
  const args =
    which === "relay"
      ? ["--run-once", "--json", "--tcp-port", String(a.port), "--state-dir", join(tmp, "agent-a"), "--local-hive", "hive-a", "--relay", "--relay-peer", `hive-b=${gwB?.url ?? "http://127.0.0.1:9"}`, "--relay-peer-token", "hive-b=env:PEER_B_TOKEN"]
      : // hive-b's own agent through hive-b's gateway (its console's sessions are the gateway's and the test's).
        ["--run-once", "--rest-url", gwB!.url, "--rest-auth-token", "env:PEER_B_TOKEN", "--state-dir", join(tmp, "agent-b"), "--local-hive", "hive-b"];
  return new Promise((res) => {
    const p = spawn(join(ROOT, "bin/host-ticket-agent"), args, { env: { ...process.env, PATH: `${join(ROOT, "tests/fakes/bin")}:${process.env.PATH}`, FAKE_HOST_STATE: STATE, PEER_B_TOKEN: TOKEN, ...env } });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const killer = killAfterMs !== undefined ? setTimeout(() => p.kill("SIGKILL"), killAfterMs) : undefined;
    // hive-b's agent runs the fake systemctl (a node script) per ticket: minutes for 200 on a loaded machine.
    const guard = setTimeout(() => p.kill("SIGKILL"), 400_000);
    p.on("close", (code, signal) => {
      clearTimeout(killer);
      clearTimeout(guard);
      res({ code, signal, stdout, stderr });
    });
  });
}

const relayStats = (stdout: string): Record<string, number> => JSON.parse(stdout.split("\n").find((l) => l.includes("host-ticket-agent-relay/v1"))!) as Record<string, number>;
const spec = (id: string, unit: string, key = "fed"): string => JSON.stringify({ schema: "host-ticket/v1", id, idempotency_key: key, action: "systemd.restart", args: { unit }, source_hive: "hive-a", target_hive: "hive-b" });
const execs = (unit: string): number => (JSON.parse(readFileSync(STATE, "utf8")) as { exec?: Record<string, number> }).exec?.[`systemctl restart ${unit}`] ?? 0;
const receipts = async (h: Hive, id: string): Promise<Array<Record<string, unknown>>> =>
  [...(await h.ns.read(`${T}/status`)), ...(await h.ns.read(`${T}/deadletter`))].map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.id === id && ["succeeded", "failed", "expired"].includes(r.state as string));

describe("relay between two hives", () => {
  it("seed scenario E: hive-a's ticket runs on hive-b, the receipt (source, target, hop 1) comes back once", async () => {
    await a.ns.append(`${T}/spec`, spec("e1", "u0.service"));
    const r1 = await agent("relay");
    expect(r1.code, r1.stderr).toBe(0);
    expect(relayStats(r1.stdout)).toMatchObject({ candidates: 1, forwarded: 1, queue_depth: 1 });
    // hive-a's own agent never executes it (another hive's ticket), hive-b's does.
    expect(execs("u0.service")).toBe(0);
    const rb = await agent("b");
    expect(rb.code, rb.stderr).toBe(0);
    process.stdout.write(`[federation] relay pass ${r1.stderr.trim().split("\n").pop()}\n`);
    expect(execs("u0.service")).toBe(1);
    const onB = await receipts(b, "e1");
    expect(onB).toHaveLength(1);
    expect(onB[0]).toMatchObject({ state: "succeeded", source_hive: "hive-a", target_hive: "hive-b", relay_hop: 1, relay_correlation_id: "e1:fed:hive-a:hive-b" });
    const r2 = await agent("relay");
    expect(relayStats(r2.stdout)).toMatchObject({ terminal_returned: 1, queue_depth: 0 });
    const onA = await receipts(a, "e1");
    expect(onA).toEqual(onB); // the peer's receipt, byte for byte
    const r3 = await agent("relay");
    expect(relayStats(r3.stdout)).toMatchObject({ deduped: 1, forwarded: 0, terminal_returned: 0 });
    expect(await receipts(a, "e1")).toHaveLength(1);
  }, 120_000);

  it("the target gateway down: the WAL holds the ticket, failures are counted, the restore drains it exactly once", async () => {
    await gwB!.stop();
    await a.ns.append(`${T}/spec`, spec("e2", "u1.service"));
    const down = await agent("relay");
    expect(down.code, down.stderr).toBe(0);
    expect(relayStats(down.stdout)).toMatchObject({ forwarded: 0, remote_write_failures: 1, queue_depth: 1 });
    const wal = JSON.parse(readFileSync(join(tmp, "agent-a", "relay-wal.json"), "utf8")) as { entries: { key: string; state: string; attempts: number; last_error?: string }[] };
    expect(wal.entries.find((e) => e.key === "e2:fed:hive-a:hive-b")).toMatchObject({ state: "pending", attempts: 1, last_error: "relay dispatch, observation or terminal return unavailable" });
    expect(readFileSync(join(tmp, "agent-a", "relay-wal.json"), "utf8")).not.toContain(TOKEN);
    gwB = await startGwB();
    expect(relayStats((await agent("relay")).stdout)).toMatchObject({ forwarded: 1 });
    await agent("b");
    await agent("relay");
    expect(execs("u1.service")).toBe(1);
    expect(await receipts(a, "e2")).toHaveLength(1);
    expect(await receipts(b, "e2")).toHaveLength(1);
  }, 120_000);

  it("a ticket for an action outside federation.relay_actions is refused once, into hive-a's deadletter", async () => {
    await a.ns.append(`${T}/spec`, JSON.stringify({ schema: "host-ticket/v1", id: "e3", idempotency_key: "fed", action: "gpu.lease.grant", source_hive: "hive-a", target_hive: "hive-b" }));
    expect(relayStats((await agent("relay")).stdout)).toMatchObject({ rejected: 1, forwarded: 0 });
    const again = relayStats((await agent("relay")).stdout);
    expect(again.rejected).toBe(0);
    expect(again.deduped).toBeGreaterThanOrEqual(1);
    const r = await receipts(a, "e3");
    expect(r).toHaveLength(1);
    expect(r[0], JSON.stringify(r[0])).toMatchObject({ state: "failed", message: "relay refused: action not relayable" });
    expect(await receipts(b, "e3")).toHaveLength(0);
    // A ticket that fits hive-a but whose relayed receipt (plus hop and correlation id) cannot fit
    // hive-b's receipt line: refused at the source with the reason, never sent.
    await a.ns.append(`${T}/spec`, spec("e4-long-ticket-id", "u2.service", "a-long-idempotency-key"));
    expect(relayStats((await agent("relay")).stdout)).toMatchObject({ rejected: 1, forwarded: 0 });
    const e4 = await receipts(a, "e4-long-ticket-id");
    expect(e4).toHaveLength(1);
    expect(e4[0].state).toBe("failed");
    // The reason rides in the receipt when it fits the line (the receipt rules cut it otherwise).
    expect(e4[0].message === undefined || String(e4[0].message).startsWith("relay refused")).toBe(true);
    expect(await receipts(b, "e4-long-ticket-id")).toHaveLength(0);
  }, 60_000);

  it("SIGKILL of the relaying agent 20 times under 200 relayed tickets: one receipt on each side, one execution each", async () => {
    // 200 as the issue asks (FED_CRASH_TICKETS overrides; docs/FEDERATION.md has the figures).
    const N = Number(process.env.FED_CRASH_TICKETS ?? 200);
    // A short key: the relayed receipt echoes id, key and the correlation id and must fit 224 bytes.
    // Units u10.. (the tests above restarted u0..u2): one unit per ticket, so executions count per ticket.
    for (let i = 0; i < N; i++) await a.ns.append(`${T}/spec`, spec(`k${i}`, `u${i + 10}.service`, "f"));
    const rnd = xorshift(20261201);
    const STATES = ["relay-pending", "relay-forwarded", "relay-retained", "relay-appended"];
    let killed = 0;
    for (let k = 0; k < 20; k++) {
      const random = k % 4 === 3;
      const r = await agent("relay", random ? {} : { HOST_TICKET_AGENT_CRASH_AT: `${STATES[k % 4]}:${1 + rnd(8)}` }, random ? 200 + rnd(1500) : undefined);
      if (r.signal === "SIGKILL") killed++;
      else expect(r.code, r.stderr).toBe(0);
      // hive-b's agent works between the relay's runs, so receipts are there to be fetched mid-run.
      if (k % 2 === 1) {
        const rb = await agent("b");
        expect(rb.code, rb.stderr.slice(-500)).toBe(0);
      }
    }
    for (let k = 0; k < 4; k++) {
      expect((await agent("b")).code).toBe(0);
      const r = await agent("relay");
      expect(r.code, r.stderr).toBe(0);
      process.stdout.write(`[federation crash] final relay ${JSON.stringify(relayStats(r.stdout))} ${r.stderr.split("\n").filter((l) => l.includes("attempt")).slice(0, 3).join(" | ")}\n`);
    }
    // Fresh sessions for the count (the test's own sat idle through the runs), each file read once.
    // hive-b's console sessions are its gateway's and the test's: read it through the gateway.
    const open = async (h: Hive): Promise<NamespaceClient> => {
      const ns = h === b ? await restClient(gwB!.url, TOKEN) : clientOn(tcpTransport("127.0.0.1", h.port), { heartbeatMs: 0, timeoutMs: 60_000 });
      await ns.attach("queen");
      return ns;
    };
    const terminalsOf = async (h: Hive): Promise<Map<string, number>> => {
      const ns = await open(h);
      const m = new Map<string, number>();
      try {
        for (const f of ["status", "deadletter"])
          for (const l of await ns.read(`${T}/${f}`)) {
            const r = JSON.parse(l) as { id: string; state: string };
            if (["succeeded", "failed", "expired"].includes(r.state)) m.set(r.id, (m.get(r.id) ?? 0) + 1);
          }
      } finally {
        await ns.close();
      }
      return m;
    };
    const termA = await terminalsOf(a);
    const termB = await terminalsOf(b);
    let lost = 0;
    let twice = 0;
    const odd: string[] = [];
    for (let i = 0; i < N; i++) {
      const onA = termA.get(`k${i}`) ?? 0;
      const onB = termB.get(`k${i}`) ?? 0;
      const ex = execs(`u${i + 10}.service`);
      if (onA === 0 || onB === 0 || ex === 0) lost++;
      if (onA > 1 || onB > 1 || ex > 1) twice++;
      if (onA !== 1 || onB !== 1 || ex !== 1) odd.push(`k${i}: a=${onA} b=${onB} exec=${ex}`);
    }
    if (odd.length) process.stdout.write(`[federation crash] odd:\n  ${odd.join("\n  ")}\n`);
    const nsB = await open(b);
    const specsOnB = (await nsB.read(`${T}/spec`)).filter((l) => l.includes('"id":"k'));
    await nsB.close();
    process.stdout.write(`[federation crash] kills=${killed} lost=${lost} twice=${twice} spec_lines_on_b=${specsOnB.length}\n`);
    expect({ lost, twice }).toEqual({ lost: 0, twice: 0 });
    expect(specsOnB.length).toBe(N); // forwarded once each, whatever the kills
    // Most runs die at their crash point; a point with no work left (or a random kill after the run
    // ended) lets the run finish, which is fine: the kills that happened are what is counted.
    expect(killed).toBeGreaterThanOrEqual(5);
  }, 900_000);
});
