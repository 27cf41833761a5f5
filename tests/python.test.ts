// The Python client (tools/cohesix-py) inside `npm test`: its pytest suite (which starts mock
// hives of this very core), the drift check of its generated.py, and its examples and
// cohesix-playbook against the QEMU-booted image over TCP.

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile } from "../host/coh-rtc/cli.js";
import { QemuGuest } from "../host/runtime/qemu.js";
import { ROOT } from "./helpers/serial.js";
import { inProcess, TOKEN } from "./helpers/gateway.js";

const PKG = resolve(ROOT, "tools/cohesix-py");

interface Run {
  code: number | null;
  out: string;
}

function run(cmd: string, args: string[], timeoutMs: number, env: Record<string, string> = {}): Promise<Run> {
  return new Promise((res, rej) => {
    const p = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, PYTHONPATH: PKG, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const t = setTimeout(() => {
      if (p.pid !== undefined) process.kill(p.pid, "SIGKILL");
      rej(new Error(`${cmd} ${args.join(" ")} did not finish in ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    p.on("error", (e) => {
      clearTimeout(t);
      rej(new Error(`cannot run ${cmd}: ${e.message} (bash .ci/setup installs python3 and python3-pytest)`));
    });
    p.on("exit", (code) => {
      clearTimeout(t);
      res({ code, out });
    });
  });
}

describe("cohesix-py", () => {
  it("pytest: every test passes, and there are tests", { timeout: 400_000 }, async () => {
    const r = await run("python3", ["-m", "pytest", "-q", "-p", "no:cacheprovider", "tools/cohesix-py/tests"], 380_000);
    // Exit 5 is "no tests collected": a suite that silently ran nothing must fail here too.
    expect(r.code, r.out).toBe(0);
    const passed = /(\d+) passed/.exec(r.out);
    expect(passed, r.out).not.toBeNull();
    expect(Number(passed?.[1])).toBeGreaterThanOrEqual(40);
    expect(r.out).not.toMatch(/\d+ (failed|error)/);
  });

  it("coh-rtc --check names a stale generated.py", () => {
    const dir = mkdtempSync(join(tmpdir(), "cohpy-rtc-"));
    try {
      const manifest = resolve(ROOT, "configs/root_task.toml");
      expect(compile(manifest, false, dir).ok).toBe(true);
      expect(compile(manifest, true, dir).changed).toEqual([]);
      const gen = join(dir, "tools/cohesix-py/cohesix/generated.py");
      const text = readFileSync(gen, "utf8");
      expect(text).toContain("CONSOLE_ECHO_MAX: Final[int] = 128");
      expect(text).not.toContain("changeme\"\nCONSOLE"); // the token itself is never emitted
      expect(text).not.toMatch(/AUTH_TOKEN/);
      writeFileSync(gen, text.replace("CONSOLE_ECHO_MAX: Final[int] = 128", "CONSOLE_ECHO_MAX: Final[int] = 129"));
      const r = compile(manifest, true, dir);
      expect(r.ok).toBe(false);
      expect(r.changed).toEqual(["tools/cohesix-py/cohesix/generated.py"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("cohesix-py against the QEMU guest over TCP", () => {
  let q: QemuGuest;
  let out: string;
  beforeAll(async () => {
    out = mkdtempSync(join(tmpdir(), "cohpy-qemu-"));
    q = await QemuGuest.start();
    await q.waitReady(60_000);
  }, 90_000);
  afterAll(async () => {
    await q?.stop();
    rmSync(out, { recursive: true, force: true });
  });

  it("lease_run.py and cohesix-playbook answer as on the mock", { timeout: 120_000 }, async () => {
    const port = String(q.ports.tcp);
    const lease = await run("python3", ["tools/cohesix-py/examples/lease_run.py", "--tcp-host", "127.0.0.1", "--tcp-port", port, "--out", out], 60_000);
    expect(lease.code, lease.out).toBe(0);
    const result = JSON.parse(readFileSync(join(out, "lease_run/result.json"), "utf8")) as { audit: string[]; proc_snapshot: { lease_active: string[] } };
    expect(result.audit.slice(0, 2)).toEqual(["OK ECHO path=/queen/schedule/ctl bytes=80", "OK ECHO path=/queen/lease/ctl bytes=95"]);
    expect(result.proc_snapshot.lease_active[0]).toMatch(/^lease-edge-1 subject=queen resource=gpu0 priority=6 expires_ms=\d+$/);

    const pb = await run("python3", ["-m", "cohesix.playbook_cli", "--playbook", "mixed-closed-loop-ai-factory", "--tcp-port", port, "--out", out, "--no-host-snapshot"], 60_000);
    expect(pb.code, pb.out).toBe(0);
    const rep = JSON.parse(readFileSync(join(out, "mixed-closed-loop-ai-factory/report.json"), "utf8")) as {
      run_id: string;
      plan_execution: { export_writes: Array<{ payload: string }> };
      proc_snapshot: { lease_active: string[] };
    };
    expect(rep.plan_execution.export_writes[0].payload).toBe(`{"op":"open","id":"mixed-export-${rep.run_id}","ttl_s":900}`);
    expect(rep.proc_snapshot.lease_active.some((l) => l.startsWith(`mixed-lease-1-${rep.run_id} subject=queen resource=gpu0 priority=6`))).toBe(true);
    const audit = readFileSync(join(out, "mixed-closed-loop-ai-factory/audit.txt"), "utf8").split("\n");
    expect(audit.filter((l) => l.startsWith("OK ECHO path=")).length).toBe(3 + 2 + 1 + 1);
  });
});

// RestBackend against the real hive-gateway (--mock core in this process), not the pytest fake.
const REST_PROBE = String.raw`
import json, sys
from cohesix.backends.rest import RestBackend
from cohesix.errors import CohesixError
b = RestBackend(sys.argv[1], auth_token="env:HIVE_GATEWAY_REQUEST_AUTH_TOKEN")
out = {"ls": b.list_dir("/"), "boot": b.read_lines("/proc/boot", 4096)[0], "bounds": sorted(b.bounds().keys())}
b.write_append("/log/queen.log", "from-cohesix-py")
out["log"] = b.tail_lines("/log/queen.log", 4096)[-1]
try:
    b.read_lines("/proc/nothing-here", 64)
    out["missing"] = "no error"
except CohesixError as e:
    out["missing"] = str(e)
bad = RestBackend(sys.argv[1], auth_token="wrong-token")
try:
    bad.list_dir("/")
    out["badtoken"] = "no error"
except CohesixError as e:
    out["badtoken"] = str(e)
print(json.dumps(out))
`;

describe("cohesix-py RestBackend against hive-gateway", () => {
  it("lists, reads, appends and tails through the real gateway; a missing file and a wrong token are clear errors", { timeout: 60_000 }, async () => {
    const gw = await inProcess(["--mock"]);
    try {
      const r = await run("python3", ["-c", REST_PROBE, gw.url], 50_000, { HIVE_GATEWAY_REQUEST_AUTH_TOKEN: TOKEN });
      expect(r.code, r.out).toBe(0);
      const o = JSON.parse(r.out.trim().split("\n").at(-1) ?? "{}") as Record<string, unknown>;
      expect(o.ls).toEqual(expect.arrayContaining(["proc", "log", "queen"]));
      expect(o.boot).toBe("Cohesix boot: root-task online");
      expect(o.bounds).toEqual(expect.arrayContaining(["manifest_sha256"]));
      expect(o.log).toBe("from-cohesix-py");
      expect(String(o.missing)).toMatch(/not-found|404/);
      expect(String(o.badtoken)).toMatch(/401/);
    } finally {
      await gw.stop();
    }
  });
});
