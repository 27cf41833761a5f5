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

