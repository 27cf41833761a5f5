// Issue 10 on the QEMU image: the same suite as tests/hostile.test.ts (tests/helpers/hostile_suite.ts),
// over real TCP through slirp, a freshly booted guest per finding.

import { describe } from "vitest";
import { QemuGuest } from "../host/runtime/qemu.js";
import { qemuTarget } from "./helpers/hostile.js";
import { hostileSuite } from "./helpers/hostile_suite.js";

describe("hostile and sustained traffic (QEMU)", () => {
  hostileSuite(async () => {
    // COH_HOSTILE_IMAGE=<cohesix.img> runs the suite against another image (e.g. the one before the fixes).
    const q = await QemuGuest.start({ image: process.env.COH_HOSTILE_IMAGE || undefined });
    try {
      await q.waitReady();
    } catch (e) {
      await q.stop();
      throw e;
    }
    return { target: qemuTarget(q), stop: () => q.stop() };
  });
}, 600_000);
