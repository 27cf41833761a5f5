// Drives the serial root console on either host and returns what it printed, so the same
// input can be compared byte for byte between the Node host and the QEMU-booted image.

import { QemuGuest, type QemuOptions, ROOT, READY } from "../../host/runtime/qemu.js";
import type { Core } from "../../host/runtime/abi.js";
import { Guest } from "../../host/runtime/guest.js";

export { ROOT, READY };
export const PROMPT = "cohesix> ";
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

function countPrompts(s: string): number {
  return s.split(PROMPT).length - 1;
}

/** Boots the image, types each line after the previous prompt, and returns the core's output. */
export async function qemuTranscript(lines: string[], opts: QemuOptions & { timeoutMs?: number } = {}): Promise<string> {
  const q = await QemuGuest.start(opts);
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
