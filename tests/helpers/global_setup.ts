// Runs once, in vitest's main process, before any worker starts. In a full run (`npm test`, no
// file filter) it builds the test-only wasm modules and images several files share
// (build_once.ts), so no worker blocks its event loop on a compile or a link (a blocked worker
// misses vitest's RPC deadlines on a loaded machine). A filtered run builds nothing here: each
// file builds what it needs, once, when it asks.

import { buildKmesgWasm } from "./kmesg_wasm.js";
import { buildRegressionCore, buildRegressionImage } from "./regression_core.js";
import { buildTicketWasm } from "./ticket_wasm.js";
import { buildTrapCore, buildTrapImage } from "./trap.js";

function fullRun(): boolean {
  return process.argv.slice(2).filter((a) => !a.startsWith("-") && a !== "run" && !a.includes("vitest")).length === 0;
}

export default function setup(): void {
  if (!fullRun()) return;
  const started = Date.now();
  buildRegressionCore();
  buildTicketWasm();
  buildTrapCore();
  buildKmesgWasm();
  buildRegressionImage();
  buildTrapImage();
  process.stderr.write(`[global-setup] test wasm modules and images ready (${Date.now() - started} ms)\n`);
}
