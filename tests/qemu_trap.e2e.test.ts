// The shim reports a trapping core on serial in the same words as the Node host and halts it.
// Boots the test-only trap core in its own image (helpers/trap.ts buildTrapImage) and faults it.

import { beforeAll, describe, expect, it } from "vitest";
import { QemuGuest } from "../host/runtime/qemu.js";
import { buildTrapImage } from "./helpers/trap.js";

let image = "";

describe("core faults on the bare-metal shim", () => {
  beforeAll(() => {
    image = buildTrapImage(); // built by the global setup in a full run
  }, 180_000);

  for (const [key, line] of [
    ["o", "[trap] wasm trap=oob export=coh_serial_rx"],
    ["u", "[trap] wasm trap=unreachable export=coh_serial_rx"],
    ["a", "[trap] abort line="],
  ]) {
    it(`'${key}' -> ${line}`, async () => {
      const q = await QemuGuest.start({ noNet: true, image });
      try {
        await q.waitReady();
        q.send("hi");
        await q.waitFor((o) => o.includes("Cohesix console ready\r\nhi"), 10_000, "echo");
        q.send(key);
        await q.waitFor((o) => o.includes("[trap]"), 10_000, "trap line");
        await q.waitFor((o) => /\[trap\][^\n]*\n/.test(o), 10_000, "whole trap line");
        expect(q.output).toContain(line);
        if (key === "a") expect(q.output).toMatch(/\[trap\] abort line=\d+ col=\d+ msg=boom\r\n/);
      } finally {
        await q.stop();
      }
    });
  }
});
