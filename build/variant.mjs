#!/usr/bin/env node
// Builds the core (and, unless --wasm, the bootable image) from another manifest, in a tree of
// its own, without touching the committed generated files or out/cohesix.*:
//
//   node build/variant.mjs configs/root_task_regression.toml [--out out/regression] [--wasm]
//
// Outputs: <out>/cohesix.wasm (Node host: `npm run mock -- --wasm <out>/cohesix.wasm`) and
// <out>/cohesix.img (`qemu/run.sh --image <out>/cohesix.img`, with COH_MANIFEST_ENV=<out>/manifest.env
// when the variant's [network] differs). Tests build the regression manifest's core this way.

import { spawnSync } from "node:child_process";
import { copyFileSync, cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename, dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { mergeData } from "./merge-data.mjs";
import { sizeReport } from "./sizes.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

function run(what, cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`variant: ${what} failed (${cmd} exited ${r.status}):\n${r.stdout ?? ""}${r.stderr ?? ""}`);
  return r.stdout;
}

/**
 * asc's flags for the tree's entry, taken from asconfig.json (options + the release target) so a
 * variant is compiled exactly as `npm run build` compiles the default core; only the entry, the
 * outputs and the `use` aliases (rebased into the tree) differ. (`--config` cannot be used: asc
 * would compile the config's own entry and write its text file too.)
 */
function ascArgs(tree, wasm) {
  const cfg = JSON.parse(readFileSync(join(root, "asconfig.json"), "utf8"));
  const opts = { ...cfg.options, ...cfg.targets.release };
  const args = [relative(root, join(tree, cfg.entries[0]))];
  for (const [k, v] of Object.entries(opts)) {
    if (k === "outFile" || k === "textFile") continue;
    if (k === "use") for (const u of v) args.push("--use", u.replace(/=assembly\//, `=${relative(root, join(tree, "assembly"))}/`));
    else if (v === true) args.push(`--${k}`);
    else if (v !== false) args.push(`--${k}`, String(v));
  }
  return [...args, "--outFile", wasm];
}

/** Returns { wasm, image? } under `outDir`. Throws with the failing stage's output. */
export function buildVariant(manifest, outDir, wasmOnly = false) {
  const out = resolve(outDir);
  const tree = join(out, "tree");
  rmSync(tree, { recursive: true, force: true });
  mkdirSync(tree, { recursive: true });
  // The sources and the generated files live together, so the tree is a copy of both.
  cpSync(join(root, "assembly"), join(tree, "assembly"), { recursive: true });
  cpSync(join(root, "configs"), join(tree, "configs"), { recursive: true });
  mkdirSync(join(tree, "seL4-shim/generated"), { recursive: true });
  run("manifest (coh-rtc)", process.execPath, [join(root, "node_modules/tsx/dist/cli.mjs"), join(root, "host/coh-rtc/cli.ts"), resolve(manifest), "--out-root", tree]);
  copyFileSync(join(tree, "qemu/manifest.env"), join(out, "manifest.env"));

  const wasm = join(out, "cohesix.wasm");
  run("core (asc)", join(root, "node_modules/.bin/asc"), ascArgs(tree, wasm));
  writeFileSync(wasm, mergeData(readFileSync(wasm)).wasm);
  if (wasmOnly) return { wasm };

  const gen = join(out, "gen");
  mkdirSync(gen, { recursive: true });
  run("wasm2c", "wasm2c", [wasm, "-n", "cohesix", "-o", join(gen, "cohesix.c")]);
  const lwip = run("lwip", "bash", [join(root, "build/fetch-lwip.sh")]).trim();
  run("shim (make)", "make", [
    "-s", `-j${Math.max(1, availableParallelism())}`, "-C", "seL4-shim", `O=${out}`, `CORE_C=${join(gen, "cohesix.c")}`, `LWIP_DIR=${lwip}`,
    `GEN_DIR=${join(tree, "seL4-shim/generated")}`,
  ]);
  const image = join(out, "cohesix.img");
  const sizes = sizeReport(join(tree, "out/manifests/root_task_resolved.json"), wasm, image);
  if (sizes.over) throw new Error(`variant: ${sizes.line}`);
  return { wasm, image, sizes: sizes.line };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const manifest = args.find((a) => !a.startsWith("--") && args[args.indexOf(a) - 1] !== "--out");
  if (!manifest) {
    process.stderr.write("usage: node build/variant.mjs MANIFEST.toml [--out DIR] [--wasm]\n");
    process.exit(2);
  }
  const o = args.indexOf("--out");
  const outDir = o >= 0 ? args[o + 1] : join(root, "out", basename(manifest, ".toml").replace(/^root_task_?/, "") || "variant");
  try {
    const r = buildVariant(manifest, outDir, args.includes("--wasm"));
    console.log(`[variant] ${relative(root, r.wasm)}${r.image ? `, ${relative(root, r.image)}` : ""}${r.sizes ? ` (${r.sizes})` : ""}`);
  } catch (e) {
    process.stderr.write(`${e.message}\n`);
    process.exit(1);
  }
}
