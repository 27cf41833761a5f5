// Drives the serial root console on either host and returns what it printed, so the same
// input can be compared byte for byte between the Node host and the QEMU-booted image.

import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";
import type { Core } from "../../host/runtime/abi.js";
import { Guest } from "../../host/runtime/guest.js";

export const ROOT = resolve(import.meta.dirname, "../..");
export const PROMPT = "cohesix> ";
export const READY = "Cohesix console ready";
/** The core's first line; everything before it is the platform's own (host-specific) output. */
export const CORE_START = "[cohesix:root-task]";

/** The bring-up script of the issue: every verb, an unknown verb, a line past the bound. */
export const BRINGUP_LINES: string[] = [
  "help",
  "bi",
  "caps",
  "mem",
  "ping",
  "PING",
  "  ping  ",
  "ping extra",
  "quit",
  "test",
  "frobnicate",
  "",
  "x".repeat(256 + 44),
  "y".repeat(256),
  "ping",
];

export function fromCore(text: string): string {
  const i = text.indexOf(CORE_START);
  return i < 0 ? "" : text.slice(i);
}

export interface MockOptions {
  ramMiB?: number;
  gic?: 2 | 3;
  /** A raw blob instead of the synthetic machine's (for malformed-bootinfo tests). */
  bootinfo?: Uint8Array;
}

/** A core on the Node host (loopback network, manual clock) with its serial output captured. */
export async function bootMock(opts: MockOptions = {}): Promise<{ core: Core; output: () => string; guest: Guest }> {
  const guest = await Guest.start({ manualClock: true, ramMiB: opts.ramMiB, gic: opts.gic, bootinfo: opts.bootinfo });
  return { core: guest.core, output: () => guest.serialOutput, guest };
}

export async function mockTranscript(lines: string[], opts: MockOptions = {}): Promise<string> {
  const { core, output } = await bootMock(opts);
  for (const l of lines) core.serialInput(Buffer.from(l + "\r"));
  return fromCore(output());
}

export interface QemuOptions {
  gic?: 2 | 3;
  cpu?: string;
  memMiB?: number;
  timeoutMs?: number;
}

/** One QEMU guest on a pipe; always stop() it (the test's finally does, by pid). */
export class QemuSerial {
  private buf = "";
  private waiters: Array<() => void> = [];
  readonly proc: ChildProcess;
  exited: number | null = null;

  constructor(opts: QemuOptions = {}) {
    const args = ["--gic", String(opts.gic ?? 3), "--cpu", opts.cpu ?? "cortex-a57", "--mem", String(opts.memMiB ?? 1024)];
    this.proc = spawn(resolve(ROOT, "qemu/run.sh"), args, { stdio: ["pipe", "pipe", "pipe"] });
    const onData = (d: Buffer): void => {
      this.buf += d.toString("utf8");
      for (const w of this.waiters.splice(0)) w();
    };
    this.proc.stdout?.on("data", onData);
    this.proc.stderr?.on("data", onData);
    this.proc.on("exit", (code) => {
      this.exited = code ?? -1;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  get output(): string {
    return this.buf;
  }

  /** Resolves once `pred` holds on the output; rejects on exit or timeout (never a fixed sleep). */
  async waitFor(pred: (out: string) => boolean, timeoutMs = 20_000, what = "output"): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.buf)) {
      if (this.exited !== null) throw new Error(`QEMU exited (${this.exited}) while waiting for ${what}:\n${this.buf}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; output so far:\n${this.buf}`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }

  send(text: string): void {
    this.proc.stdin?.write(text);
  }

  async stop(): Promise<void> {
    if (this.exited !== null || this.proc.pid === undefined) return;
    const gone = new Promise<void>((res) => this.proc.once("exit", () => res()));
    process.kill(this.proc.pid, "SIGTERM");
    const t = setTimeout(() => this.proc.pid !== undefined && this.exited === null && process.kill(this.proc.pid, "SIGKILL"), 3000);
    await gone;
    clearTimeout(t);
  }
}

function countPrompts(s: string): number {
  return s.split(PROMPT).length - 1;
}

/** Boots the image, types each line after the previous prompt, and returns the core's output. */
export async function qemuTranscript(lines: string[], opts: QemuOptions = {}): Promise<string> {
  const q = new QemuSerial(opts);
  try {
    const t = opts.timeoutMs ?? 20_000;
    await q.waitFor((o) => o.includes(READY) && countPrompts(o) >= 1, t, "console ready");
    for (let i = 0; i < lines.length; i++) {
      q.send(lines[i] + "\r");
      await q.waitFor((o) => countPrompts(o) >= i + 2, t, `prompt after '${lines[i].slice(0, 20)}'`);
    }
    return fromCore(q.output);
  } finally {
    await q.stop();
  }
}
