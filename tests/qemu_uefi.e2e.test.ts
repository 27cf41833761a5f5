// End to end under UEFI: out/cohesix-esp.img booted by AAVMF (EDK2) from its FAT32 ESP as
// BOOTAA64.EFI, two boots in all:
//   1. DTB, GICv3, NIC, ramfb: the framebuffer mirror (screendump vs the font), the serial
//      bring-up transcript, and a .coh script over the forwarded TCP console;
//   2. ACPI tables only (acpi=on), GICv2, no NIC: the serial bring-up transcript.
// The transcripts equal the Node host's byte for byte when the Node host is given the same RAM
// banks (the shim reports them after keeping the firmware's ranges out), and differ from the
// -kernel boot's only in the bootinfo lines that count that RAM (docs/UEFI.md, "Transcripts").

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeBootInfo, virtMachine } from "../host/runtime/bootinfo.js";
import { Guest } from "../host/runtime/guest.js";
import { READY } from "../host/runtime/qemu.js";
import { loopbackConnector, runCohFile, tcpConnector } from "./helpers/cohsh.js";
import { fgAt, loadFont, textGrid } from "./helpers/fbtext.js";
import { BRINGUP_LINES, fromCore, mockTranscript } from "./helpers/serial.js";
import { countPrompts, decodePpm, monitorCommand, reportedRam, startUefi, typeLines, type UefiGuest } from "./helpers/uefi.js";

const GIB = 1n << 30n;
/** Core lines that count RAM, so they differ from a -kernel boot by what the firmware keeps. */
const RAM_LINES = [/^\[cohesix:root-task\] bootinfo /, /^\[bi\] /, /^\[mem\] /];
const SCALE = 2; // configs/root_task.toml [uefi] fb_glyph_scale

async function uefiReady(g: UefiGuest): Promise<void> {
  await g.q.waitFor((o) => o.includes(READY) && countPrompts(o) >= 1, 60_000, "console ready under UEFI");
}

function expectOnlyRamLinesDiffer(uefi: string, kernel: string): void {
  const a = uefi.split("\n");
  const b = kernel.split("\n");
  expect(a.length).toBe(b.length);
  const differing = a.filter((l, i) => l !== b[i]);
  expect(differing.length).toBeGreaterThan(0); // the firmware does keep RAM on AAVMF
  for (const l of differing) expect(RAM_LINES.some((re) => re.test(l)), l).toBe(true);
}

describe("UEFI boot from the ESP (AAVMF), DTB, GICv3, NIC, framebuffer", () => {
  let g: UefiGuest;
  let atReady = "";
  beforeAll(async () => {
    g = await startUefi();
    await uefiReady(g);
    atReady = g.q.output;
  }, 90_000);
  afterAll(async () => {
    await g?.stop();
  });

  it("enters through the EFI stage and keeps the firmware's RAM out of the bootinfo", () => {
    expect(atReady).toMatch(/\[shim\] efi: dtb=0x[0-9a-f]+ image=0x40200000 gop=800x600@/);
    const m = /\[shim\] efi: dtb memmap=(\d+) ebs_tries=(\d+) reserved=(\d+) carved=(0x[0-9a-f]+)/.exec(atReady);
    expect(m).not.toBeNull();
    const [, , tries, reserved, carved] = m as RegExpExecArray;
    expect(Number(tries)).toBeGreaterThanOrEqual(1);
    expect(Number(reserved)).toBeGreaterThan(0);
    const ram = reportedRam(atReady);
    expect(ram.reduce((s, r) => s + r.size, 0n) + BigInt(carved)).toBe(GIB);
    expect(atReady).toContain("virtio-net ready:");
  });

  it("mirrors the console onto the framebuffer: the screendump shows the serial text in the built-in font", async () => {
    const ppmPath = join(g.monitor, "..", "screen.ppm");
    await monitorCommand(g.monitor, `screendump ${ppmPath}`);
    const ppm = decodePpm(readFileSync(ppmPath));
    const geo = /text mirror (\d+)x(\d+) cells of (\d+)x(\d+) px/.exec(atReady);
    expect(geo).not.toBeNull();
    const [cols, rows, cw, ch] = (geo as RegExpExecArray).slice(1).map(Number);
    expect([ppm.width, ppm.height, cw, ch]).toEqual([800, 600, 6 * SCALE, 9 * SCALE]);
    // everything the UART got since the mirror started (it starts right before the first kprintf line)
    const mirrored = Buffer.from(atReady.slice(atReady.indexOf("[shim] cohesix seL4-shim")), "utf8");
    const grid = textGrid(mirrored, cols, rows);
    expect(String.fromCharCode(...grid[0]).trimEnd()).toMatch(/^\[shim\] cohesix seL4-shim \(not seL4\) el=1->1 gic=v3/);
    const font = loadFont();
    let bad = 0;
    let fgPixels = 0;
    for (let y = 0; y < rows * ch; y++) {
      for (let x = 0; x < cols * cw; x++) {
        const o = (y * ppm.width + x) * 3;
        const want = fgAt(grid, font, SCALE, x, y) ? 0xd0 : 0x00;
        if (want) fgPixels++;
        if (ppm.rgb[o] !== want || ppm.rgb[o + 1] !== want || ppm.rgb[o + 2] !== want) bad++;
      }
    }
    expect(fgPixels).toBeGreaterThan(10_000);
    expect(bad).toBe(0);
  });

  it("serial bring-up transcript: the Node host's with the same RAM, the -kernel boot's but for the RAM lines", async () => {
    const before = g.q.output.length;
    await typeLines(g.q, BRINGUP_LINES);
    // the ready banner and first prompt, then what the lines produced: compare like qemuTranscript does
    const uefi = fromCore(atReady) + g.q.output.slice(before);
    const ram = reportedRam(atReady);
    const sameMachine = await mockTranscript(BRINGUP_LINES, { bootinfo: encodeBootInfo({ ...virtMachine(1024, 3), ram }) });
    expect(uefi).toBe(sameMachine);
    expectOnlyRamLinesDiffer(uefi, await mockTranscript(BRINGUP_LINES));
  });

  it("TCP console over the forwarded port: a .coh script's transcript equals the Node host's", async () => {
    // the same machine on the Node host: /log/queen.log replays the boot log, bootinfo line included
    const mock = await Guest.start({ bootinfo: encodeBootInfo({ ...virtMachine(1024, 3), ram: reportedRam(atReady) }) });
    try {
      const viaMock = await runCohFile("tests/scripts/tcp_basic.coh", loopbackConnector(mock));
      const viaUefi = await runCohFile("tests/scripts/tcp_basic.coh", tcpConnector(g.q.ports.tcp));
      expect(viaUefi.result).toMatchObject({ ok: true });
      expect(viaUefi.transcript).toBe(viaMock.transcript);
    } finally {
      await mock.stop();
    }
  });
});

describe("UEFI boot with ACPI tables only (acpi=on), GICv2, no NIC", () => {
  it("SPCR/MADT/GTDT/FADT + memory map give the same console: bring-up transcript", async () => {
    const g = await startUefi({ acpi: true, gic: 2, noNet: true });
    try {
      await uefiReady(g);
      const atReady = g.q.output;
      expect(atReady).toMatch(/\[shim\] efi: acpi image=0x40200000/);
      expect(atReady).toContain("[shim] cohesix seL4-shim (not seL4) el=1->1 gic=v2 uart=0x9000000");
      expect(atReady).toContain("dtb=0x0 ");
      const before = g.q.output.length;
      await typeLines(g.q, BRINGUP_LINES);
      const uefi = fromCore(atReady) + g.q.output.slice(before);
      const ram = reportedRam(atReady);
      expect(ram.reduce((s, r) => s + r.size, 0n)).toBeLessThan(GIB);
      const sameMachine = await mockTranscript(BRINGUP_LINES, { gic: 2, bootinfo: encodeBootInfo({ ...virtMachine(1024, 2), ram }) });
      expect(uefi).toBe(sameMachine);
      expectOnlyRamLinesDiffer(uefi, await mockTranscript(BRINGUP_LINES, { gic: 2 }));
    } finally {
      await g.stop();
    }
  }, 90_000);
});
