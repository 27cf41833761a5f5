// host-ticket-agent (the launcher, a child process) against a REAL hive (the Node-hosted guest on
// TCP sockets) and FAKE host services: stateful systemctl and kubectl on PATH (tests/fakes/bin),
// a fake Docker Engine API on a unix socket (tests/fakes/docker_engine.ts). Every executor, every
// documented receipt, byte for byte, and the one-agent-per-state-directory lock.

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { MANIFEST } from "../host/generated/manifest.js";
import type { NamespaceClient } from "../host/sdk/ns.js";
import { socketHive, type SocketHive } from "./helpers/hive.js";
import { FAKE_TOOLS_PATH, runBin, type Ran } from "./helpers/run.js";
import { receiptLine, type TicketSpec } from "../host/host-ticket-agent/schema.js";
import { publishSnapshot } from "../host/sdk/gpu/publish.js";
import { mockInventory } from "../host/sdk/gpu/inventory.js";
import { loadRegistry } from "../host/sdk/gpu/registry.js";
import { startFakeDocker, type FakeDocker } from "./fakes/docker_engine.js";

const ROOT = resolve(import.meta.dirname, "..");
const FAKES = join(ROOT, "tests/fakes/bin");
const M = MANIFEST.host.mount_at;
const tmp = mkdtempSync(join(tmpdir(), "hta-"));
let n = 0;

let hive: SocketHive;
let ns: NamespaceClient;
let port: number;
let docker: FakeDocker;
let dir: string;
let stateFile: string;

const UNITS = {
  "ssh.service": { ActiveState: "active", SubState: "running", InvocationID: "inv-1" },
  "web.service": { ActiveState: "inactive", SubState: "dead", InvocationID: "" },
  "stuck.service": { ActiveState: "active", SubState: "running", InvocationID: "inv-9", brokenRestart: true },
};
const NODES = { "node-1": { ready: true, roles: "worker" }, "node-2": { ready: true, roles: "worker", pods: [{ name: "db-0", pdbBlocked: true }] } };

beforeEach(async () => {
  dir = join(tmp, `case-${++n}`);
  stateFile = join(tmp, `host-${n}.json`);
  writeFileSync(stateFile, JSON.stringify({ units: UNITS, nodes: NODES }));
  hive = await socketHive();
  ({ port, ns } = hive);
  docker = await startFakeDocker(join(tmp, `docker-${n}.sock`), ["web-1", "db-1"]);
});
afterEach(async () => {
  await hive.stop();
  await docker.stop();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const agent = (extra: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<Ran> =>
  runBin("host-ticket-agent", ["--run-once", "--tcp-port", String(port), "--state-dir", dir, "--docker-socket", docker.socket, ...extra], { env: { PATH: FAKE_TOOLS_PATH(), FAKE_HOST_STATE: stateFile, ...env } });

const spec = (o: Partial<TicketSpec> & { id: string; action: string }): TicketSpec => ({ schema: "host-ticket/v1", idempotency_key: "run-1", ...o });
const line = (s: TicketSpec): string => JSON.stringify(s);
const submit = async (...ss: Array<TicketSpec | string>): Promise<void> => {
  for (const s of ss) await ns.append(`${M}/tickets/spec`, typeof s === "string" ? s : line(s));
};
const status = (): Promise<string[]> => ns.read(`${M}/tickets/status`);
const dead = (): Promise<string[]> => ns.read(`${M}/tickets/deadletter`);
const fake = (): { units: Record<string, { InvocationID: string; ActiveState: string }>; nodes: Record<string, { unschedulable?: boolean }>; exec?: Record<string, number> } => JSON.parse(readFileSync(stateFile, "utf8"));
/** The three status lines of a ticket that succeeded with `detail`. */
const ok = (s: TicketSpec, detail: string): string[] => [
  receiptLine(s, "claimed", "claimed by durable compatibility executor"),
  receiptLine(s, "running", "compatibility executor starting"),
  receiptLine(s, "succeeded", detail),
];

describe("receipts byte for byte", () => {
  it("the reference's v1 lines: claimed, running, succeeded to status in the schema's field order", async () => {
    const s = spec({ id: "r1", action: "systemd.status-check", target: `${M}/systemd/ssh.service/status-check` });
    await submit(s);
    const r = await agent();
    expect(r.code, r.stderr).toBe(0);
    expect(await status()).toEqual([
      '{"schema":"host-ticket-result/v1","id":"r1","idempotency_key":"run-1","action":"systemd.status-check","state":"claimed","message":"claimed by durable compatibility executor"}',
      '{"schema":"host-ticket-result/v1","id":"r1","idempotency_key":"run-1","action":"systemd.status-check","state":"running","message":"compatibility executor starting"}',
      '{"schema":"host-ticket-result/v1","id":"r1","idempotency_key":"run-1","action":"systemd.status-check","state":"succeeded","message":"state=active sub=running"}',
    ]);
    expect(r.stderr).toMatch(/host-ticket-agent pass=1 seen=1 executed=1 succeeded=1 failed=0/);
  });

  it("duplicate, conflicting, expired, unknown-action and invalid-argument tickets each get the documented receipt", async () => {
    const a = spec({ id: "d1", action: "systemd.restart", args: { unit: "ssh.service" } });
    const conflict = spec({ id: "d1", action: "systemd.stop", args: { unit: "ssh.service" } });
    const expired = spec({ id: "e1", action: "systemd.start", args: { unit: "web.service" }, expires_unix_ms: 1000 });
    const unknownAction = spec({ id: "u1", action: "launchd.kickstart" });
    const badField = spec({ id: "v1", action: "systemd.start", args: { unit: "web.service", color: "red" } });
    const mismatch = spec({ id: "v2", action: "systemd.start", target: `${M}/systemd/web.service/stop` });
    const ambiguous = spec({ id: "v3", action: "systemd.start", target: `${M}/systemd/web.service/start`, args: { unit: "ssh.service" } });
    const missing = spec({ id: "v4", action: "k8s.cordon" });
    await submit(a, a, conflict, expired, unknownAction, badField, mismatch, ambiguous, missing);
    const r = await agent();
    expect(r.code, r.stderr).toBe(0);
    const st = await status();
    expect(st.filter((l) => l.includes('"id":"d1"'))).toHaveLength(3); // the duplicate got no second run
    expect(fake().exec).toEqual({ "systemctl restart ssh.service": 1 });
    expect(await dead()).toEqual([
      receiptLine(conflict, "failed", "EPERM idempotency-conflict"),
      receiptLine(expired, "expired", "ticket expired before execution"),
      receiptLine(unknownAction, "failed", "ticket action is not in generated allowlist"),
      receiptLine(badField, "failed", "EPERM unsupported-provider-field color"),
      receiptLine(mismatch, "failed", "EPERM provider-target-action-mismatch"),
      receiptLine(ambiguous, "failed", "EPERM ambiguous-provider-target"),
      receiptLine(missing, "failed", "EPERM missing-provider-target"),
    ]);
    expect(r.stderr).toMatch(/skipped_terminal=1 conflicts=1/);
    // A second run changes nothing: every pair is terminal, the cursor is at the end.
    const again = await agent();
    expect(again.stderr).toMatch(/seen=0/);
    expect(await status()).toEqual(st);
  });

  it("oversized and malformed tickets are refused by the hive at append with the reason; nothing reaches the agent", async () => {
    await expect(submit(`{"schema":"host-ticket/v1","id":"m1"`)).rejects.toThrow(/invalid-payload/);
    // Fits the console line, but its receipt could never fit result_line_max: refused with the reason.
    await expect(submit(spec({ id: "o".repeat(80), idempotency_key: "k".repeat(70), action: "systemd.start" }))).rejects.toMatchObject({ line: expect.stringMatching(/its receipt would be 2\d\d bytes, more than result_line_max 224/) });
    // Longer than the console line can carry: the SDK refuses before sending (9P carries up to ticket_line_max).
    await expect(submit(spec({ id: "o".repeat(128), idempotency_key: "k".repeat(128), action: "systemd.start" }))).rejects.toThrow(/record \d+ bytes > 232/);
    expect(await ns.read(`${M}/tickets/spec`)).toEqual([]);
  });

  it("a message is cut to 96 characters, then dropped, to keep the receipt within its bound", () => {
    const s = spec({ id: "c", action: "systemd.restart" });
    const long = "x".repeat(190);
    const cut = receiptLine(s, "failed", long);
    expect(Buffer.byteLength(cut)).toBeLessThanOrEqual(MANIFEST.host.result_line_max);
    expect(JSON.parse(cut).message).toBe("x".repeat(96));
    const s2 = spec({ id: "c".repeat(90), action: "systemd.restart" });
    expect(JSON.parse(receiptLine(s2, "failed", long)).message).toBeUndefined();
    expect(JSON.parse(receiptLine(s, "failed", "a\tb\u0001c")).message).toBe("a b c");
  });
});

describe("executors (fakes that keep state)", () => {
  it("systemd: restart needs a new InvocationID; a restart that changes nothing fails its postcondition", async () => {
    const before = fake().units["ssh.service"].InvocationID;
    const restart = spec({ id: "s1", action: "systemd.restart", target: `${M}/systemd/ssh.service/restart` });
    const broken = spec({ id: "s2", action: "systemd.restart", args: { unit: "stuck.service" } });
    const start = spec({ id: "s3", action: "systemd.start", args: { unit: "web.service" } });
    const stop = spec({ id: "s4", action: "systemd.stop", args: { unit: "web.service" }, idempotency_key: "run-2" });
    await submit(restart, broken, start, stop);
    expect((await agent()).code).toBe(0);
    const after = fake();
    expect(after.units["ssh.service"].InvocationID).not.toBe(before);
    const st = await status();
    expect(st).toContain(receiptLine(restart, "succeeded", `state=active sub=running invocation=${after.units["ssh.service"].InvocationID.slice(0, 12)}`));
    expect(await dead()).toEqual([receiptLine(broken, "failed", "postcondition failed: stuck.service kept InvocationID inv-9 (not restarted)")]);
    expect(st).toContain(receiptLine(start, "succeeded", "state=active sub=running"));
    expect(st).toContain(receiptLine(stop, "succeeded", "state=inactive sub=dead"));
    expect(after.exec).toEqual({ "systemctl restart ssh.service": 1, "systemctl restart stuck.service": 1, "systemctl start web.service": 1, "systemctl stop web.service": 1 });
  });

  it("docker over the Engine API socket: restart, stop, status-check with and without a container, a missing container", async () => {
    const t = [
      spec({ id: "k1", action: "docker.restart", args: { container: "web-1" } }),
      spec({ id: "k2", action: "docker.stop", target: `${M}/docker/db-1/stop` }),
      spec({ id: "k3", action: "docker.status-check", args: { container: "db-1" } }),
      spec({ id: "k4", action: "docker.status-check" }),
      spec({ id: "k5", action: "docker.restart", args: { container: "nope" } }),
    ];
    await submit(...t);
    expect((await agent()).code).toBe(0);
    const st = await status();
    expect(st).toContain(receiptLine(t[0], "succeeded", "status=running"));
    expect(st).toContain(receiptLine(t[1], "succeeded", "status=exited"));
    expect(st).toContain(receiptLine(t[2], "succeeded", "status=exited"));
    expect(st).toContain(receiptLine(t[3], "succeeded", "version=27.1.1-fake running=1"));
    expect(await dead()).toEqual([receiptLine(t[4], "failed", "container nope: No such container: nope")]);
    expect(Object.fromEntries(docker.exec)).toEqual({ "restart web-1": 1, "stop db-1": 1 });
  });

  it("docker with no daemon on the socket fails with the reason (no Docker on this machine)", async () => {
    const t = spec({ id: "k9", action: "docker.restart", args: { container: "web-1" } });
    await submit(t);
    expect((await agent(["--docker-socket", join(tmp, "absent.sock")])).code).toBe(0);
    expect(await dead()).toEqual([receiptLine(t, "failed", `docker API unavailable at ${join(tmp, "absent.sock")}: ENOENT`)]);
  });

  it("k8s: cordon marks the node; drain refused by a PodDisruptionBudget fails; lease.sync publishes the node's status", async () => {
    const t = [
      spec({ id: "n1", action: "k8s.cordon", target: `${M}/k8s/node/node-1/cordon` }),
      spec({ id: "n2", action: "k8s.drain", args: { node: "node-2" } }),
      spec({ id: "n3", action: "k8s.lease.sync", target: `${M}/k8s/node/node-1/lease-sync` }),
      spec({ id: "n4", action: "k8s.lease.sync", target: `${M}/k8s/node/node-2/status` }), // as the Python K8sRbacIntent writes it
    ];
    await submit(...t);
    expect((await agent()).code).toBe(0);
    expect(fake().nodes["node-1"].unschedulable).toBe(true);
    expect(await status()).toContain(receiptLine(t[0], "succeeded", "node node-1 Ready,SchedulingDisabled"));
    const d = await dead();
    expect(d).toHaveLength(1);
    expect(JSON.parse(d[0])).toMatchObject({ id: "n2", state: "failed", message: "drain refused: evicting db-0 would violate its PodDisruptionBudget" });
    expect(await ns.read(`${M}/k8s/node/node-1/status`)).toEqual(["state=ready,schedulingdisabled role=worker version=v1.30.2"]);
    expect((await status()).map((l) => JSON.parse(l) as { id: string; state: string }).filter((x) => x.id === "n4").map((x) => x.state)).toEqual(["claimed", "running", "succeeded"]);
  });

  it("gpu leases go through /queen/lease/ctl", async () => {
    const grant = spec({ id: "llmops-gpu-lease-1", idempotency_key: "llmops-run-20260218", action: "gpu.lease.grant", args: { gpu_id: "GPU-0", mem_mb: 4096, streams: 1, ttl_s: 600 } });
    const renew = spec({ id: "llmops-gpu-lease-2", action: "gpu.lease.renew", args: { lease_id: "llmops-gpu-lease-1", ttl_s: 900 } });
    const bad = spec({ id: "g3", action: "gpu.lease.grant", args: { gpu_id: "GPU-0", streams: 0 } });
    const release = spec({ id: "g5", action: "gpu.lease.release", args: { lease_id: "llmops-gpu-lease-1" } });
    await submit(grant, renew, bad, release);
    expect((await agent()).code).toBe(0);
    const st = await status();
    expect(st).toContain(receiptLine(grant, "succeeded", "committed"));
    expect(st).toContain(receiptLine(renew, "succeeded", "committed"));
    expect(st).toContain(receiptLine(release, "succeeded", "committed"));
    expect(await dead()).toEqual([
      receiptLine(bad, "failed", "EPERM invalid-provider-field streams: must be an integer in 1..255"),
    ]);
    const log = (await ns.tail("/log/queen.log")).join("\n");
    expect(log).toMatch(/lease grant id=llmops-gpu-lease-1 subject=host-ticket-agent resource=GPU-0 ttl_s=600/);
    expect(log).toMatch(/lease renew id=llmops-gpu-lease-1 ttl_s=900/);
  });

  it("peft.* tickets run coh peft's lifecycle (SDK) inside the agent's roots: export, import + publish, activate, rollback", async () => {
    const roots = join(dir, "peft");
    const reg = join(roots, "registry");
    const exp = join(roots, "exports");
    const farm = join(roots, "adapters");
    const flags = ["--registry-root", reg, "--export-root", exp, "--adapter-root", farm, "--publish-inventory", "mock"];
    // The registry starts with base-v1, active and published (what gpu-bridge-host would do).
    mkdirSync(join(reg, "available", "base-v1"), { recursive: true });
    writeFileSync(join(reg, "available", "base-v1", "manifest.toml"), '[model]\nid = "base-v1"\nformat = "gguf"\n');
    writeFileSync(join(reg, "active"), "base-v1\n");
    await publishSnapshot(ns, mockInventory().gpus, loadRegistry(reg));
    // An export window with one telemetry record: the bundle peft.export pulls.
    await ns.append("/queen/export/ctl", '{"op":"open","id":"jt","ttl_s":600}');
    await ns.append("/queen/telemetry/jt/ctl", '{"new":"segment","mime":"application/json"}');
    const seg = (await ns.read("/queen/telemetry/jt/latest"))[0];
    await ns.append(`/queen/telemetry/jt/seg/${seg}`, '{"schema_version":"gpu-telemetry/v1","device_id":"jt","token_count":1}');
    await ns.append("/queen/export/ctl", '{"op":"close","id":"jt","reason":"window-complete"}');

    const ex = spec({ id: "p1", action: "peft.export", args: { job: "jt" } });
    expect((await submit(ex), await agent(flags)).code).toBe(0);
    expect(readdirSync(join(exp, "jt")).sort()).toEqual(["base_model.ref", "policy.toml", "telemetry.cbor"]);
    expect(await status()).toContain(receiptLine(ex, "succeeded", "exported job=jt files=3 saved=3"));

    // The "LoRA farm" writes the adapter where the agent looks for job jt.
    mkdirSync(join(farm, "jt"), { recursive: true });
    writeFileSync(join(farm, "jt", "adapter.safetensors"), "weights");
    writeFileSync(join(farm, "jt", "lora.json"), '{"rank":4}');
    const imp = spec({ id: "p2", action: "peft.import", args: { model_id: "edge-t1", job_id: "jt", publish: true } });
    const again = spec({ id: "p3", action: "peft.import", args: { model: "edge-t1", job: "jt" } });
    const escape = spec({ id: "p4", action: "peft.activate", args: { model: "edge-t1", registry_root: "/etc" } });
    const dotdot = spec({ id: "p5", action: "peft.import", args: { model: "m9", job: "jt", adapter_dir: "../../x" } });
    const noJob = spec({ id: "p6", action: "peft.export", args: {} });
    const act = spec({ id: "p7", action: "peft.activate", args: { model: "edge-t1" } });
    const back = spec({ id: "p8", action: "peft.rollback" });
    await submit(imp, again, escape, dotdot, noJob, act, back);
    const r = await agent(flags);
    expect(r.code, r.stderr).toBe(0);
    const st = await status();
    const mine = st.map((l) => JSON.parse(l) as { id: string; state: string; message: string }).filter((x) => x.state === "succeeded");
    expect(mine.find((x) => x.id === "p2")?.message).toMatch(/^imported model=edge-t1 published bytes=\d+ sha256=[0-9a-f]{12} gpus=2 models=2$/);
    expect(st).toContain(receiptLine(act, "succeeded", "activated model=edge-t1 previous=base-v1"));
    expect(st).toContain(receiptLine(back, "succeeded", "rollback from=edge-t1 to=base-v1"));
    expect(readFileSync(join(reg, "available", "edge-t1", "manifest.toml"), "utf8")).toMatch(/job_id = "jt"/);
    expect(readFileSync(join(reg, "active"), "utf8")).toBe("base-v1\n");
    expect(readFileSync(join(reg, "active_state.toml"), "utf8")).toBe('current = "base-v1"\nprevious = "edge-t1"\n');
    expect(await ns.ls("/gpu/models/available")).toContain("edge-t1");
    expect((await ns.read("/gpu/models/active")).slice(-2)).toEqual(["edge-t1", "base-v1"]);
    expect(await dead()).toEqual([
      receiptLine(again, "failed", "model edge-t1 already imported"),
      receiptLine(escape, "failed", `EPERM invalid-provider-field registry_root: /etc is outside the agent's root ${resolve(reg)}`),
      receiptLine(dotdot, "failed", `EPERM invalid-provider-field adapter_dir: ../../x is outside the agent's root ${resolve(farm)}`),
      receiptLine(noJob, "failed", "EPERM missing-provider-field job_id"),
    ]);
    expect(existsSync("/etc/active_state.toml")).toBe(false);
  });

  it("a queen write to a control sink becomes a ticket with its own receipt", async () => {
    await ns.append(`${M}/systemd/ssh.service/restart`, "operator");
    expect((await agent()).code).toBe(0);
    const st = await status();
    expect(st).toHaveLength(3);
    expect(JSON.parse(st[2])).toMatchObject({ id: "sink-1", action: "systemd.restart", state: "succeeded" });
    expect(fake().exec).toEqual({ "systemctl restart ssh.service": 1 });
  });
});

describe("one agent per state directory", () => {
  it("a second agent on a held state directory exits 2 with the original's words; a stale lock is taken over", async () => {
    const first = spawn(join(ROOT, "bin/host-ticket-agent"), ["--tcp-port", String(port), "--state-dir", dir, "--poll-ms", "50"], { env: { ...process.env, PATH: `${FAKES}:${process.env.PATH}`, FAKE_HOST_STATE: stateFile } });
    try {
      // Ready signal: the lock file names the first agent's pid.
      const lock = join(dir, "agent.lock");
      for (let i = 0; i < 400; i++) {
        try {
          if (readFileSync(lock, "utf8").trim() === `pid=${first.pid}`) break;
        } catch {
          /* not yet */
        }
        await new Promise((r) => setTimeout(r, 25));
      }
      const second = await agent();
      expect(second.code).toBe(2);
      expect(second.stderr).toContain(`host-ticket-agent already owns execution fence ${lock} (pid=${first.pid})`);
    } finally {
      first.kill("SIGKILL");
      await new Promise((r) => first.once("close", r));
    }
    // The SIGKILLed owner left its lock behind: the next agent takes it over.
    const third = await agent();
    expect(third.code, third.stderr).toBe(0);
  });
});
