// Builds the browser app (Vite) when its output is missing or older than its sources, and the
// core module when --mock needs it, so `npx swarmui --mock --open` works on a fresh clone.

import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { ROOT } from "./config.js";
import { UI_DIR } from "./server.js";

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newest(p) : statSync(p).mtimeMs);
  }
  return t;
}

export function uiStale(): boolean {
  const out = join(UI_DIR, "index.html");
  if (!existsSync(out)) return true;
  const src = Math.max(newest(join(ROOT, "host/swarmui/ui")), newest(join(ROOT, "host/swarmui/shared")));
  return src > statSync(out).mtimeMs;
}

// A child process, awaited (never spawnSync: a test worker blocked for a 20 s build misses its
// runner's RPC deadlines).
function run(args: string[]): Promise<number | null> {
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "inherit", "inherit"] });
    p.on("error", rej);
    p.on("close", (code) => res(code));
  });
}

export async function ensureUi(log: (l: string) => void, needCore: boolean): Promise<void> {
  if (uiStale()) {
    log("building the UI (vite) …");
    if ((await run([join(ROOT, "node_modules/vite/bin/vite.js"), "build", "--config", join(ROOT, "host/swarmui/ui/vite.config.ts"), "--logLevel", "warn"])) !== 0) throw new Error("the UI build failed (see above)");
  }
  if (needCore && !existsSync(join(ROOT, "out/cohesix.wasm"))) {
    log("building the core (out/cohesix.wasm) for --mock …");
    if ((await run([join(ROOT, "build/build.mjs"), "--wasm"])) !== 0) throw new Error("the core build failed (see above)");
  }
}
