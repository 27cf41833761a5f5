// CBI1 bootinfo: the Node host's synthesis, and the core's refusal of malformed blobs.

import { describe, expect, it } from "vitest";
import { encodeBootInfo, KERNEL_WINDOW, MAX_UNTYPED, synthesizeUntyped, virtMachine } from "../host/runtime/bootinfo.js";
import { bootMock, mockTranscript } from "./helpers/serial.js";

describe("untyped synthesis", () => {
  for (const [ram, gic] of [
    [1024, 3],
    [1024, 2],
    [512, 3],
    [3000, 3],
  ] as const) {
    it(`virt ${ram} MiB gic v${gic}: aligned, sorted, disjoint, and avoids kernel memory`, () => {
      const m = virtMachine(ram, gic);
      const ut = synthesizeUntyped(m);
      expect(ut.length).toBeGreaterThan(0);
      expect(ut.length).toBeLessThanOrEqual(MAX_UNTYPED);
      let prevEnd = -1n;
      for (const u of ut) {
        const size = 1n << BigInt(u.sizeBits);
        expect(u.sizeBits).toBeGreaterThanOrEqual(4);
        expect(u.sizeBits).toBeLessThanOrEqual(47);
        expect(u.paddr % size).toBe(0n); // naturally aligned
        expect(u.paddr).toBeGreaterThanOrEqual(prevEnd); // ascending and disjoint
        prevEnd = u.paddr + size;
        const overlaps = (b: bigint, s: bigint): boolean => u.paddr < b + s && b < u.paddr + size;
        for (const d of [...m.kernelDevices, m.uart]) expect(overlaps(d.base, d.size)).toBe(false);
        expect(overlaps(m.ram[0].base, KERNEL_WINDOW)).toBe(false);
        expect(u.isDevice).toBe(u.paddr < m.ram[0].base);
      }
      const ramBytes = ut.filter((u) => !u.isDevice).reduce((a, u) => a + (1n << BigInt(u.sizeBits)), 0n);
      expect(ramBytes).toBe((BigInt(ram) << 20n) - KERNEL_WINDOW);
    });
  }
});

describe("the core refuses malformed bootinfo", () => {
  const good = encodeBootInfo(virtMachine());
  const mutate = (f: (v: DataView, b: Uint8Array) => void, len = good.length): Uint8Array => {
    const b = new Uint8Array(len);
    b.set(good.subarray(0, Math.min(len, good.length)));
    f(new DataView(b.buffer), b);
    return b;
  };
  const cases: Array<[string, Uint8Array]> = [
    ["short-header", good.subarray(0, 63)],
    ["bad-magic", mutate((v) => v.setUint32(0, 0xdeadbeef, true))],
    ["bad-version", mutate((v) => v.setUint16(4, 2, true))],
    ["bad-length", mutate((v) => v.setUint32(8, good.length + 16, true))],
    ["bad-length", mutate(() => {}, good.length - 16)],
    ["too-many-untyped", mutate((v) => v.setUint16(14, 231, true))],
    ["bad-node-bits", mutate((v) => v.setUint8(12, 40))],
    ["bad-empty-window", mutate((v) => v.setUint32(20, 0x2000, true))],
    ["bad-untyped-size", mutate((v) => v.setUint8(64 + 8, 48))],
    ["oversized", new Uint8Array(64 + 231 * 16)],
  ];
  for (const [reason, blob] of cases) {
    it(`${reason} (${blob.length} bytes): boot line says so, bi/caps/mem answer ERR, ping still works`, async () => {
      const { core, output } = await bootMock({ bootinfo: blob });
      expect(output()).toContain(`[cohesix:root-task] bootinfo unavailable reason=${reason}\r\n`);
      expect(output()).toContain("Cohesix console ready");
      core.serialInput(Buffer.from("bi\rcaps\rmem\rping\r"));
      const out = output();
      expect(out).toContain("ERR BOOTINFO reason=policy detail=unavailable");
      expect(out).toContain("ERR CAPS reason=policy detail=unavailable");
      expect(out).toContain("ERR MEM reason=policy detail=unavailable");
      expect(out).toContain("pong");
    });
  }

  it("a valid blob from a 2 GiB GICv2 machine is reported as such", async () => {
    const t = await mockTranscript(["bi", "mem"], { ramMiB: 2048, gic: 2 });
    expect(t).toContain("gic=v2");
    expect(t).toContain("[mem] ram_bytes=" + String((2048 - 64) * 1024 * 1024) + " ");
  });
});
