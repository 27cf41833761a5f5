// Test-only wasm builds (regression core, ticket entry, trap core, kmesg entry), each made once per
// content of its inputs and shared by every test file that asks. The global setup builds them all
// before any worker starts (a worker blocked on a compile misses vitest's RPC deadlines); a file
// run on its own builds what it needs here, under a lock directory so parallel workers wait for
// one build instead of compiling the same thing side by side.

import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./serial.js";

const LOCK_STALE_MS = 10 * 60_000;

function files(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...files(p));
    else out.push(p);
  }
  return out.sort();
}

/** Everything under these repository paths (files or directories), digested with `extra`. */
function inputsKey(inputs: string[], extra: string): string {
  const h = createHash("sha256").update(extra);
  for (const rel of inputs) {
    const abs = join(ROOT, rel);
    for (const f of statSync(abs).isDirectory() ? files(abs) : [abs]) h.update(f.slice(ROOT.length)).update("\0").update(readFileSync(f)).update("\0");
  }
  return h.digest("hex").slice(0, 16);
}

function pause(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The output at out/test/<name>-<key>/<file> (built by `build(dir)` when missing). `inputs` are
 * the repository paths the build reads; `extra` anything else it depends on (its arguments).
 */
export function buildOnce(name: string, file: string, inputs: string[], extra: string, build: (dir: string) => void): string {
  const dir = join(ROOT, "out/test", `${name}-${inputsKey(inputs, extra)}`);
  const out = join(dir, file);
  const lock = dir + ".lock";
  mkdirSync(join(ROOT, "out/test"), { recursive: true });
  for (;;) {
    if (existsSync(out) && !existsSync(lock)) return out;
    try {
      mkdirSync(lock); // atomic: exactly one worker builds
    } catch {
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > LOCK_STALE_MS) rmSync(lock, { recursive: true, force: true });
      pause(250); // another worker is building: wait for its output
      continue;
    }
    try {
      if (!existsSync(out)) {
        mkdirSync(dir, { recursive: true });
        build(dir);
      }
    } finally {
      rmSync(lock, { recursive: true, force: true });
    }
    if (!existsSync(out)) throw new Error(`build of ${name} produced no ${file}`);
    return out;
  }
}
