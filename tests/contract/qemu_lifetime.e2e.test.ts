// The SDK's qemu connector never leaves QEMU running: not even when its process is SIGKILLed
// (the watchdog holds a pipe only the parent writes; its closing stops QEMU by pid).

import { spawn } from "node:child_process";
import { resolve } from "node:path";
import { expect, it } from "vitest";
import { ROOT } from "../helpers/serial.js";
import { gone, running } from "./pids.js";

it("SIGKILL of the process that booted QEMU still stops QEMU", async () => {
  // One process (no tsx wrapper in between), so the SIGKILL hits the process that owns QEMU.
  const p = spawn(process.execPath, ["--import", "tsx", resolve(ROOT, "tests/contract/fixtures/hold_qemu.ts")], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let qemu = -1;
  try {
    await new Promise<void>((res, rej) => {
      p.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        const m = /PIDS (\d+) (\d+)/.exec(out);
        if (m) {
          qemu = Number(m[1]);
          res();
        }
      });
      p.stderr.on("data", (d: Buffer) => (out += d.toString()));
      p.on("exit", (c) => rej(new Error(`holder exited (${c}) before QEMU was ready:\n${out}`)));
    });
    expect(running(qemu)).toBe(true);
    p.kill("SIGKILL");
    expect(await gone(qemu, 10_000)).toBe(true);
  } finally {
    p.kill("SIGKILL");
    if (qemu > 0 && running(qemu)) process.kill(qemu, "SIGKILL");
  }
}, 90_000);

it("a QemuGuest never stopped (its test timed out before `finally`) is killed when its process exits", async () => {
  const p = spawn(process.execPath, ["--import", "tsx", resolve(ROOT, "tests/contract/fixtures/forget_qemu.ts")], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  p.stdout.on("data", (d: Buffer) => (out += d.toString()));
  p.stderr.on("data", (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((res) => p.on("exit", (c) => res(c)));
  const m = /QEMU (\d+)/.exec(out);
  expect(m, out).not.toBeNull();
  const qemu = Number(m![1]);
  try {
    expect(code).toBe(0);
    expect(await gone(qemu, 10_000)).toBe(true);
  } finally {
    if (running(qemu)) process.kill(qemu, "SIGKILL");
  }
}, 90_000);
