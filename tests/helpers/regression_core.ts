// Builds a second core from configs/root_task_regression.toml (policy rules on, eviction
// refuse, ...) in its own tree under out/test/, without touching the committed generated files.

import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, rmSync } from "node:fs";
import { join, relative } from "node:path";
import { compile } from "../../host/coh-rtc/cli.js";
import { ROOT } from "./serial.js";

export function buildRegressionCore(tag: string): string {
  const tree = join(ROOT, "out/test", `regression-${tag}`);
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(tree, { recursive: true });
  cpSync(join(ROOT, "assembly"), join(tree, "assembly"), { recursive: true });
  cpSync(join(ROOT, "configs"), join(tree, "configs"), { recursive: true });
  const r = compile(join(ROOT, "configs/root_task_regression.toml"), false, tree);
  if (!r.ok) throw new Error(`coh-rtc: ${JSON.stringify(r.errors)}`);
  const wasm = join(tree, "cohesix.wasm");
  const entry = relative(ROOT, join(tree, "assembly/index.ts"));
  const abort = relative(ROOT, join(tree, "assembly/platform/abi/platAbort"));
  const asc = spawnSync(
    join(ROOT, "node_modules/.bin/asc"),
    [entry, "-O3", "--runtime", "minimal", "--bindings", "raw", "--initialMemory", "4", "--maximumMemory", "256", "--use", `abort=${abort}`, "-o", wasm],
    { cwd: ROOT, encoding: "utf8" },
  );
  if (asc.status !== 0) throw new Error(`asc failed: ${asc.stderr}`);
  return wasm;
}
