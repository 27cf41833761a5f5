// End to end: the real image booted in QEMU gives, byte for byte, the serial transcript the Node
// host gives for the same input. Only the shim's own `[shim]` lines (before the core's first line)
// are host-specific; see docs/PLATFORM_ABI.md.

import { describe, expect, it } from "vitest";
import { QemuGuest } from "../host/runtime/qemu.js";
import { BRINGUP_LINES, mockTranscript, qemuTranscript } from "./helpers/serial.js";

describe("QEMU serial console matches the Node host", () => {
  it("bring-up script on virt, GICv3, cortex-a57, 1 GiB", async () => {
    const [qemu, mock] = await Promise.all([qemuTranscript(BRINGUP_LINES), mockTranscript(BRINGUP_LINES)]);
    expect(mock).toContain("pong");
    expect(qemu).toBe(mock);
  });

  it("bring-up script on virt, GICv2, cortex-a72, 512 MiB", async () => {
    const opts = { gic: 2 as const, cpu: "cortex-a72", memMiB: 512 };
    const [qemu, mock] = await Promise.all([qemuTranscript(BRINGUP_LINES, opts), mockTranscript(BRINGUP_LINES, { gic: 2, ramMiB: 512 })]);
    expect(qemu).toContain("gic=v2");
    expect(qemu).toContain("[mem] ram_bytes=" + String(448 * 1024 * 1024) + " ");
    expect(qemu).toBe(mock);
  });

  it("the shim reports itself honestly before the core starts", async () => {
    const q = await QemuGuest.start();
    try {
      await q.waitReady();
      const shim = q.output.slice(0, q.output.indexOf("[cohesix:root-task]"));
      expect(shim).toMatch(/\[shim\].*not seL4/);
      expect(shim).toMatch(/gic=v3/);
    } finally {
      await q.stop();
    }
  });
});
