// Runs once, in vitest's main process, before any worker starts: builds the test-only wasm
// modules several files share (build_once.ts), so no worker blocks its event loop on a compile
// (a blocked worker misses vitest's RPC deadlines on a loaded machine).

import { buildKmesgWasm } from "./kmesg_wasm.js";
import { buildRegressionCore } from "./regression_core.js";
import { buildTicketWasm } from "./ticket_wasm.js";
import { buildTrapCore } from "./trap.js";

export default function setup(): void {
  const started = Date.now();
  buildRegressionCore();
  buildTicketWasm();
  buildTrapCore();
  buildKmesgWasm();
  process.stderr.write(`[global-setup] test wasm modules ready (${Date.now() - started} ms)\n`);
}
