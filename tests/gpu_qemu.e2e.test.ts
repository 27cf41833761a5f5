// /gpu end to end on the QEMU-booted image: the mock seed and the worker-gpu view as the image
// serves them, gpu-bridge-host publishing over TCP, and seed 004's LoRA loop driven by the real
// CLIs (./bin/coh, ./bin/gpu-bridge-host) — telemetry in, export, a stand-in LoRA farm, import
// --publish, activate, rollback, lease + run with breadcrumbs, receipts, telemetry pull — once
// over the TCP console and once more through hive-gateway (REST).

import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MANIFEST } from "../host/generated/manifest.js";
import { freePort, QemuGuest } from "../host/runtime/qemu.js";
import { tcpTransport } from "../host/sdk/connect.js";
import type { NamespaceClient } from "../host/sdk/ns.js";
import { clientOn } from "../host/sdk/open.js";
import { infoJson, MOCK_GPUS } from "../host/sdk/gpu/snapshot.js";
import { spawnGateway, TOKEN, type GatewayProcess } from "./helpers/gateway.js";
import { ROOT } from "./helpers/serial.js";
import { manifestTicket } from "./helpers/tickets.js";
import { runBin, type Ran } from "./helpers/run.js";

const tmp = mkdtempSync(join(tmpdir(), "gpu-e2e-"));
let q: QemuGuest;
let gw: GatewayProcess | undefined;

beforeAll(async () => {
  q = await QemuGuest.start();
  await q.waitReady(120_000);
}, 180_000);
afterAll(async () => {
  await gw?.stop();
  await q?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const bin = (name: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> => runBin(name, args, { env, timeoutMs: 120_000 });
async function ok(name: string, args: string[]): Promise<string> {
  const r = await bin(name, args);
  expect(r.code, `${name} ${args.join(" ")}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
}

async function tcpQueen(): Promise<NamespaceClient> {
  const ns = clientOn(tcpTransport("127.0.0.1", q.ports.tcp), {});
  await ns.attach("queen");
  return ns;
}

describe("the image's /gpu before and after a publish (TCP console)", () => {
  it("mock seed, invalid-path models, gpu-bridge-host --publish, worker-gpu sees only its GPU", async () => {
    const ns = await tcpQueen();
    try {
      expect(await ns.ls("/gpu")).toEqual(["bridge", "GPU-0", "GPU-1"]);
      expect((await ns.read("/gpu/GPU-0/info")).join("\n")).toBe(infoJson(MOCK_GPUS[0]));
      await expect(ns.ls("/gpu/models")).rejects.toMatchObject({ line: expect.stringMatching(/^ERR LS reason=policy detail=invalid-path /) });
      const out = await ok("gpu-bridge-host", ["--mock", "--publish", "--tcp-port", String(q.ports.tcp)]);
      expect(out).toMatch(/^published bytes=\d+ sha256=[0-9a-f]{64} gpus=2 models=0 ms=\d+\n$/);
      expect(await ns.ls("/gpu")).toEqual(["bridge", "models", "telemetry", "GPU-0", "GPU-1"]);
      expect((await ns.read("/gpu/telemetry/schema.json"))[0]).toMatch(/^\{"schema_version":"gpu-telemetry\/v1",/);

      await ns.append("/queen/ctl", '{"spawn":"gpu","lease":{"gpu_id":"GPU-1","mem_mb":512,"streams":1,"ttl_s":600}}');
      await expect(ns.append("/queen/ctl", '{"spawn":"gpu","lease":{"gpu_id":"GPU-1","mem_mb":512,"streams":1,"ttl_s":600}}')).rejects.toMatchObject({ line: expect.stringMatching(/^ERR ECHO reason=busy detail=busy /) });
      const lease = (await ns.read("/gpu/GPU-1/lease")).at(-1)!;
      const worker = (JSON.parse(lease) as { worker_id: string }).worker_id;
      expect(JSON.parse(lease)).toMatchObject({ schema: "gpu-lease/v1", state: "ACTIVE", gpu_id: "GPU-1", mem_mb: 512 });
      const w = clientOn(tcpTransport("127.0.0.1", q.ports.tcp), {});
      try {
        await w.attach("worker-gpu", manifestTicket("worker-gpu", worker));
        expect((await w.read("/gpu/GPU-1/info")).join("\n")).toContain('"Mock 4060"');
        await w.append("/gpu/GPU-1/ctl", "PRIORITY 7");
        await expect(w.read("/gpu/GPU-0/info")).rejects.toMatchObject({ line: expect.stringContaining("EPERM") });
        await expect(w.append("/gpu/bridge/ctl", "end")).rejects.toMatchObject({ line: expect.stringContaining("EPERM") });
      } finally {
        await w.close();
      }
      expect((await ns.read("/gpu/GPU-1/lease")).at(-1)).toContain('"priority":7');
      await ns.append("/queen/ctl", `{"kill":"${worker}"}`);
      expect((await ns.read("/gpu/GPU-1/lease")).at(-1)).toContain('"state":"RELEASED"');
    } finally {
      await ns.close();
    }
  }, 120_000);
});

/** Seed 004's loop with the CLIs; `conn` reaches the hive (TCP flags or --rest-url), `tag` keeps rounds apart. */
async function loraLoop(tag: string, coh: string[], bridge: string[], ns: NamespaceClient): Promise<void> {
  const dir = join(tmp, tag);
  const reg = join(dir, "registry");
  const job = `job-${tag}`;
  const model = `edge-${tag}`;
  // The registry starts with a base model, active, published by the bridge.
  mkdirSync(join(reg, "available", "base-v1"), { recursive: true });
  writeFileSync(join(reg, "available", "base-v1", "manifest.toml"), '[model]\nid = "base-v1"\nformat = "gguf"\n');
  writeFileSync(join(reg, "active"), "base-v1\n");
  expect(await ok("gpu-bridge-host", ["--mock", "--publish", "--registry", reg, ...bridge])).toMatch(/^published .* models=1 /);

  // 1. A heartbeat worker; gpu-telemetry/v1 records into /queen/telemetry/<dev> while an export window is open.
  await ns.append("/queen/ctl", '{"spawn":"heartbeat","ticks":0}');
  await ns.append("/queen/export/ctl", `{"op":"open","id":"${job}","ttl_s":600}`);
  const dev = `j${tag[0]}`; // records must fit one console ECHO (echo_max)
  await ns.append(`/queen/telemetry/${dev}/ctl`, '{"new":"segment","mime":"application/json"}');
  const seg = (await ns.read(`/queen/telemetry/${dev}/latest`))[0];
  for (let i = 0; i < 3; i++) {
    const rec = JSON.stringify({ schema_version: "gpu-telemetry/v1", device_id: dev, model_id: "b1", time_window: `${i}`, token_count: i, latency_histogram: [i] });
    expect(Buffer.byteLength(rec)).toBeLessThanOrEqual(MANIFEST.console.echo_max);
    await ns.append(`/queen/telemetry/${dev}/seg/${seg}`, rec);
  }
  await ns.append("/queen/export/ctl", `{"op":"close","id":"${job}","reason":"window-complete"}`);

  // 2. coh peft export: exactly the three bundle files; a second run resumes (writes nothing new).
  const exp = join(dir, "export");
  const e1 = await ok("coh", [...coh, "peft", "export", "--job", job, "--out", exp]);
  expect(e1).toContain(`OK LS path=/queen/export/lora_jobs/${job}`);
  expect(readdirSync(join(exp, job)).sort()).toEqual(["base_model.ref", "policy.toml", "telemetry.cbor"]);
  expect(readFileSync(join(exp, job, "telemetry.cbor")).length).toBeGreaterThan(100);
  const again = JSON.parse(await ok("coh", [...coh, "--json", "peft", "export", "--job", job, "--out", exp]));
  expect(Object.values(again.result.files as Record<string, { saved: boolean }>).every((f) => !f.saved)).toBe(true);

  // 3. The stand-in LoRA farm.
  const farm = join(dir, "farm");
  mkdirSync(farm, { recursive: true });
  writeFileSync(join(farm, "adapter.safetensors"), Buffer.alloc(4096, 7));
  writeFileSync(join(farm, "lora.json"), JSON.stringify({ rank: 8, alpha: 16, target_layers: ["q_proj", "v_proj"] }));
  writeFileSync(join(farm, "metrics.json"), JSON.stringify({ loss: 0.42 }));

  // 4. Import with --publish (mock inventory); the model appears in the VM.
  const imp = await ok("coh", [...coh, "peft", "import", "--model", model, "--from", farm, "--job", job, "--export", exp, "--registry", reg, "--publish", "--inventory", "mock"]);
  expect(imp).toContain(`peft import model=${model} manifest=${join(reg, "available", model, "manifest.toml")}`);
  expect(imp).toMatch(/published bytes=\d+ sha256=[0-9a-f]{64} gpus=2 models=2 /);
  const manifest = readFileSync(join(reg, "available", model, "manifest.toml"), "utf8");
  expect(manifest).toContain(`job_id = "${job}"`);
  expect(manifest).toMatch(/adapter_sha256 = "[0-9a-f]{64}"\nadapter_bytes = 4096/);
  const dup = await bin("coh", [...coh, "peft", "import", "--model", model, "--from", farm, "--job", job, "--export", exp, "--registry", reg]);
  expect(dup.code).toBe(1);
  expect(dup.stdout).toMatch(new RegExp(`ERR PEFT reason=model ${model} already imported\n$`));
  expect(await ns.ls("/gpu/models/available")).toEqual(["base-v1", model].sort());

  // 5. Activate, read the pointer, roll back.
  expect(await ok("coh", [...coh, "peft", "activate", "--model", model, "--registry", reg])).toMatch(new RegExp(`OK ECHO path=/gpu/models/active bytes=\\d+\npeft activated model=${model}\n$`));
  expect((await ns.read("/gpu/models/active")).at(-1)).toBe(model);
  expect(readFileSync(join(reg, "active_state.toml"), "utf8")).toBe(`current = "${model}"\nprevious = "base-v1"\n`);
  expect(await ok("coh", [...coh, "peft", "rollback", "--registry", reg])).toContain(`peft rollback from=${model} to=base-v1`);
  expect((await ns.read("/gpu/models/active")).at(-1)).toBe("base-v1");
  expect(readFileSync(join(reg, "active"), "utf8")).toBe("base-v1\n");

  // 6. A GPU lease and a run under it, breadcrumbs read back, receipts checked.
  const r1 = join(dir, "receipts", "lease.json");
  const r2 = join(dir, "receipts", "run.json");
  expect(await ok("coh", [...coh, "gpu", "lease", "--gpu", "GPU-0", "--mem-mb", "4096", "--streams", "2", "--ttl-s", "120", "--receipt-out", r1])).toMatch(
    /OK ECHO path=\/queen\/ctl bytes=\d+\nlease requested gpu_id=GPU-0 mem_mb=4096 streams=2 ttl_s=120\n$/,
  );
  const run = await ok("coh", [...coh, "run", "--gpu", "GPU-0", "--receipt-out", r2, "--", "true"]);
  expect(run).toMatch(/^OK CAT path=\/gpu\/GPU-0\/lease\nOK ECHO path=\/gpu\/GPU-0\/status bytes=\d+\nOK ECHO path=\/gpu\/GPU-0\/status bytes=\d+\n$/);
  const failed = await bin("coh", [...coh, "run", "--gpu", "GPU-0", "--", "sh", "-c", "exit 3"]);
  expect(failed.code).toBe(3);
  expect(failed.stdout).toMatch(/ERR RUN reason=command exited with code 3\n$/);
  const status = (await ns.read("/gpu/GPU-0/status")).filter((l) => l.includes("gpu-breadcrumb/v1"));
  expect(status.slice(-4)).toEqual([
    '{"schema":"gpu-breadcrumb/v1","event":"START","command":"true","status":"RUNNING"}',
    '{"schema":"gpu-breadcrumb/v1","event":"EXIT","command":"true","status":"OK","exit_code":0}',
    '{"schema":"gpu-breadcrumb/v1","event":"START","command":"sh -c exit 3","status":"RUNNING"}',
    '{"schema":"gpu-breadcrumb/v1","event":"EXIT","command":"sh -c exit 3","status":"ERR","exit_code":3}',
  ]);
  const lease = JSON.parse(readFileSync(r1, "utf8"));
  expect(lease).toMatchObject({ schema: "cohesix-receipt-v1", kind: "gpu-lease", manifest_sha256: MANIFEST_SHA(), status: "ok", request: { gpu_id: "GPU-0", mem_mb: 4096, priority: 0 } });
  expect(lease.proc_lease.active_entries).toEqual([expect.objectContaining({ id: "gpu-GPU-0", resource: "GPU-0" })]);
  const rr = JSON.parse(readFileSync(r2, "utf8"));
  expect(rr).toMatchObject({ schema: "cohesix-receipt-v1", kind: "run", gpu_id: "GPU-0", command: ["true"], status: "ok" });
  expect(rr.acks).toHaveLength(3);
  for (const f of [r1, r2]) {
    const text = readFileSync(f, "utf8");
    expect(text).not.toMatch(/cohesix-ticket-|changeme|test-request-token/);
    expect(existsSync(f + ".partial")).toBe(false);
  }
  const worker = (JSON.parse((await ns.read("/gpu/GPU-0/lease")).at(-1)!) as { worker_id: string }).worker_id;
  await ns.append("/queen/ctl", `{"kill":"${worker}"}`);

  // 7. Telemetry pull: per-segment files; a second pull never overwrites.
  const pull = join(dir, "pull");
  expect(await ok("coh", [...coh, "telemetry", "pull", "--out", pull])).toContain(`telemetry device=${dev} segment=${seg} bytes=`);
  const saved = readFileSync(join(pull, dev, "seg", seg), "utf8");
  expect(saved).toContain('"schema_version":"gpu-telemetry/v1"');
  writeFileSync(join(pull, dev, "seg", seg), "local edit");
  await ok("coh", [...coh, "telemetry", "pull", "--out", pull]);
  expect(readFileSync(join(pull, dev, "seg", seg), "utf8")).toBe("local edit");
}

const MANIFEST_SHA = (): string => readFileSync(join(ROOT, "out/coh_policy.toml"), "utf8").match(/manifest_sha256 = "([0-9a-f]{64})"/)![1];

describe("seed 004's loop", () => {
  it("over the TCP console", async () => {
    const ns = await tcpQueen();
    try {
      await loraLoop("tcp", ["--port", String(q.ports.tcp)], ["--tcp-port", String(q.ports.tcp)], ns);
    } finally {
      await ns.close();
    }
  }, 300_000);

  it("through hive-gateway (REST)", async () => {
    const bind = `127.0.0.1:${await freePort()}`;
    gw = await spawnGateway([], { COH_TCP_HOST: "127.0.0.1", COH_TCP_PORT: String(q.ports.tcp), COH_AUTH_TOKEN: "changeme", HIVE_GATEWAY_REQUEST_AUTH_TOKEN: TOKEN, COH_ROLE: "queen", HIVE_GATEWAY_BIND: bind });
    const { restClient } = await import("../host/sdk/rest/index.js");
    const ns = await restClient(gw.url, TOKEN);
    try {
      await ns.attach("queen");
      const rest = ["--rest-url", gw.url, "--rest-auth-token", TOKEN];
      await loraLoop("rest", rest, rest, ns);
    } finally {
      await ns.close();
    }
  }, 300_000);
});
