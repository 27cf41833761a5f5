// The /gpu provider (assembly/ninedoor/providers/gpu.ts) on the Node-hosted guest: the mock
// seed, publishing gpu-bridge-snapshot/v1 through /gpu/bridge/ctl (every [gpu] bound at and past
// its edge, atomic install, single writer), GPU leases on spawn, the ctl verbs and the job
// simulation. The snapshots come from host/gpu-bridge-host/snapshot.ts, the bridge's own encoder.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ConsoleClient } from "../host/sdk/console/client.js";
import { MANIFEST } from "../host/generated/manifest.js";
import { Guest } from "../host/runtime/guest.js";
import { envelope, infoJson, MOCK_GPUS, TELEMETRY_SCHEMA_JSON, wirePayload, type Catalogue, type GpuInfo } from "../host/sdk/gpu/snapshot.js";
import { O_RDONLY, O_WRONLY, O_APPEND } from "../host/sdk/p9/client.js";
import { queen } from "./helpers/console.js";
import { nineSession } from "./helpers/p9.js";

const G = MANIFEST.gpu;
let guest: Guest;
let q: ConsoleClient;
const wall = 1_800_000_000_000n;

beforeEach(async () => {
  guest = await Guest.start({ manualClock: true, wallMs: () => wall });
  q = await queen(guest);
});
afterEach(async () => {
  await guest.stop();
});

const cat = async (path: string, c: ConsoleClient = q): Promise<string[]> => {
  const r = await c.request(`CAT ${path}`);
  if (!r.ok) throw new Error(r.ack);
  return r.lines;
};
const ack = async (line: string, c: ConsoleClient = q): Promise<string> => (await c.request(line)).ack;

/** Publishes `payload` line by line over the console; returns the first ERR ack, or "OK". */
async function publish(payload: string | Uint8Array, c: ConsoleClient = q, env = envelope(payload)): Promise<string> {
  for (const l of env.lines) {
    const a = await ack(`ECHO /gpu/bridge/ctl ${l}`, c);
    if (!a.startsWith("OK")) return a;
  }
  return "OK";
}
const status = async (): Promise<string> => (await cat("/gpu/bridge/status"))[0];

const DEMO: Catalogue = {
  models: [
    { id: "llama3-edge-v7", manifest: '[model]\nid = "llama3-edge-v7"\nbase = "cohesix/base@v1"' },
    { id: "vision-base-v1", manifest: '[model]\nid = "vision-base-v1"\nformat = "gguf"' },
  ],
  active: "vision-base-v1",
};
const NONE: Catalogue = { models: [], active: "" };

function gpus(n: number): GpuInfo[] {
  return Array.from({ length: n }, (_, i) => ({ id: `GPU-${i}`, name: `Test ${i}`, memory_mb: 16384, sm_count: 80, driver_version: "550.54", runtime_version: "12.4" }));
}

describe("before any publish", () => {
  it("the mock seed: GPU-0/GPU-1 with the reference's info bytes; models and telemetry absent (invalid-path)", async () => {
    expect((await q.request("LS /gpu")).lines).toEqual(["bridge", "GPU-0", "GPU-1"]);
    expect((await cat("/gpu/GPU-0/info")).join("\n")).toBe(infoJson(MOCK_GPUS[0]));
    expect(await cat("/gpu/GPU-0/ctl")).toEqual(["LEASE GPU-0"]);
    expect(await cat("/gpu/GPU-0/lease")).toEqual([]);
    expect(await status()).toBe("state=idle");
    expect(await ack("LS /gpu/models")).toMatch(/^ERR LS reason=policy detail=invalid-path /);
    expect(await ack("CAT /gpu/telemetry/schema.json")).toMatch(/^ERR CAT reason=policy detail=invalid-path /);
  });
});

describe("publish over the console", () => {
  it("installs nodes, models, the active pointer and schema.json; status says ok with the hash", async () => {
    const payload = wirePayload(MOCK_GPUS, DEMO);
    const env = envelope(payload);
    expect(env.lines.every((l) => l.length <= MANIFEST.console.echo_max)).toBe(true);
    expect(await publish(payload)).toBe("OK");
    expect(await status()).toBe(`state=ok bytes=${env.bytes} sha256=${env.sha256}`);
    expect((await q.request("LS /gpu")).lines).toEqual(["bridge", "models", "telemetry", "GPU-0", "GPU-1"]);
    expect((await q.request("LS /gpu/models/available")).lines).toEqual(["llama3-edge-v7", "vision-base-v1"]);
    expect(await cat("/gpu/models/available/llama3-edge-v7/manifest.toml")).toEqual(['[model]', 'id = "llama3-edge-v7"', 'base = "cohesix/base@v1"']);
    expect(await cat("/gpu/models/active")).toEqual(["vision-base-v1"]);
    expect(await cat("/gpu/telemetry/schema.json")).toEqual([TELEMETRY_SCHEMA_JSON]);
    // The queen moves the pointer (coh peft activate); an unknown model is not found.
    expect(await ack("ECHO /gpu/models/active llama3-edge-v7")).toMatch(/^OK ECHO/);
    expect(await cat("/gpu/models/active")).toEqual(["vision-base-v1", "llama3-edge-v7"]);
    expect(await ack("ECHO /gpu/models/active nope")).toMatch(/^ERR ECHO reason=policy detail=not-found/);
    expect((await q.request("LOG")).lines.some((l) => l.includes("gpu bridge publish outcome=ok"))).toBe(true);
  });

  it("publishes over Secure9P too: one Twrite carries the whole envelope; schema.json reads back byte-exact", async () => {
    const { c, root } = await nineSession(guest, wall, "queen");
    const walkTo = async (path: string): Promise<number> => (await c.walk(root, path.split("/").filter(Boolean))).fid;
    const fid = await walkTo("/gpu/bridge/ctl");
    await c.open(fid, O_WRONLY | O_APPEND);
    const env = envelope(wirePayload(gpus(8), DEMO), 4000);
    await c.write(fid, 0xffffffffffffffffn, env.lines.join("\n") + "\n");
    expect(await status()).toBe(`state=ok bytes=${env.bytes} sha256=${env.sha256}`);
    const s = await walkTo("/gpu/telemetry/schema.json");
    await c.open(s, O_RDONLY);
    expect(Buffer.from(await c.read(s, 0, 8192)).toString()).toBe(TELEMETRY_SCHEMA_JSON);
    const info = await walkTo("/gpu/GPU-7/info");
    await c.open(info, O_RDONLY);
    expect(Buffer.from(await c.read(info, 0, 8192)).toString()).toBe(infoJson(gpus(8)[7]));
    c.end();
  });

  it("a bad publish changes nothing but the status line", async () => {
    expect(await publish(wirePayload(MOCK_GPUS, DEMO))).toBe("OK");
    const before = (await q.request("LS /gpu")).lines;
    const good = wirePayload(MOCK_GPUS, DEMO);
    const cases: [string | Uint8Array, ReturnType<typeof envelope> | undefined, RegExp][] = [
      [good, { ...envelope(good), lines: envelope(good).lines.map((l, i) => (i === 0 ? l.replace(/sha256=./, "sha256=0") : l)) }, /^state=err reason=sha256-mismatch/],
      [good, { ...envelope(good), lines: envelope(good).lines.map((l, i) => (i === 0 ? l.replace(/bytes=\d+/, "bytes=5") : l)) }, /^state=err reason=too-long/],
      [good.replace("schema gpu-bridge-snapshot/v1", "schema gpu-bridge-snapshot/v2"), undefined, /^state=err reason=bad-schema/],
      [good.replace("end\n", "end\nnode id=x\n"), undefined, /^state=err reason=data-after-end/],
      [good.replace("active id=", "weights id=x\nactive id="), undefined, /^state=err reason=unknown-keyword detail=weights/],
      [good.replace("lease= status=", "lease= status= color=red"), undefined, /^state=err reason=unknown-key detail=node\\x20key\\x20color/],
      [good.replace("node id=GPU-1", "node id=GPU/1"), undefined, /^state=err reason=bad-id/],
      [good.replace("node id=GPU-1", "node id=.."), undefined, /^state=err reason=bad-id/],
      [good.replace("node id=GPU-1", "node id=GPU-0"), undefined, /^state=err reason=bad-info/],
      [good.replace("active id=vision-base-v1", "active id=ghost"), undefined, /^state=err reason=unknown-active/],
      [good.replace(/telemetry schema=\S+\n/, ""), undefined, /^state=err reason=missing-line detail=telemetry/],
      [wirePayload(MOCK_GPUS, { models: [DEMO.models[1], DEMO.models[1]], active: "" }), undefined, /^state=err reason=unsorted-models/],
      [new Uint8Array([0xff, 0xfe, 0x0a]), undefined, /^state=err reason=bad-utf8/],
    ];
    for (const [p, env, want] of cases) {
      const a = await publish(p, q, env ?? envelope(p));
      expect(a).toMatch(/^ERR ECHO reason=policy detail=invalid-payload/);
      expect(await status()).toMatch(want);
      expect((await q.request("LS /gpu")).lines).toEqual(before);
      expect(await cat("/gpu/models/active")).toEqual(["vision-base-v1"]);
    }
    expect(await ack("ECHO /gpu/bridge/ctl b64:AAAA")).toMatch(/^ERR ECHO/);
    expect(await status()).toBe("state=err reason=b64-before-begin");
    expect(await ack("ECHO /gpu/bridge/ctl begin bytes=10 sha256=" + "a".repeat(64) + " extra=1")).toMatch(/^ERR ECHO/);
    expect(await status()).toMatch(/^state=err reason=bad-begin/);
  });

  it("bounds: bridge_max_bytes, gpus_max, models_max, model_id_max, manifest_max_bytes, info_max_bytes at and past the edge", async () => {
    const sha = "0".repeat(64);
    expect(await ack(`ECHO /gpu/bridge/ctl begin bytes=${G.bridge_max_bytes} sha256=${sha}`)).toMatch(/^OK/);
    expect(await status()).toBe(`state=receiving bytes=${G.bridge_max_bytes}`);
    expect(await ack(`ECHO /gpu/bridge/ctl begin bytes=${G.bridge_max_bytes + 1} sha256=${sha}`)).toMatch(/^ERR ECHO reason=policy detail=invalid-payload/);
    expect(await status()).toMatch(/^state=err reason=too-large/);

    expect(await publish(wirePayload(gpus(G.gpus_max), NONE))).toBe("OK");
    expect((await q.request("LS /gpu")).lines.length).toBe(3 + G.gpus_max);
    expect(await publish(wirePayload(gpus(G.gpus_max + 1), NONE))).toMatch(/^ERR/);
    expect(await status()).toMatch(/^state=err reason=too-many-gpus/);

    const models = (n: number, size = 16): Catalogue => ({ models: Array.from({ length: n }, (_, i) => ({ id: `m-${String(i).padStart(3, "0")}`, manifest: "x".repeat(size) })), active: "" });
    // 64 models of a full manifest each pass 128 KiB; 64 small ones fit.
    expect(await publish(wirePayload(MOCK_GPUS, models(G.models_max)))).toBe("OK");
    expect((await q.request("LS /gpu/models/available")).lines.length).toBe(G.models_max);
    expect(await publish(wirePayload(MOCK_GPUS, models(G.models_max + 1)))).toMatch(/^ERR/);
    expect(await status()).toMatch(/^state=err reason=too-many-models/);

    expect(await publish(wirePayload(MOCK_GPUS, { models: [{ id: "m", manifest: "y".repeat(G.manifest_max_bytes) }], active: "m" }))).toBe("OK");
    expect(await publish(wirePayload(MOCK_GPUS, { models: [{ id: "m", manifest: "y".repeat(G.manifest_max_bytes + 1) }], active: "m" }))).toMatch(/^ERR/);
    expect(await status()).toMatch(/^state=err reason=bad-manifest/);

    const longId = "m".repeat(G.model_id_max);
    expect(await publish(wirePayload(MOCK_GPUS, { models: [{ id: longId, manifest: "z" }], active: longId }))).toBe("OK");
    expect(await cat(`/gpu/models/available/${longId}/manifest.toml`)).toEqual(["z"]); // the longest path the console takes
    expect(await publish(wirePayload(MOCK_GPUS, { models: [{ id: longId + "m", manifest: "z" }], active: "" }))).toMatch(/^ERR/);
    expect(await status()).toMatch(/^state=err reason=bad-id/);

    const gid = "G".repeat(G.gpu_id_max);
    expect(await publish(wirePayload([{ ...MOCK_GPUS[0], id: gid }], NONE))).toBe("OK");
    expect(await publish(wirePayload([{ ...MOCK_GPUS[0], id: gid + "G" }], NONE))).toMatch(/^ERR/);

    const pad = G.info_max_bytes - infoJson({ ...MOCK_GPUS[0], name: "" }).length;
    expect(await publish(wirePayload([{ ...MOCK_GPUS[0], name: "n".repeat(pad) }], NONE))).toBe("OK");
    expect(await publish(wirePayload([{ ...MOCK_GPUS[0], name: "n".repeat(pad + 1) }], NONE))).toMatch(/^ERR/);
    expect(await status()).toMatch(/^state=err reason=bad-info/);
  });

  it("single writer: another session's begin while one is receiving is refused busy; a stalled receive can be taken over", async () => {
    const other = await queen(guest);
    const env = envelope(wirePayload(MOCK_GPUS, DEMO));
    expect(await ack(`ECHO /gpu/bridge/ctl ${env.lines[0]}`)).toMatch(/^OK/);
    expect(await ack(`ECHO /gpu/bridge/ctl ${env.lines[0]}`, other)).toMatch(/^ERR ECHO reason=busy detail=busy /);
    expect(await ack(`ECHO /gpu/bridge/ctl ${env.lines[1]}`, other)).toMatch(/^ERR ECHO reason=busy detail=busy /);
    expect(await status()).toBe(`state=receiving bytes=${env.bytes}`);
    for (const l of env.lines.slice(1)) expect(await ack(`ECHO /gpu/bridge/ctl ${l}`)).toMatch(/^OK/);
    expect(await status()).toMatch(/^state=ok/);
    // A publisher that stops mid-snapshot holds the channel for publish_idle_ms, not for ever.
    expect(await ack(`ECHO /gpu/bridge/ctl ${env.lines[0]}`)).toMatch(/^OK/);
    guest.advance(G.publish_idle_ms - 10);
    expect(await ack(`ECHO /gpu/bridge/ctl ${env.lines[0]}`, other)).toMatch(/^ERR ECHO reason=busy/);
    guest.advance(20);
    expect(await publish(wirePayload(MOCK_GPUS, DEMO), other)).toBe("OK");
  });

  it("a republish keeps the logs and lease of a GPU still present, seeds new ones and drops removed ones", async () => {
    expect(await ack('ECHO /queen/ctl {"spawn":"gpu","lease":{"gpu_id":"GPU-0","mem_mb":4096,"streams":2,"ttl_s":120}}')).toMatch(/^OK/);
    expect(await ack('ECHO /queen/ctl {"spawn":"gpu","lease":{"gpu_id":"GPU-1","mem_mb":1024,"streams":1,"ttl_s":120}}')).toMatch(/^OK/);
    expect(await ack('ECHO /gpu/GPU-0/status {"note":"keep me"}')).toMatch(/^OK/);
    const lease0 = await cat("/gpu/GPU-0/lease");
    expect(lease0).toEqual(['{"schema":"gpu-lease/v1","state":"ACTIVE","gpu_id":"GPU-0","worker_id":"worker-1","mem_mb":4096,"streams":2,"ttl_s":120,"priority":0}']);
    const next = [MOCK_GPUS[0], { ...MOCK_GPUS[1], id: "GPU-2" }];
    for (let i = 0; i < 2; i++) expect(await publish(wirePayload(next, DEMO))).toBe("OK"); // twice: a periodic republish
    expect((await q.request("LS /gpu")).lines).toEqual(["bridge", "models", "telemetry", "GPU-0", "GPU-2"]);
    expect(await cat("/gpu/GPU-0/lease")).toEqual(lease0);
    expect(await cat("/gpu/GPU-0/status")).toContain('{"note":"keep me"}');
    expect(await cat("/gpu/GPU-2/ctl")).toEqual(["LEASE GPU-2"]);
    // GPU-1 went away: its lease ended and its worker with it.
    expect((await q.request("LOG")).lines.some((l) => l.includes("gpu lease state=RELEASED gpu_id=GPU-1 worker_id=worker-2 reason=gpu-removed"))).toBe(true);
    expect(await ack('ECHO /queen/ctl {"kill":"worker-2"}')).toMatch(/detail=not-found/);
  });
});

describe("GPU leases on spawn", () => {
  const spawn = (gpu: string, mem = 4096, extra = ""): Promise<string> =>
    ack(`ECHO /queen/ctl {"spawn":"gpu","lease":{"gpu_id":"${gpu}","mem_mb":${mem},"streams":2,"ttl_s":120${extra}}}`);
  const workers = async (): Promise<number> => (await cat("/proc/lease/active")).filter((l) => l.startsWith("gpu-")).length;

  it("a spawn appends ACTIVE; unknown GPU is not found, a leased GPU or too much memory is busy, and no worker is made", async () => {
    expect(await spawn("GPU-0", 4096, ',"priority":3')).toMatch(/^OK ECHO/);
    expect(await cat("/proc/lease/active")).toEqual([expect.stringMatching(/^gpu-GPU-0 subject=worker-1 resource=GPU-0 priority=3 expires_ms=\d+$/)]);
    expect(await cat("/proc/lease/summary")).toEqual(["active=1 expired=0 preempted=0"]);
    expect(await spawn("GPU-9")).toMatch(/^ERR ECHO reason=policy detail=not-found .*gpu GPU-9 not found/);
    expect(await spawn("GPU-0")).toMatch(/^ERR ECHO reason=busy detail=busy .*already leased by worker-1/);
    expect(await spawn("GPU-1", 8192)).toMatch(/^OK/); // exactly the GPU's memory
    expect(await ack('ECHO /queen/ctl {"kill":"worker-2"}')).toMatch(/^OK/);
    expect(await spawn("GPU-1", 8193)).toMatch(/^ERR ECHO reason=busy detail=busy .*8192 MB/);
    expect(await spawn("GPU-1", 0)).toMatch(/^ERR ECHO reason=policy detail=invalid-payload/);
    expect(await workers()).toBe(1);
    // The refused spawns made no worker: the next one is worker-3 (worker-2 was the 8192 one).
    expect(await spawn("GPU-1", 1)).toMatch(/^OK/);
    expect((await cat("/gpu/GPU-1/lease")).at(-1)).toContain('"worker_id":"worker-3"');
  });

  it("kill, ttl expiry and a lifecycle drain append RELEASED", async () => {
    expect(await spawn("GPU-0")).toMatch(/^OK/);
    expect(await ack('ECHO /queen/ctl {"kill":"worker-1"}')).toMatch(/^OK/);
    expect((await cat("/gpu/GPU-0/lease")).at(-1)).toBe('{"schema":"gpu-lease/v1","state":"RELEASED","gpu_id":"GPU-0","worker_id":"worker-1","mem_mb":4096,"streams":2,"ttl_s":120,"priority":0}');
    expect((await cat("/gpu/GPU-0/status")).at(-1)).toBe('{"job":"worker-1","state":"LEASE-ENDED","detail":"killed"}');
    expect(await spawn("GPU-0")).toMatch(/^OK/); // free again

    expect(await ack('ECHO /queen/ctl {"spawn":"gpu","lease":{"gpu_id":"GPU-1","mem_mb":1,"streams":1,"ttl_s":2}}')).toMatch(/^OK/);
    guest.advance(1990);
    expect((await cat("/gpu/GPU-1/lease")).at(-1)).toContain('"state":"ACTIVE"');
    guest.advance(20);
    expect((await cat("/gpu/GPU-1/lease")).at(-1)).toContain('"state":"RELEASED"');
    expect((await cat("/gpu/GPU-1/status")).at(-1)).toContain('"detail":"ttl-expired"');

    expect(await ack("ECHO /queen/lifecycle/ctl cordon")).toMatch(/^OK/);
    guest.advance(10);
    expect((await cat("/gpu/GPU-0/lease")).at(-1)).toContain('"state":"RELEASED","gpu_id":"GPU-0","worker_id":"worker-2"');
    expect(await ack("ECHO /queen/lifecycle/ctl drain")).toMatch(/^OK/); // nothing outstanding now
    expect(await spawn("GPU-0")).toMatch(/detail=lifecycle-denied/);
  });

  it("ctl verbs are parsed and answered: LEASE renews, PRIORITY sets, RELEASE ends, RESET is the queen's", async () => {
    expect(await ack("ECHO /gpu/GPU-0/ctl LEASE")).toMatch(/^ERR ECHO reason=policy detail=not-found .*no active lease/);
    expect((await cat("/gpu/GPU-0/status")).at(-1)).toBe('{"ctl":"LEASE","state":"ERR","detail":"no active lease on GPU-0"}');
    expect(await spawn("GPU-0")).toMatch(/^OK/);
    guest.advance(100_000);
    expect(await ack("ECHO /gpu/GPU-0/ctl LEASE GPU-0")).toMatch(/^OK/);
    guest.advance(100_000); // past the first ttl: the renewal holds
    expect((await cat("/gpu/GPU-0/lease")).at(-1)).toContain('"state":"ACTIVE"');
    expect(await ack("ECHO /gpu/GPU-0/ctl PRIORITY 255")).toMatch(/^OK/);
    expect((await cat("/gpu/GPU-0/lease")).at(-1)).toContain('"priority":255');
    expect(await ack("ECHO /gpu/GPU-0/ctl PRIORITY 256")).toMatch(/^ERR ECHO reason=policy detail=invalid-payload/);
    expect(await ack("ECHO /gpu/GPU-0/ctl PRIORITY -1")).toMatch(/^ERR ECHO reason=policy detail=invalid-payload/);
    expect(await ack("ECHO /gpu/GPU-0/ctl FROB")).toMatch(/^ERR ECHO reason=policy detail=invalid-payload .*expected LEASE, RELEASE, PRIORITY <n> or RESET/);
    expect((await cat("/gpu/GPU-0/status")).at(-1)).toBe('{"ctl":"FROB","state":"ERR","detail":"invalid payload: expected LEASE, RELEASE, PRIORITY <n> or RESET"}');
    expect(await ack("ECHO /gpu/GPU-0/ctl RELEASE")).toMatch(/^OK/);
    expect((await cat("/gpu/GPU-0/lease")).at(-1)).toContain('"state":"RELEASED"');
    expect(await cat("/gpu/GPU-0/ctl")).toEqual(["LEASE GPU-0", "LEASE worker-1 mem=4096 streams=2 priority=0", "LEASE GPU-0", "PRIORITY 255", "RELEASE worker-1 released", "RELEASE"]);
    expect(await spawn("GPU-0")).toMatch(/^OK/);
    expect(await ack("ECHO /gpu/GPU-0/ctl RESET")).toMatch(/^OK/);
    expect((await cat("/gpu/GPU-0/status")).at(-1)).toBe('{"ctl":"RESET","state":"OK","detail":"reset released worker_id=worker-2"}');
  });

  it("the logs are rings at their manifest bounds: the oldest lines go, the newest stay", async () => {
    expect(await spawn("GPU-0")).toMatch(/^OK/);
    const bytes = (l: string[]): number => l.reduce((a, x) => a + Buffer.byteLength(x) + 1, 0);
    for (let i = 0; i < 100; i++) expect(await ack("ECHO /gpu/GPU-0/ctl PRIORITY " + (i % 10))).toMatch(/^OK/);
    const lease = await cat("/gpu/GPU-0/lease");
    expect(bytes(lease)).toBeLessThanOrEqual(G.lease_log_bytes);
    expect(bytes(lease)).toBeGreaterThan(G.lease_log_bytes - 200); // full, less than one line short
    expect(lease.at(-1)).toContain('"priority":9');
    const ctl = await cat("/gpu/GPU-0/ctl");
    expect(bytes(ctl)).toBeLessThanOrEqual(G.ctl_log_bytes);
    expect(ctl[0]).toBe("PRIORITY " + ((100 - ctl.length) % 10)); // the seed line and the lease record are gone
    expect(ctl.at(-1)).toBe("PRIORITY 9");
    const pad = "p".repeat(90);
    const n = Math.ceil(G.status_bytes / 100) + 10;
    for (let i = 0; i < n; i++) expect(await ack(`ECHO /gpu/GPU-0/status {"n":${i},"p":"${pad}"}`)).toMatch(/^OK/);
    const st = await cat("/gpu/GPU-0/status");
    expect(bytes(st)).toBeLessThanOrEqual(G.status_bytes);
    expect(bytes(st)).toBeGreaterThan(G.status_bytes - 120);
    expect(st.at(-1)).toBe(`{"n":${n - 1},"p":"${pad}"}`);
  });

  it("status lines: a JSON object within status_line_max (Secure9P carries the full bound)", async () => {
    const { c, root } = await nineSession(guest, wall, "queen");
    const fid = (await c.walk(root, ["gpu", "GPU-0", "status"])).fid;
    await c.open(fid, O_WRONLY | O_APPEND);
    const line = (n: number): string => '{"pad":"' + "p".repeat(n - 10) + '"}';
    await c.write(fid, 0xffffffffffffffffn, line(G.status_line_max) + "\n");
    await expect(c.write(fid, 0xffffffffffffffffn, line(G.status_line_max + 1) + "\n")).rejects.toThrow(/EINVAL/);
    await expect(c.write(fid, 0xffffffffffffffffn, "not json\n")).rejects.toThrow(/EINVAL/);
    expect((await cat("/gpu/GPU-0/status")).at(-1)).toBe(line(G.status_line_max));
    c.end();
  });
});

describe("the job simulation ([gpu] job_enable)", () => {
  const job = (extra: Record<string, unknown> = {}): string =>
    JSON.stringify({ job: "jid-42", kernel: "vadd", grid: [128, 1, 1], block: [256, 1, 1], bytes_hash: "sha256:" + "ab".repeat(32), inputs: ["/bundles/vadd.ptx"], outputs: ["/out"], timeout_ms: 5000, ...extra });

  it("QUEUED, then RUNNING, then OK, one step per job_step_ms; bad descriptors are refused", async () => {
    const { c, root } = await nineSession(guest, wall, "queen");
    const fid = (await c.walk(root, ["gpu", "GPU-0", "job"])).fid;
    await c.open(fid, O_WRONLY | O_APPEND);
    await c.write(fid, 0xffffffffffffffffn, job() + "\n");
    await expect(c.write(fid, 0xffffffffffffffffn, job({ kernel: "fft" }) + "\n")).rejects.toThrow(/EINVAL/);
    await expect(c.write(fid, 0xffffffffffffffffn, job({ payload_b64: "aGk=" }) + "\n")).rejects.toThrow(/EINVAL/);
    await expect(c.write(fid, 0xffffffffffffffffn, job({ grid: [1, 1] }) + "\n")).rejects.toThrow(/EINVAL/);
    const hi = "sha256:8f434346648f6b96df89dda901c5176b10a6d83961dd3c1ac88b59b2dc327aa4"; // sha256("hi")
    await c.write(fid, 0xffffffffffffffffn, job({ job: "jid-43", bytes_hash: hi, payload_b64: "aGk=" }) + "\n");
    const st = async (): Promise<string[]> => (await cat("/gpu/GPU-0/status")).filter((l) => l.includes('"job":"jid-42"'));
    expect(await st()).toEqual(['{"job":"jid-42","state":"QUEUED","detail":"accepted"}']);
    guest.advance(G.job_step_ms);
    expect((await st()).at(-1)).toBe('{"job":"jid-42","state":"RUNNING","detail":"scheduled"}');
    guest.advance(G.job_step_ms);
    expect((await st()).at(-1)).toBe('{"job":"jid-42","state":"OK","detail":"completed"}');
    c.end();
  });
});
