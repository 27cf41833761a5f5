// Crash safety of host-ticket-agent: 200 tickets, 20 agent runs each ended by SIGKILL — 14 at a
// chosen journal state (HOST_TICKET_AGENT_CRASH_AT, every state at least twice) and 6 at a random
// instant from outside — then one clean run. Afterwards every ticket has exactly one terminal
// receipt (none lost), the fakes counted at most one execution per ticket (none done twice), and
// no lifecycle line was published twice. The hive is the Node-hosted guest on TCP (it outlives
// the agents); the services are the FAKE Docker Engine (180 containers) and FAKE systemctl (20 units).

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MANIFEST } from "../host/generated/manifest.js";
import { Guest } from "../host/runtime/guest.js";
import { tcpTransport } from "../host/sdk/connect.js";
import type { NamespaceClient } from "../host/sdk/ns.js";
import { clientOn } from "../host/sdk/open.js";
import { startFakeDocker, type FakeDocker } from "./fakes/docker_engine.js";
import { xorshift } from "./helpers/rng.js";

const ROOT = resolve(import.meta.dirname, "..");
const M = MANIFEST.host.mount_at;
const tmp = mkdtempSync(join(tmpdir(), "hta-crash-"));
const STATE = join(tmp, "host.json");
const DIR = join(tmp, "state");
const SEED = Number(process.env.CRASH_SEED ?? 20260218);
const TICKETS = 200;
const UNITS = 20;
const STATES = ["prepared", "claimed", "executing", "executed", "result-persisted", "published", "terminal"];

let guest: Guest;
let ns: NamespaceClient;
let port: number;
let docker: FakeDocker;

beforeAll(async () => {
  writeFileSync(STATE, JSON.stringify({ units: Object.fromEntries(Array.from({ length: UNITS }, (_, i) => [`u${i}.service`, { ActiveState: "active", SubState: "running", InvocationID: `boot-${i}` }])) }));
  guest = await Guest.start({ net: "sockets", sockets: { portMap: { 31337: 0, 31338: 0, 31339: 0 } } });
  port = guest.sockets.bound.get(31337) as number;
  ns = clientOn(tcpTransport("127.0.0.1", port), { heartbeatMs: 0, timeoutMs: 30_000 });
  await ns.attach("queen");
  docker = await startFakeDocker(join(tmp, "docker.sock"), Array.from({ length: TICKETS - UNITS }, (_, i) => `c${i}`));
}, 60_000);
afterAll(async () => {
  await ns?.close().catch(() => undefined);
  await guest?.stop();
  await docker?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** Ticket i: a systemd restart of u<i> for the first UNITS, a docker restart of c<i-UNITS> after. */
function ticket(i: number): string {
  const t = i < UNITS ? { action: "systemd.restart", args: { unit: `u${i}.service` } } : { action: "docker.restart", args: { container: `c${i - UNITS}` } };
  return JSON.stringify({ schema: "host-ticket/v1", id: `t${i}`, idempotency_key: "crash-run", ...t });
}

function executions(i: number): number {
  if (i < UNITS) return (JSON.parse(readFileSync(STATE, "utf8")) as { exec?: Record<string, number> }).exec?.[`systemctl restart u${i}.service`] ?? 0;
  return docker.exec.get(`restart c${i - UNITS}`) ?? 0;
}

/** One agent run; resolves with how it ended. `killAfterMs` = SIGKILL from outside. */
function run(env: NodeJS.ProcessEnv, killAfterMs?: number): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(join(ROOT, "bin/host-ticket-agent"), ["--run-once", "--tcp-port", String(port), "--state-dir", DIR, "--docker-socket", docker.socket], {
      env: { ...process.env, PATH: `${join(ROOT, "tests/fakes/bin")}:${process.env.PATH}`, FAKE_HOST_STATE: STATE, ...env },
    });
    let stderr = "";
    p.stderr.on("data", (d) => (stderr += d));
    const killer = killAfterMs !== undefined ? setTimeout(() => p.kill("SIGKILL"), killAfterMs) : undefined;
    const guard = setTimeout(() => p.kill("SIGKILL"), 120_000);
    p.on("close", (code, signal) => {
      clearTimeout(killer);
      clearTimeout(guard);
      res({ code, signal, stderr });
    });
  });
}

describe("kill -9 under a stream of 200 tickets", () => {
  it("20 SIGKILLs at every journal state and at random instants: 0 lost, 0 done twice", async () => {
    for (let i = 0; i < TICKETS; i++) await ns.append(`${M}/tickets/spec`, ticket(i));
    const rnd = xorshift(SEED);
    const plan: Array<{ at?: string; killAfterMs?: number }> = [];
    for (let k = 0; k < 14; k++) plan.push({ at: `${STATES[k % STATES.length]}:${1 + rnd(6)}` });
    for (let k = 0; k < 6; k++) plan.splice(rnd(plan.length + 1), 0, { killAfterMs: 900 + rnd(1500) });
    let killed = 0;
    const log: string[] = [];
    for (const step of plan) {
      const r = await run(step.at ? { HOST_TICKET_AGENT_CRASH_AT: step.at } : {}, step.killAfterMs);
      if (r.signal === "SIGKILL") killed++;
      else expect(r.code, r.stderr).toBe(0);
      log.push(`${step.at ?? `kill@${step.killAfterMs}ms`} -> ${r.signal ?? r.code}`);
    }
    const last = await run({});
    expect(last.code, last.stderr).toBe(0);

    const status = await ns.read(`${M}/tickets/status`);
    const dead = await ns.read(`${M}/tickets/deadletter`);
    const parsed = [...status, ...dead].map((l) => JSON.parse(l) as { id: string; state: string; message: string });
    let lost = 0;
    let twice = 0;
    let ambiguous = 0;
    for (let i = 0; i < TICKETS; i++) {
      const mine = parsed.filter((r) => r.id === `t${i}`);
      const terminal = mine.filter((r) => ["succeeded", "failed", "expired"].includes(r.state));
      const ex = executions(i);
      if (terminal.length === 0) lost++;
      if (terminal.length > 1 || ex > 1) twice++;
      for (const s of ["claimed", "running"]) expect(mine.filter((r) => r.state === s).length, `t${i} ${s}`).toBeLessThanOrEqual(1);
      if (terminal[0]?.state === "succeeded") expect(ex, `t${i} succeeded without executing`).toBe(1);
      else if (terminal[0]) {
        expect(terminal[0].message, `t${i}`).toBe("replay-ambiguous: prior execution may have committed; execution not repeated");
        ambiguous++;
      }
    }
    process.stdout.write(`[crash] seed=${SEED} kills=${killed} ambiguous=${ambiguous} lost=${lost} twice=${twice}\n  ${log.join("\n  ")}\n`);
    expect({ lost, twice }).toEqual({ lost: 0, twice: 0 });
    expect(killed).toBeGreaterThanOrEqual(14);
    // Each crash at `executing` or `executed` leaves at most one ambiguous ticket; the rest succeeded.
    expect(ambiguous).toBeLessThanOrEqual(plan.length);
    expect(parsed.filter((r) => r.state === "succeeded").length).toBe(TICKETS - ambiguous);
  }, 600_000);
});
