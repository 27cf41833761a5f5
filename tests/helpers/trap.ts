// Builds the test-only trap core (tests/assembly/trap/trap_entry.ts) into out/test/trap.wasm.

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { buildOnce } from "./build_once.js";
import { ROOT } from "./serial.js";

const ARGS = ["tests/assembly/trap/trap_entry.ts", "-O3", "--runtime", "stub", "--bindings", "raw", "--maximumMemory", "256", "--use", "abort=tests/assembly/trap/trap_entry/platAbort"];

/** Built once and shared by every test file (build_once.ts); `tag` is kept for the callers. */
export function buildTrapCore(_tag = "shared"): string {
  return buildOnce("trap", "trap.wasm", ["assembly", "tests/assembly/trap"], ARGS.join(" "), (dir) => {
    const r = spawnSync(join(ROOT, "node_modules/.bin/asc"), [...ARGS, "-o", join(dir, "trap.wasm")], { cwd: ROOT, encoding: "utf8" });
    if (r.status !== 0) throw new Error(`asc failed: ${r.stderr}`);
  });
}

export function trapWasm(tag = "shared"): string {
  return buildTrapCore(tag);
}

/** The trap core linked into a bootable image (out/test/trap-image-<key>/cohesix.img), built once. */
export function buildTrapImage(): string {
  const wasm = buildTrapCore();
  return buildOnce("trap-image", "cohesix.img", ["assembly", "tests/assembly/trap", "seL4-shim/src", "seL4-shim/include", "seL4-shim/Makefile", "seL4-shim/linker.ld"], ARGS.join(" "), (dir) => {
    const sh = (cmd: string, args: string[]): string => {
      const r = spawnSync(cmd, args, { cwd: ROOT, encoding: "utf8" });
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed:\n${r.stdout}\n${r.stderr}`);
      return r.stdout;
    };
    sh("mkdir", ["-p", join(dir, "gen")]);
    sh("wasm2c", [wasm, "-n", "cohesix", "-o", join(dir, "gen/cohesix.c")]);
    const lwip = sh("bash", ["build/fetch-lwip.sh"]).trim();
    sh("make", ["-s", "-j2", "-C", "seL4-shim", `O=${dir}`, `CORE_C=${join(dir, "gen/cohesix.c")}`, `LWIP_DIR=${lwip}`]);
  });
}
