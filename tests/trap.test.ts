// A faulting core is stopped for good and the fault is reported on serial, on the Node host
// (here) and on the shim (tests/qemu_trap.e2e.test.ts), in the same words.

import { beforeAll, describe, expect, it } from "vitest";
import { Core, CoreStoppedError } from "../host/runtime/abi.js";
import { encodeBootInfo, virtMachine } from "../host/runtime/bootinfo.js";
import { buildTrapCore, trapWasm } from "./helpers/trap.js";

const TRAP_WASM = trapWasm("node");

async function boot(): Promise<{ core: Core; out: () => string }> {
  const chunks: Buffer[] = [];
  const core = await Core.load({ serialWrite: (b) => chunks.push(Buffer.from(b)), bootinfo: encodeBootInfo(virtMachine()) }, TRAP_WASM);
  core.init();
  return { core, out: () => Buffer.concat(chunks).toString() };
}

describe("core faults on the Node host", () => {
  beforeAll(() => void buildTrapCore("node"));

  for (const [key, line] of [
    ["o", "[trap] wasm trap=oob export=coh_serial_rx"],
    ["u", "[trap] wasm trap=unreachable export=coh_serial_rx"],
  ]) {
    it(`'${key}' -> ${line}, and the core is never called again`, async () => {
      const { core, out } = await boot();
      core.serialInput(Buffer.from("hi"));
      expect(() => core.serialInput(Buffer.from(key))).toThrow(CoreStoppedError);
      expect(out()).toBe("[cohesix:root-task] trap core\r\nCohesix console ready\r\nhi" + line + "\r\n");
      expect(() => core.serialInput(Buffer.from("x"))).toThrow(CoreStoppedError);
      expect(() => core.tick(1n)).toThrow(CoreStoppedError);
      expect(out().endsWith(line + "\r\n")).toBe(true);
    });
  }

  it("an AssemblyScript abort is reported with its message and position", async () => {
    const { core, out } = await boot();
    expect(() => core.serialInput(Buffer.from("a"))).toThrow(CoreStoppedError);
    expect(out()).toMatch(/\[trap\] abort line=\d+ col=\d+ msg=boom\r\n$/);
    expect(core.stopped?.kind).toBe("abort");
  });
});
