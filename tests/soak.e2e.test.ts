// The CI soak (bench/soak): 4 clients (queen console, queen 9P, worker 9P, queen console) for 30 s
// on the mock and 30 s on QEMU, 60 s in all: no record lost, duplicated or reordered, no client
// failure, memory inside the cap. `npm run bench:soak -- --duration-s 3600` is the hour-long run
// (figures in docs/TESTING.md).

import { describe, expect, it } from "vitest";
import { loopbackPipe } from "../host/sdk/connect.js";
import { tcpPipe } from "../host/sdk/pipe.js";
import { MANIFEST } from "../host/generated/manifest.js";
import { Guest } from "../host/runtime/guest.js";
import { QemuGuest } from "../host/runtime/qemu.js";
import { soak, type SoakReport } from "../bench/soak/soak.js";

const SECONDS = Number(process.env.COH_SOAK_S ?? 30);

function check(r: SoakReport): void {
  expect({ lost: r.records_lost, duplicated: r.records_duplicated, reordered: r.records_reordered, errors: r.errors }).toEqual({ lost: 0, duplicated: 0, reordered: 0, errors: [] });
  expect(r.records_acked).toBeGreaterThan(0);
  expect(r.memory_high_water_pages).toBeGreaterThan(0);
  expect(r.memory_high_water_pages).toBeLessThan(256);
}

describe("soak (bench/soak)", () => {
  it(`mock: 4 clients for ${SECONDS} s`, async () => {
    const g = await Guest.start();
    try {
      check(await soak({ connect: async () => loopbackPipe(g.loopback.connect(MANIFEST.network.console_port)!), durationMs: SECONDS * 1000, clients: 4, seed: 7 }));
      expect(g.core.stopped).toBeNull();
    } finally {
      await g.stop();
    }
  }, SECONDS * 1000 + 120_000);

  it(`QEMU: 4 clients for ${SECONDS} s`, async () => {
    const q = await QemuGuest.start();
    try {
      await q.waitReady();
      check(await soak({ connect: () => tcpPipe("127.0.0.1", q.ports.tcp), durationMs: SECONDS * 1000, clients: 4, seed: 7 }));
      expect(q.output).not.toMatch(/\[trap\]/);
    } finally {
      await q.stop();
    }
  }, SECONDS * 1000 + 180_000);
});
