// The core's memory stays bounded under sustained load: garbage is collected at quiet points, so
// after a warm-up the linear memory stops growing (wasm memory can never shrink, so growth would
// show here), and stays well inside the 16 MiB maximum.

import { describe, expect, it } from "vitest";
import { Guest } from "../host/runtime/guest.js";
import { queen } from "./helpers/console.js";

const pages = (line: string | undefined): number => Number(/pages=(\d+)/.exec(line ?? "")?.[1]);

describe("memory under load", () => {
  it("1,024 heartbeat workers, heartbeats and a PING flood: memory plateaus", async () => {
    const g = await Guest.start({ manualClock: true });
    try {
      const q = await queen(g);
      for (let i = 0; i < 1024; i++) expect((await q.request('ECHO /queen/ctl {"spawn":"heartbeat","ticks":0}')).ok).toBe(true);
      const round = async (): Promise<number> => {
        for (let t = 0; t < 20; t++) g.advance(1000); // 20 heartbeats per worker: rings wrap
        for (let i = 0; i < 2000; i++) await q.request("PING");
        return pages((await q.request("CAT /proc/memory")).lines[0]);
      };
      // Warm-up: the allocator grows to its working size (it doubles each time), live data plus
      // the collector's headroom (GC_HEADROOM_BYTES, assembly/platform/gc.ts).
      await round();
      await round();
      const warm = await round();
      const later = [await round(), await round(), await round()];
      for (const p of later) expect(p).toBe(warm);
      expect(warm).toBeLessThanOrEqual(192); // 12 MiB of the 16 MiB maximum: 1,024 workers' rings plus headroom
    } finally {
      await g.stop();
    }
  }, 120_000);
});
