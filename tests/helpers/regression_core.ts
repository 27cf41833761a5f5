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

/** The regression manifest's core and bootable image, built once (build_once.ts). */
export function buildRegressionImage(_tag = "shared"): { wasm: string; image: string } {
  const image = buildOnce("regression-image", "cohesix.img", [...INPUTS, "seL4-shim/src", "seL4-shim/include", "seL4-shim/Makefile", "seL4-shim/linker.ld"], "", (dir) => {
    buildVariant(MANIFEST, dir, false);
  });
  return { wasm: join(image, "../cohesix.wasm"), image };
}
