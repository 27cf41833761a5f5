// CAS end to end on the QEMU-booted image (a real TCP peer): the original's cas_roundtrip flow
// as a .coh script with byte-identical transcripts on the mock and on QEMU, then the cas-tool CLI
// packing and uploading to it — accepted over the console and over Secure9P, a wrong key refused,
// a tampered chunk quarantined, and an uploader killed with SIGKILL mid-way resuming on re-run
// without storing anything twice.

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadBundle } from "../host/cas-tool/bundle.js";
import { DEFAULT_LIMITS } from "../host/cas-tool/limits.js";
import { uploadBundle } from "../host/cas-tool/upload.js";
import { CasToolError } from "../host/cas-tool/errors.js";
import { Guest } from "../host/runtime/guest.js";
import { QemuGuest } from "../host/runtime/qemu.js";
import { tcpTransport } from "../host/sdk/connect.js";
import type { NamespaceClient } from "../host/sdk/ns.js";
import { clientOn } from "../host/sdk/open.js";
import { MANIFEST } from "../host/generated/manifest.js";
import { loopbackConnector, runCohFile, tcpConnector } from "./helpers/cohsh.js";
import { spawnGateway, TOKEN } from "./helpers/gateway.js";
import { manifestTicket } from "./helpers/tickets.js";
import { xorshift } from "./helpers/rng.js";

const ROOT = resolve(import.meta.dirname, "..");
const KEY = join(ROOT, "tests/fixtures/cas/cas_signing_key.hex");
const tmp = mkdtempSync(join(tmpdir(), "cas-e2e-"));

let qemu: QemuGuest;
let ns: NamespaceClient;

beforeAll(async () => {
  qemu = await QemuGuest.start();
  await qemu.waitReady();
}, 180_000);

afterAll(async () => {
  await ns?.close().catch(() => undefined);
  await qemu?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

/** The CLI as one process (node + the tsx loader), so SIGKILL reaches the uploader itself. */
const CLI = ["--import", "tsx", join(ROOT, "host/cas-tool/cli.ts")];
/**
 * Runs the CLI to its end without blocking this process: the test holds a live console session
 * (`ns`) to the same guest, and a parent stuck in spawnSync is a client that stops reading it.
 */
function cli(args: string[], env: NodeJS.ProcessEnv = {}, ms = 240_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => p.kill("SIGKILL"), ms);
    p.on("exit", (code) => {
      clearTimeout(t);
      res({ code: code ?? -1, stdout, stderr });
    });
  });
}

function input(bytes: number, seed: number): string {
  const rnd = xorshift(seed);
  const p = join(tmp, `in-${seed}`);
  writeFileSync(p, Uint8Array.from({ length: bytes }, () => rnd(256)));
  return p;
}

async function pack(epoch: string, bytes: number, chunkBytes: number, key = KEY): Promise<string> {
  const out = join(tmp, epoch);
  const r = await cli(["pack", "--epoch", epoch, "--input", input(bytes, Number(epoch)), "--out-dir", out, "--chunk-bytes", String(chunkBytes), "--signing-key", key]);
  expect(r.code, r.stderr).toBe(0);
  return out;
}

const port = (): string => String(qemu.ports.tcp);
const storeUsed = async (): Promise<number> => Number(/store_bytes=(\d+)\//.exec((await ns.read("/updates/status"))[0])![1]);

describe("CAS on QEMU", () => {
  it("tests/scripts/cas_roundtrip.coh: byte-identical transcripts on the mock and on QEMU", async () => {
    const mock = await Guest.start();
    try {
      const viaMock = await runCohFile("tests/scripts/cas_roundtrip.coh", loopbackConnector(mock));
      const viaQemu = await runCohFile("tests/scripts/cas_roundtrip.coh", tcpConnector(qemu.ports.tcp));
      expect(viaMock.result).toMatchObject({ ok: true });
      expect(viaQemu.result).toMatchObject({ ok: true });
      expect(viaQemu.transcript).toBe(viaMock.transcript);
    } finally {
      await mock.stop();
    }
    ns = clientOn(tcpTransport("127.0.0.1", qemu.ports.tcp), { authToken: MANIFEST.console.auth_token, heartbeatMs: 0, timeoutMs: 30_000 });
    await ns.attach("queen");
  }, 240_000);

  it("cas-tool pack + upload over the console: accepted, one summary line; a re-run skips everything", async () => {
    const dir = await pack("200", 2 * 4096, 4096);
    const r = await cli(["upload", "--bundle", dir, "--port", port()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^cas-tool: uploaded update epoch=200 state=ready chunks_sent=2 chunks_skipped=0 bytes=\d+ resumed_bytes=0 records=\d+ ms=\d+\n$/);
    const again = await cli(["upload", "--bundle", dir, "--port", port(), "--json"]);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, state: "ready", chunksSent: 0, chunksSkipped: 2, bytesSent: 0 });
  }, 240_000);

  it("over Secure9P with a queen ticket by env: reference", async () => {
    const dir = await pack("201", 4 * 4096, 4096);
    const r = await cli(["upload", "--bundle", dir, "--port", port(), "--protocol", "9p", "--ticket", "env:CAS_QUEEN_TICKET", "--json"], { CAS_QUEEN_TICKET: manifestTicket("queen") });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ state: "ready", chunksSent: 4 });
  }, 240_000);

  it("a wrong key is refused (exit 1, reason in the error)", async () => {
    const other = join(tmp, "other.key");
    writeFileSync(other, "07".repeat(32));
    const dir = await pack("202", 4096, 4096, other);
    const r = await cli(["upload", "--bundle", dir, "--port", port()]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/signature-failed/);
  }, 240_000);

  it("a tampered chunk (sent past the host's own check) is quarantined by the guest with its log line", async () => {
    const good = loadBundle(await pack("203", 2 * 4096, 4096), DEFAULT_LIMITS);
    const bad = { ...good, chunks: good.chunks.map((c, i) => (i === 0 ? { digest: c.digest, data: Buffer.from(c.data).fill(0xee, 100, 200) } : c)) };
    await expect(uploadBundle(ns, bad, { maxRecord: MANIFEST.console.echo_max })).rejects.toBeInstanceOf(CasToolError);
    const id = good.chunks[0].digest.toString("hex");
    expect((await ns.tail("/log/queen.log")).some((l) => l.includes(`cas-chunk quarantined epoch=203 expected=${id} `))).toBe(true);
    expect(await uploadBundle(ns, good, { maxRecord: MANIFEST.console.echo_max })).toMatchObject({ state: "ready", chunksSent: 1, chunksSkipped: 1 });
  }, 240_000);

  it("an uploader killed with SIGKILL mid-way resumes on re-run: the rest is sent, nothing is stored twice", async () => {
    const dir = await pack("204", 8 * 4096, 4096);
    const expected = 8 * 4096 + loadBundle(dir, DEFAULT_LIMITS).manifestBytes.length;
    const before = await storeUsed();
    const child = spawn(process.execPath, [...CLI, "upload", "--bundle", dir, "--port", port()], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    try {
      // Kill once the first quarter is reported on stderr (progress is a line per quarter off a TTY).
      await new Promise<void>((res, rej) => {
        let err = "";
        child.stderr.on("data", (d: Buffer) => {
          err += d.toString();
          const m = /cas-tool: upload (\d+)\/(\d+)\n/g;
          let hit: RegExpExecArray | null;
          while ((hit = m.exec(err)) !== null) if (Number(hit[1]) >= Number(hit[2]) / 4 && Number(hit[1]) < Number(hit[2])) return res();
        });
        child.on("exit", () => rej(new Error(`uploader finished before it could be killed:\n${err}`)));
      });
      child.kill("SIGKILL");
      await new Promise((r) => child.once("exit", r));
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    const r = await cli(["upload", "--bundle", dir, "--port", port(), "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { state: string; chunksSkipped: number; resumedBytes: number; bytesSent: number };
    expect(out.state).toBe("ready");
    expect(out.chunksSkipped + (out.resumedBytes > 0 ? 1 : 0)).toBeGreaterThan(0);
    expect(out.bytesSent).toBeLessThan(expected);
    expect(await storeUsed()).toBe(before + expected);
  }, 240_000);

  it("through hive-gateway in front of the guest (--rest-url, the seed's scenario C step 1)", async () => {
    const dir = await pack("205", 2 * 4096, 4096);
    const gw = await spawnGateway([], { COH_TCP_PORT: port(), COH_AUTH_TOKEN: MANIFEST.console.auth_token, HIVE_GATEWAY_REQUEST_AUTH_TOKEN: TOKEN, HIVE_GATEWAY_BIND: "127.0.0.1:0" });
    try {
      const r = await cli(["upload", "--bundle", dir, "--rest-url", gw.url, "--json"], { HIVE_GATEWAY_REQUEST_AUTH_TOKEN: TOKEN });
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, epoch: "205", state: "ready", chunksSent: 2 });
    } finally {
      await gw.stop();
    }
    expect((await ns.read("/updates/205/status")).some((l) => l.includes("state=ready"))).toBe(true);
  }, 240_000);
});
