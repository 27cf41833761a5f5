// coh, the CLI frame and its first subcommands, run as a process (./bin/coh) against a Node-hosted
// guest on a real TCP port: `--json` on every subcommand, `ERR <VERB> reason=…` + exit 1 on
// failure, the pinned policy, run's exit code and signal forwarding, receipts, the PEFT refusals
// and telemetry pull's resume rule. The full seed 004 loop is tests/gpu_qemu.e2e.test.ts.

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Guest } from "../host/runtime/guest.js";
import { tcpTransport } from "../host/sdk/connect.js";
import { clientOn } from "../host/sdk/open.js";
import { breadcrumb, cutUtf8 } from "../host/coh/run.js";
import { leaseRequest } from "../host/coh/gpu.js";

const ROOT = resolve(import.meta.dirname, "..");
const tmp = mkdtempSync(join(tmpdir(), "coh-"));
let guest: Guest;
let port: number;

beforeAll(async () => {
  guest = await Guest.start({ net: "sockets", sockets: { portMap: { 31337: 0, 31338: 0, 31339: 0 } } });
  port = guest.sockets.bound.get(31337)!;
});
afterAll(async () => {
  await guest?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}
function coh(args: string[], opts: { env?: NodeJS.ProcessEnv; onSpawn?: (pid: number) => void; until?: RegExp } = {}): Promise<Ran> {
  return new Promise((res) => {
    const p = spawn(join(ROOT, "bin/coh"), ["--port", String(port), ...args], { cwd: ROOT, env: { ...process.env, ...opts.env } });
    let stdout = "", stderr = "", fired = false;
    p.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (!fired && opts.until && opts.until.test(stdout) && p.pid) {
        fired = true;
        opts.onSpawn?.(p.pid);
      }
    });
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => p.kill("SIGKILL"), 60_000);
    p.on("close", (code) => {
      clearTimeout(t);
      res({ code, stdout, stderr });
    });
  });
}

async function queen<T>(f: (ns: ReturnType<typeof clientOn>) => Promise<T>): Promise<T> {
  const ns = clientOn(tcpTransport("127.0.0.1", port), {});
  await ns.attach("queen");
  try {
    return await f(ns);
  } finally {
    await ns.close();
  }
}

describe("the frame", () => {
  it("--json on every subcommand: one document with ok, verb, lines and the ERR line on failure", async () => {
    const list = JSON.parse((await coh(["--json", "gpu", "list"])).stdout);
    expect(list).toMatchObject({ ok: true, verb: "GPU", lines: ["OK LS path=/gpu", "OK CAT path=/gpu/GPU-0/info", expect.stringMatching(/^gpu id=GPU-0 name=Mock 4090 mem_mb=24576 sm=144/), "OK CAT path=/gpu/GPU-1/info", expect.any(String)] });
    expect(list.result).toHaveLength(2);
    const cases: [string[], string][] = [
      [["gpu", "status", "--gpu", "GPU-9"], "GPU"],
      [["run", "--gpu", "GPU-1", "--", "true"], "RUN"],
      [["peft", "export", "--job", "nope", "--out", join(tmp, "x")], "PEFT"],
      [["peft", "rollback", "--registry", join(tmp, "empty-reg")], "PEFT"],
      [["telemetry", "pull", "--out", join(tmp, "t0")], "TELEMETRY"],
    ];
    for (const [args, verb] of cases) {
      const r = await coh(["--json", ...args]);
      const doc = JSON.parse(r.stdout);
      expect(doc.verb).toBe(verb);
      if (verb === "TELEMETRY") {
        expect(doc).toMatchObject({ ok: true, lines: ["OK LS path=/queen/telemetry", "telemetry: none"] });
        continue;
      }
      expect(r.code).toBe(1);
      expect(doc.ok).toBe(false);
      expect(doc.error).toMatch(new RegExp(`^ERR ${verb} reason=`));
    }
  });

  it("failures end with ERR <VERB> reason=… and exit 1; usage errors exit 2", async () => {
    const r = await coh(["gpu", "status", "--gpu", "GPU-9"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ERR GPU reason=ERR CAT reason=policy detail=not-found path=\/gpu\/GPU-9\/status/m);
    expect((await coh(["gpu"])).code).toBe(2);
    expect((await coh(["gpu", "lease", "--gpu", "GPU-0", "--mem-mb", "x", "--streams", "1", "--ttl-s", "1"])).code).toBe(2);
    expect((await coh(["--port", "1", "gpu", "list"])).stdout).toMatch(/^ERR GPU reason=/m);
  });

  it("the policy is hash-pinned", async () => {
    const bad = join(tmp, "policy.toml");
    writeFileSync(bad, readFileSync(join(ROOT, "out/coh_policy.toml"), "utf8") + "# edited\n");
    const r = await coh(["--policy", bad, "gpu", "list"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ERR GPU reason=policy file .* has sha256 [0-9a-f]{64}, but this build expects/);
    expect((await coh(["gpu", "list"], { env: { COH_POLICY: bad } })).code).toBe(1);
  });
});

describe("gpu lease and run", () => {
  it("lease writes the request and a receipt; run exits with the command's code and forwards SIGTERM", async () => {
    expect(leaseRequest({ gpu: "GPU-1", memMb: 1, streams: 1, ttlS: 60, priority: 0 })).toBe('{"spawn":"gpu","lease":{"gpu_id":"GPU-1","mem_mb":1,"streams":1,"ttl_s":60,"priority":0}}');
    expect(leaseRequest({ gpu: "GPU-1", memMb: 1, streams: 1, ttlS: 60, priority: 2, budgetOps: 5 })).toBe('{"spawn":"gpu","lease":{"gpu_id":"GPU-1","mem_mb":1,"streams":1,"ttl_s":60,"priority":2},"budget":{"ops":5}}');
    const receipt = join(tmp, "r", "lease.json");
    const r = await coh(["gpu", "lease", "--gpu", "GPU-1", "--mem-mb", "1024", "--streams", "1", "--ttl-s", "600", "--receipt-out", receipt, "--ticket", "cohesix-ticket-should-not-leak"]);
    // The queen's console attach refuses a bogus ticket, and the receipt records the failure without it.
    expect(r.code).toBe(1);
    expect(readFileSync(receipt, "utf8")).not.toContain("cohesix-ticket-should-not-leak");
    expect((await coh(["gpu", "lease", "--gpu", "GPU-1", "--mem-mb", "1024", "--streams", "1", "--ttl-s", "600", "--receipt-out", receipt])).code).toBe(0);
    const rec = JSON.parse(readFileSync(receipt, "utf8"));
    expect(rec).toMatchObject({ schema: "cohesix-receipt-v1", kind: "gpu-lease", status: "ok", ack: expect.stringMatching(/^OK ECHO path=\/queen\/ctl bytes=\d+$/) });
    const again = await coh(["gpu", "lease", "--gpu", "GPU-1", "--mem-mb", "1", "--streams", "1", "--ttl-s", "600", "--receipt-out", receipt]);
    expect(again.stdout).toMatch(/^ERR GPU reason=ERR ECHO reason=busy detail=busy/m);
    expect(JSON.parse(readFileSync(receipt, "utf8"))).toMatchObject({ status: "err", error: expect.stringContaining("busy") });

    const runR = join(tmp, "r", "run.json");
    const exit7 = await coh(["run", "--gpu", "GPU-1", "--receipt-out", runR, "--", "sh", "-c", "exit 7"]);
    expect(exit7.code).toBe(7);
    expect(JSON.parse(readFileSync(runR, "utf8"))).toMatchObject({ kind: "run", status: "err", error: "command exited with code 7", command: ["sh", "-c", "exit 7"] });

    // SIGTERM to coh reaches the command; coh exits 128 + 15 and the EXIT breadcrumb says ERR.
    const killed = await coh(["run", "--gpu", "GPU-1", "--", "sh", "-c", "echo started; sleep 30"], { until: /started/, onSpawn: (pid) => process.kill(pid, "SIGTERM") });
    expect(killed.code, killed.stdout + killed.stderr).toBe(143);
    expect(killed.stdout).toMatch(/ERR RUN reason=command terminated by signal\n$/);
    const last = await queen((ns) => ns.read("/gpu/GPU-1/status"));
    expect(last.at(-1)).toBe('{"schema":"gpu-breadcrumb/v1","event":"EXIT","command":"sh -c echo started; sleep 30","status":"ERR"}');
    await queen(async (ns) => {
      const w = (JSON.parse((await ns.read("/gpu/GPU-1/lease")).at(-1)!) as { worker_id: string }).worker_id;
      await ns.append("/queen/ctl", `{"kill":"${w}"}`);
    });
    expect((await coh(["run", "--gpu", "GPU-1", "--", "true"])).stdout).toMatch(/ERR RUN reason=no active lease for gpu GPU-1\n$/);
  });

  it("breadcrumbs cut the command on UTF-8 boundaries to fit the line and command bounds", () => {
    expect(cutUtf8("aé", 2)).toBe("a");
    const long = ["echo", "é".repeat(300)];
    const line = breadcrumb("gpu-breadcrumb/v1", "START", long, "RUNNING", undefined, 512, 256);
    expect(Buffer.byteLength(JSON.parse(line).command)).toBeLessThanOrEqual(256);
    const tight = breadcrumb("gpu-breadcrumb/v1", "EXIT", long, "OK", 0, 128, 256);
    expect(Buffer.byteLength(tight)).toBeLessThanOrEqual(128);
    expect(JSON.parse(tight)).toMatchObject({ event: "EXIT", status: "OK", exit_code: 0 });
  });
});

describe("peft refusals", () => {
  it("import needs the adapter files within bounds and refuses a second import; activate needs the model", async () => {
    const exp = join(tmp, "exp");
    mkdirSync(join(exp, "j1"), { recursive: true });
    writeFileSync(join(exp, "j1", "base_model.ref"), "base_model=cohesix/base@v1\n");
    writeFileSync(join(exp, "j1", "policy.toml"), "[bounds]\n");
    writeFileSync(join(exp, "j1", "telemetry.cbor"), Buffer.from([0x80]));
    const farm = join(tmp, "farm");
    mkdirSync(farm, { recursive: true });
    const reg = join(tmp, "reg");
    const imp = (model = "m1"): Promise<Ran> => coh(["peft", "import", "--model", model, "--from", farm, "--job", "j1", "--export", exp, "--registry", reg]);
    expect((await imp()).stdout).toMatch(/ERR PEFT reason=missing adapter.safetensors/);
    writeFileSync(join(farm, "adapter.safetensors"), "");
    expect((await imp()).stdout).toMatch(/ERR PEFT reason=.*adapter.safetensors is empty/);
    writeFileSync(join(farm, "adapter.safetensors"), "weights");
    writeFileSync(join(farm, "lora.json"), "{not json");
    expect((await imp()).stdout).toMatch(/ERR PEFT reason=.*lora.json is not JSON/);
    writeFileSync(join(farm, "lora.json"), '{"rank":4}');
    expect((await imp("../x")).stdout).toMatch(/ERR PEFT reason=model id/);
    const ok = await imp();
    expect(ok.code).toBe(0);
    expect(existsSync(join(reg, "available", "m1", "metrics.json"))).toBe(false);
    expect(readFileSync(join(reg, "available", "m1", "manifest.toml"), "utf8")).toMatch(/^\[model\]\nid = "m1"\nbase = "cohesix\/base@v1"\n/);
    expect((await imp()).stdout).toMatch(/ERR PEFT reason=model m1 already imported\n$/);
    expect((await coh(["peft", "activate", "--model", "ghost", "--registry", reg])).stdout).toMatch(/ERR PEFT reason=model ghost is not available/);
    // m1 is in the registry but was never published: the guest refuses the pointer.
    expect((await coh(["peft", "activate", "--model", "m1", "--registry", reg])).stdout).toMatch(/ERR PEFT reason=ERR ECHO reason=policy detail=(not-found|invalid-path)/);
    expect((await coh(["peft", "rollback", "--registry", reg])).stdout).toMatch(/ERR PEFT reason=no previous model available for rollback/);
  });
});

describe("telemetry pull", () => {
  it("saves each segment once; an existing file is never overwritten", async () => {
    const seg = await queen(async (ns) => {
      await ns.append("/queen/telemetry/dev1/ctl", '{"new":"segment","mime":"text/plain"}');
      const s = (await ns.read("/queen/telemetry/dev1/latest"))[0];
      await ns.append(`/queen/telemetry/dev1/seg/${s}`, "record-1");
      return s;
    });
    const out = join(tmp, "pull");
    const r = await coh(["telemetry", "pull", "--out", out]);
    expect(r.stdout).toContain(`telemetry device=dev1 segment=${seg} bytes=9 saved=dev1/seg/${seg}`);
    expect(readFileSync(join(out, "dev1", "seg", seg), "utf8")).toBe("record-1\n");
    writeFileSync(join(out, "dev1", "seg", seg), "mine");
    const doc = JSON.parse((await coh(["--json", "telemetry", "pull", "--out", out])).stdout);
    expect(doc.result).toEqual([{ device: "dev1", segment: seg, bytes: 9, saved: false }]);
    expect(readFileSync(join(out, "dev1", "seg", seg), "utf8")).toBe("mine");
    expect(existsSync(join(out, "dev1", "seg", `${seg}.partial`))).toBe(false);
  });
});
