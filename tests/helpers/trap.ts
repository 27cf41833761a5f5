// Builds the test-only trap core (tests/assembly/trap/trap_entry.ts) into out/test/trap.wasm.

import { spawnSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./serial.js";

/** Each test file builds its own copy (`tag`), so files running in parallel never collide. */
export function trapWasm(tag: string): string {
  return join(ROOT, `out/test/trap-${tag}.wasm`);
}

export function buildTrapCore(tag: string): string {
  const TRAP_WASM = trapWasm(tag);
  mkdirSync(join(ROOT, "out/test"), { recursive: true });
  const r = spawnSync(
    join(ROOT, "node_modules/.bin/asc"),
    ["tests/assembly/trap/trap_entry.ts", "-O3", "--runtime", "stub", "--bindings", "raw", "--maximumMemory", "256", "--use", "abort=tests/assembly/trap/trap_entry/platAbort", "-o", TRAP_WASM],
    { cwd: ROOT, encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`asc failed: ${r.stderr}`);
  return TRAP_WASM;
}

