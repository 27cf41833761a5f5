// `cohsh --transport qemu` never leaves QEMU running — stdout closed (`| head`), SIGPIPE,
// SIGHUP, SIGKILL of cohsh itself — and the self-tests pass on a guest that has been used.
// Each lifetime case boots its own guest through ./bin/cohsh and finds QEMU's pid in the -v line.

import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QemuGuest } from "../host/runtime/qemu.js";
import { cohsh } from "./helpers/cohsh.js";
import { ROOT } from "./helpers/serial.js";
import { gone, running } from "./contract/pids.js";

// A script that keeps printing for a while (so there is a write after stdout closes).
const SLOW = "attach queen\n" + "ping\nWAIT 500\n".repeat(30);

interface Booted {
  p: ChildProcessWithoutNullStreams;
  qemu: number;
  stdout: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function boot(extra: string[] = []): Promise<Booted> {
  const p = spawn("./bin/cohsh", ["--transport", "qemu", "-v", ...extra], { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  let out = "";
  let err = "";
  p.stdout.on("data", (d: Buffer) => (out += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => p.on("exit", (code, signal) => res({ code, signal })));
  p.stdin.end(SLOW);
  const qemu = await new Promise<number>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`no ready line in 90 s:\n${err}`)), 90_000);
    p.stderr.on("data", (d: Buffer) => {
      err += d.toString();
      const m = /guest ready \(qemu pid (\d+)/.exec(err);
      if (m) {
        clearTimeout(t);
        res(Number(m[1]));
      }
    });
    void exit.then(() => rej(new Error(`cohsh exited before the guest was ready:\n${err}`)));
  });
  // Wait for the first output line: the session is up and printing.
  while (!out.includes("\n")) await new Promise((r) => setTimeout(r, 20));
  return { p, qemu, stdout: () => out, exit };
}

async function cleanup(b: Booted | null): Promise<void> {
  if (!b) return;
  b.p.kill("SIGKILL");
  if (running(b.qemu)) process.kill(b.qemu, "SIGKILL");
}

describe("cohsh --transport qemu stops its guest, whatever ends cohsh", () => {
  it("stdout closed under it (cohsh … | head -1): cohsh stops QEMU and exits", async () => {
    let b: Booted | null = null;
    try {
      b = await boot(["--qemu-arg=-name", "--qemu-arg=cohsh-e2e-head"]);
      // --qemu-arg reached QEMU's command line.
      expect(readFileSync(`/proc/${b.qemu}/cmdline`, "utf8").split("\0")).toEqual(expect.arrayContaining(["-name", "cohsh-e2e-head"]));
      b.p.stdout.destroy();
      const e = await b.exit;
      expect(e.code).toBe(141);
      expect(await gone(b.qemu, 10_000)).toBe(true);
    } finally {
      await cleanup(b);
    }
  }, 150_000);

  for (const [sig, code] of [["SIGHUP", 129], ["SIGPIPE", 141]] as const) {
    it(`${sig}: cohsh stops QEMU and exits ${code}`, async () => {
      let b: Booted | null = null;
      try {
        b = await boot();
        b.p.kill(sig);
        const e = await b.exit;
        expect(e.code).toBe(code);
        expect(await gone(b.qemu, 10_000)).toBe(true);
      } finally {
        await cleanup(b);
      }
    }, 150_000);
  }

  it("SIGKILL of cohsh itself: its watchdog stops QEMU", async () => {
    let b: Booted | null = null;
    try {
      b = await boot();
      b.p.kill("SIGKILL");
      await b.exit;
      expect(await gone(b.qemu, 10_000)).toBe(true);
    } finally {
      await cleanup(b);
    }
  }, 150_000);

  it("--qemu-bin that does not exist, or an --qemu-out-dir without an image: a clear error, exit 1, nothing left running", async () => {
    const bin = await cohsh(["--transport", "qemu", "--qemu-bin", "/nonexistent/qemu-system-aarch64", "--script", "tests/scripts/tcp_basic.coh"], "", 60_000);
    expect(bin.code).toBe(1);
    expect(bin.stderr).toContain("/nonexistent/qemu-system-aarch64 not found");
    const dir = await cohsh(["--transport", "qemu", "--qemu-out-dir", "/nonexistent-out", "--script", "tests/scripts/tcp_basic.coh"], "", 60_000);
    expect(dir.code).toBe(1);
    expect(dir.stderr).toContain("/nonexistent-out/cohesix.img not found");
  }, 150_000);
});

describe("self-tests on a used QEMU guest", () => {
  let q: QemuGuest;
  beforeAll(async () => {
    q = await QemuGuest.start();
    await q.waitReady(60_000);
  }, 90_000);
  afterAll(async () => {
    await q?.stop();
  });

  it("test --mode full passes twice in a row (a new worker each time, each removed), smp reports one core", async () => {
    const port = String(q.ports.tcp);
    const r = await cohsh(["--tcp-port", port, "--role", "queen"], "spawn heartbeat ticks=20\ntest --mode full\ntest --mode full\ntest --mode smp --json\n", 90_000);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout.match(/test full: PASS/g)).toHaveLength(2);
    const smp = JSON.parse(r.stdout.split("\n").find((l) => l.startsWith("{")) ?? "{}") as { ok: boolean; checks: Array<{ name: string; detail: string }> };
    expect(smp.ok).toBe(true);
    expect(smp.checks.find((c) => c.name === "preflight/smp")?.detail).toMatch(/^single-core guest/);
    const again = await cohsh(["--tcp-port", port, "--role", "queen"], "test --mode full\n", 60_000);
    expect(again.stdout).toMatch(/test full: PASS/);
  }, 150_000);
});
