// Builds the test-only kmesg entry (tests/assembly/kmesg_entry.ts), once (build_once.ts).

import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { buildOnce } from "./build_once.js";
import { ROOT } from "./serial.js";

const ARGS = ["tests/assembly/kmesg_entry.ts", "-O3", "--runtime", "incremental", "--bindings", "raw"];

export function buildKmesgWasm(): string {
  return buildOnce("kmesg", "kmesg.wasm", ["assembly", "tests/assembly/kmesg_entry.ts"], ARGS.join(" "), (dir) => {
    const asc = spawnSync(join(ROOT, "node_modules/.bin/asc"), [...ARGS, "-o", join(dir, "kmesg.wasm")], { cwd: ROOT, encoding: "utf8" });
    if (asc.status !== 0) throw new Error(`asc failed: ${asc.stderr}`);
  });
}
