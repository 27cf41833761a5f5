// coh doctor: the reference's line forms, each failure with its fix, the final failure count;
// against the in-process core (--mock), the core on the Node host over TCP, hive-gateway --mock,
// and a stand-in nvidia-smi (tests/fixtures/nvidia-smi) for the GPU check.

import { mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MANIFEST, MANIFEST_SHA256 } from "../host/generated/manifest.js";
import { spawnGateway, TOKEN, type GatewayProcess } from "./helpers/gateway.js";
import { ROOT } from "./helpers/serial.js";
import { manifestTicket } from "./helpers/tickets.js";
import { coh, startMockHive, type MockHive } from "./mount_helpers.js";

const checks = (out: string): string[] => out.trim().split("\n").map((l) => /^(OK|ERR) DOCTOR (?:check=(\S+))?/.exec(l)?.slice(1).join(":") ?? l);

describe("coh --mock doctor", () => {
  it("passes every check; GPU and QEMU are skipped as mock", async () => {
    const r = await coh(["--mock", "doctor"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(checks(r.stdout)).toEqual(["OK:policy", "OK:ticket", "OK:mount", "OK:gpu", "OK:runtime", "OK:runtime", "OK:console", "OK:manifest"]);
    const l = r.stdout.split("\n");
    expect(l[0]).toBe(`OK DOCTOR check=policy path=${join(ROOT, "out/coh_policy.toml")} manifest_sha256=${MANIFEST_SHA256} policy_sha256=${l[0].split("policy_sha256=")[1]}`);
    expect(l[1]).toBe(`OK DOCTOR check=ticket role=queen ticket=none max_len=${MANIFEST.console.ticket_max}`);
    expect(l[2]).toMatch(new RegExp(`^OK DOCTOR check=mount root=/ allowlist=${MANIFEST.coh.mount_allowlist.split(",").length} device=/dev/fuse fusermount=\\S+ module=@cocalc/fuse-native$`));
    expect(l[3]).toBe("OK DOCTOR check=gpu status=skip reason=mock");
    expect(l[4]).toMatch(/^OK DOCTOR check=runtime tool=python3 version=Python 3\.\d+/);
    expect(l[5]).toBe("OK DOCTOR check=runtime tool=qemu-system-aarch64 status=skip reason=mock");
    expect(l[6]).toBe("OK DOCTOR check=console endpoint=mock protocol=9p version=9P2000.L msize=8192");
    expect(l[7]).toBe(`OK DOCTOR check=manifest local=${MANIFEST_SHA256} hive=${MANIFEST_SHA256}`);
  });

  it("--json: one document with every line", async () => {
    const r = await coh(["--mock", "--json", "doctor"]);
    const doc = JSON.parse(r.stdout) as { ok: boolean; verb: string; lines: string[]; result: { failed: number; checks: unknown[] } };
    expect(doc).toMatchObject({ ok: true, verb: "DOCTOR", result: { failed: 0 } });
    expect(doc.lines).toHaveLength(8);
  });

  it("a policy that does not load, a worker without a ticket, a ticket from another secret: each says how to fix it", async () => {
    const r = await coh(["--mock", "--policy", "/nonexistent/coh_policy.toml", "--role", "worker-heartbeat", "doctor"]);
    expect(r.code).toBe(1);
    const l = r.stdout.trim().split("\n");
    expect(l[0]).toBe("ERR DOCTOR check=policy reason=path=/nonexistent/coh_policy.toml policy file /nonexistent/coh_policy.toml not found (npm run gen or npm run build writes it) fix=npm run gen (or npm run build) writes it; --policy or COH_POLICY chooses another file");
    expect(l[1]).toBe("ERR DOCTOR check=ticket reason=role=worker-heartbeat worker tickets are required fix=give --ticket (./bin/cohsh --mint-ticket --role worker-heartbeat --ticket-subject <worker id>)");
    expect(l[2]).toBe("ERR DOCTOR check=mount reason=policy-unavailable fix=fix check=policy first (npm run gen)");
    expect(l.at(-1)).toBe("ERR DOCTOR reason=doctor failed: 3 check(s) failed");
    const forged = manifestTicket("queen").replace(/.$/, (c) => (c === "A" ? "B" : "A"));
    const t = await coh(["--mock", "--ticket", forged, "doctor"]);
    expect(t.stdout).toMatch(/^ERR DOCTOR check=ticket reason=role=queen ticket (MAC does not verify under this manifest's queen secret|does not decode: .*) fix=/m);
    expect(t.stdout.trim().split("\n").at(-1)).toBe("ERR DOCTOR reason=doctor failed: 1 check(s) failed");
    const long = await coh(["--mock", "--ticket", "x".repeat(MANIFEST.console.ticket_max + 1), "doctor"]);
    expect(long.stdout).toContain(`ERR DOCTOR check=ticket reason=role=queen ticket is ${MANIFEST.console.ticket_max + 1} characters > ticket.max_len=${MANIFEST.console.ticket_max} fix=`);
  });
});

describe("coh doctor against a live hive (the core on the Node host over TCP) and hive-gateway", () => {
  let hive: MockHive | undefined;
  let gw: GatewayProcess | undefined;
  const fakeBin = mkdtempSync(join(tmpdir(), "doctor-bin-"));
  symlinkSync(join(ROOT, "tests/fixtures/nvidia-smi/nvidia-smi"), join(fakeBin, "nvidia-smi"));
  const gpuEnv = (dir: string): NodeJS.ProcessEnv => ({ PATH: `${fakeBin}:${process.env.PATH}`, FAKE_NVIDIA_SMI_DIR: join(ROOT, "tests/fixtures/nvidia-smi", dir) });
  beforeAll(async () => {
    hive = await startMockHive();
    gw = await spawnGateway(["--mock", "--bind", "127.0.0.1:0"], { HIVE_GATEWAY_REQUEST_AUTH_TOKEN: TOKEN });
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    await hive?.stop();
  });

  it("console port and manifest answer; the GPU check reads nvidia-smi", async () => {
    const r = await coh(["--port", String(hive!.port), "doctor"], gpuEnv("one"));
    expect(r.stdout).toMatch(/^OK DOCTOR check=gpu backend=nvidia-smi gpus=1 driver=\S+$/m);
    expect(r.stdout).toContain(`OK DOCTOR check=console endpoint=127.0.0.1:${hive!.port} protocol=9p version=9P2000.L msize=8192\n`);
    expect(r.stdout).toContain(`OK DOCTOR check=manifest local=${MANIFEST_SHA256} hive=${MANIFEST_SHA256}\n`);
    expect(r.stdout).toMatch(/^OK DOCTOR check=runtime tool=qemu-system-aarch64 version=QEMU emulator version /m);
    expect(r.code, r.stdout).toBe(0);
  });

  it("a failing nvidia-smi and a closed console port fail with their fixes", async () => {
    const r = await coh(["--port", "1", "doctor"], gpuEnv("driver-error"));
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ERR DOCTOR check=gpu reason=.+ fix=install the NVIDIA driver so nvidia-smi answers \(or run coh with --mock on a machine without GPUs\)$/m);
    expect(r.stdout).toMatch(/^ERR DOCTOR check=console reason=endpoint=127\.0\.0\.1:1 .+ fix=boot the hive \(npm run boot, or npm run mock\) or point --host\/--port at it$/m);
    expect(r.stdout).toContain("ERR DOCTOR check=manifest reason=the hive is not reachable fix=see check=console\n");
    expect(r.stdout.trim().split("\n").at(-1)).toBe("ERR DOCTOR reason=doctor failed: 3 check(s) failed");
  });

  it("the gateway when given: its manifest and the request token", async () => {
    const ok = await coh(["--mock", "--rest-url", gw!.url, "--rest-auth-token", TOKEN, "doctor"]);
    expect(ok.stdout).toMatch(new RegExp(`^OK DOCTOR check=gateway url=${gw!.url} manifest_sha256=${MANIFEST_SHA256} connected=true$`, "m"));
    expect(ok.code, ok.stdout).toBe(0);
    const bad = await coh(["--mock", "--rest-url", gw!.url, "--rest-auth-token", "wrong-token", "doctor"]);
    expect(bad.stdout).toContain(`ERR DOCTOR check=gateway reason=url=${gw!.url} the gateway refuses the request token (HTTP 401) fix=set --rest-auth-token or HIVE_GATEWAY_REQUEST_AUTH_TOKEN to the gateway's request token\n`);
    expect(bad.code).toBe(1);
  });
});
