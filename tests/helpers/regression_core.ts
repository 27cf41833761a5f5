// Builds cores (and images) from configs/root_task_regression.toml (policy rules on, eviction
// refuse, ...) in their own trees under out/test/, through build/variant.mjs, without touching
// the committed generated files.

import { join } from "node:path";
import { buildVariant } from "../../build/variant.mjs";
import { ROOT } from "./serial.js";

const MANIFEST = join(ROOT, "configs/root_task_regression.toml");

export function buildRegressionCore(tag: string): string {
  return buildVariant(MANIFEST, join(ROOT, "out/test", `regression-${tag}`), true).wasm;
}

export function buildRegressionImage(tag: string): { wasm: string; image: string } {
  return buildVariant(MANIFEST, join(ROOT, "out/test", `regression-${tag}`), false) as { wasm: string; image: string };
}
