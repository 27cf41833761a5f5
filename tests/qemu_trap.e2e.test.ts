// The shim reports a trapping core on serial in the same words as the Node host and halts it.
// Builds the test-only trap core into its own image (out/test/trap-img/), boots it, faults it.

import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { QemuGuest } from "../host/runtime/qemu.js";
import { ROOT } from "./helpers/serial.js";
import { buildTrapCore } from "./helpers/trap.js";

const OUT = join(ROOT, "out/test/trap-img");

function sh(cmd: string, args: string[]): void {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
}

describe("core faults on the bare-metal shim", () => {
  beforeAll(() => {
    const wasm = buildTrapCore("qemu");
    mkdirSync(join(OUT, "gen"), { recursive: true });
    sh("wasm2c", [wasm, "-n", "cohesix", "-o", join(OUT, "gen/cohesix.c")]);
    const lwip = spawnSync("bash", ["build/fetch-lwip.sh"], { cwd: ROOT, encoding: "utf8" }).stdout.trim();
    sh("make", ["-s", "-j2", "-C", "seL4-shim", `O=${OUT}`, `CORE_C=${join(OUT, "gen/cohesix.c")}`, `LWIP_DIR=${lwip}`]);
  }, 180_000);

  for (const [key, line] of [
    ["o", "[trap] wasm trap=oob export=coh_serial_rx"],
    ["u", "[trap] wasm trap=unreachable export=coh_serial_rx"],
    ["a", "[trap] abort line="],
  ]) {
    it(`'${key}' -> ${line}`, async () => {
      const q = await QemuGuest.start({ noNet: true, image: join(OUT, "cohesix.img") });
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
