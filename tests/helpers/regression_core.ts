// Builds cores (and images) from configs/root_task_regression.toml (policy rules on, eviction
// refuse, ...) in their own trees under out/test/, through build/variant.mjs, without touching
// the committed generated files. The core is built once and shared (build_once.ts).

import { join } from "node:path";
import { buildVariant } from "../../build/variant.mjs";
import { buildOnce } from "./build_once.js";
import { ROOT } from "./serial.js";

const MANIFEST = join(ROOT, "configs/root_task_regression.toml");
const INPUTS = ["assembly", "host/coh-rtc", "configs/root_task_regression.toml", "asconfig.json", "build/variant.mjs", "build/merge-data.mjs"];

export function buildRegressionCore(_tag = "shared"): string {
  return buildOnce("regression-core", "cohesix.wasm", INPUTS, "", (dir) => {
    buildVariant(MANIFEST, dir, true);
  });
}

export function buildRegressionImage(tag: string): { wasm: string; image: string } {
  return buildVariant(MANIFEST, join(ROOT, "out/test", `regression-${tag}`), false) as { wasm: string; image: string };
}
