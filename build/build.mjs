#!/usr/bin/env node
// npm run build: AssemblyScript core -> out/cohesix.wasm -> wasm2c C -> seL4-shim link ->
// out/cohesix.elf + out/cohesix.img. Each stage is skipped when its outputs are newer than its
// inputs, prints what it does, and stops with the name of any missing tool.
//
//   node build/build.mjs            everything
//   node build/build.mjs --wasm     only the core module (enough for the Node host and unit tests)

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { mergeData } from "./merge-data.mjs";
import { sizeReport } from "./sizes.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "out");
const gen = join(out, "gen");
const wasmOnly = process.argv.includes("--wasm");

const TOOLS = {
  asc: { path: join(root, "node_modules/.bin/asc"), fix: "run `npm ci`" },
  wasm2c: { cmd: "wasm2c", fix: "apt-get install wabt" },
  "aarch64-linux-gnu-gcc": { cmd: "aarch64-linux-gnu-gcc", fix: "apt-get install gcc-aarch64-linux-gnu" },
  "aarch64-linux-gnu-objcopy": { cmd: "aarch64-linux-gnu-objcopy", fix: "apt-get install binutils-aarch64-linux-gnu" },
  picolibc: { path: "/usr/lib/picolibc/aarch64-linux-gnu/picolibc.specs", fix: "apt-get install picolibc-aarch64-linux-gnu" },
  make: { cmd: "make", fix: "apt-get install make" },
};

function fail(msg) {
  process.stderr.write(`build: error: ${msg}\n`);
  process.exit(1);
}

function onPath(cmd) {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

function requireTools(names) {
  const missing = names.filter((n) => {
    const t = TOOLS[n];
    return t.path ? !existsSync(t.path) : !onPath(t.cmd);
  });
  if (missing.length > 0) {
    fail(`missing tool(s): ${missing.map((n) => `${n} (${TOOLS[n].fix})`).join(", ")}; \`bash .ci/setup\` installs all of them`);
  }
}

function newest(paths) {
  let t = 0;
  for (const p of paths) {
    if (!existsSync(p)) continue;
    const s = statSync(p);
    if (s.isDirectory()) {
      t = Math.max(t, newest(readdirSync(p).map((e) => join(p, e))));
    } else {
      t = Math.max(t, s.mtimeMs);
    }
  }
  return t;
}

function upToDate(outputs, inputs) {
  if (!outputs.every((o) => existsSync(o))) return false;
  const oldestOut = Math.min(...outputs.map((o) => statSync(o).mtimeMs));
  return oldestOut >= newest(inputs);
}

function run(stage, cmd, args, opts = {}) {
  const started = Date.now();
  const r = spawnSync(cmd, args, { cwd: root, stdio: ["ignore", "inherit", "inherit"], ...opts });
  if (r.error) fail(`${stage}: cannot run ${cmd}: ${r.error.message}`);
  if (r.status !== 0) fail(`${stage}: ${cmd} exited with status ${r.status}`);
  return Date.now() - started;
}

function stage(name, outputs, inputs, action) {
  const rel = outputs.map((o) => relative(root, o)).join(", ");
  if (upToDate(outputs, inputs)) {
    console.log(`[build] ${name}: up to date (${rel})`);
    return;
  }
  // The slow stages (asc ~14 s, make ~20 s) say they started, on stderr, so a first build never looks hung.
  process.stderr.write(`[build] ${name}: building ${rel} …\n`);
  const ms = action();
  console.log(`[build] ${name}: ${rel} (${ms} ms)`);
}

mkdirSync(gen, { recursive: true });
requireTools(wasmOnly ? ["asc"] : Object.keys(TOOLS));

// The manifest first: every later stage compiles constants generated from it.
{
  const started = Date.now();
  const manifest = process.env.COH_MANIFEST ? resolve(process.env.COH_MANIFEST) : join(root, "configs/root_task.toml");
  const r = spawnSync(process.execPath, [join(root, "node_modules/tsx/dist/cli.mjs"), join(root, "host/coh-rtc/cli.ts"), manifest], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  if (r.status !== 0) fail(`manifest (coh-rtc): ${relative(root, manifest)} is invalid (errors above)`);
  console.log(`[build] manifest (coh-rtc): ${r.stdout.toString().trim().replace(/^coh-rtc: /, "")} (${Date.now() - started} ms)`);
}

const wasm = join(out, "cohesix.wasm");
stage("core (asc)", [wasm, join(out, "cohesix.js")], [join(root, "assembly"), join(root, "asconfig.json"), join(root, "package-lock.json"), join(root, "build/merge-data.mjs")], () => {
  const ms = run("core (asc)", TOOLS.asc.path, ["assembly/index.ts", "--config", "asconfig.json", "--target", "release"]);
  // One data segment instead of hundreds: both hosts load the same, merged module.
  const merged = mergeData(readFileSync(wasm));
  writeFileSync(wasm, merged.wasm);
  return ms;
});

if (!wasmOnly) {
  const coreC = join(gen, "cohesix.c");
  stage("wasm2c", [coreC, join(gen, "cohesix.h")], [wasm], () => run("wasm2c", "wasm2c", [wasm, "-n", "cohesix", "-o", coreC]));
  // lwIP comes from Debian's source package (sha256-checked, cached in .cache/, never committed).
  const lwip = spawnSync("bash", [join(root, "build/fetch-lwip.sh")], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  if (lwip.status !== 0) fail("lwip: build/fetch-lwip.sh failed (it needs apt-get and deb.debian.org; see the errors above)");
  const lwipDir = lwip.stdout.toString().trim();
  console.log(`[build] lwip: ${relative(root, lwipDir)}`);
  // make tracks the shim's own dependencies; it is always invoked and is quiet when nothing changed.
  const jobs = `-j${Math.max(1, availableParallelism())}`;
  process.stderr.write(`[build] shim (make): linking out/cohesix.elf, out/cohesix.img (incremental) …\n`);
  const ms = run("shim (make)", "make", ["-s", jobs, "-C", "seL4-shim", `O=${out}`, `CORE_C=${coreC}`, `LWIP_DIR=${lwipDir}`]);
  console.log(`[build] shim (make): out/cohesix.elf, out/cohesix.img (${ms} ms)`);
}

// The UEFI disk image around the same out/cohesix.img (build/esp.mjs; skips itself when up to date).
if (!wasmOnly) {
  const started = Date.now();
  const r = spawnSync(process.execPath, [join(root, "build/esp.mjs")], { cwd: root, stdio: ["ignore", "pipe", "inherit"] });
  if (r.status !== 0) fail("esp: build/esp.mjs failed (errors above)");
  console.log(`[build] esp: ${r.stdout.toString().trim().replace(/^\[esp\] /, "")} (${Date.now() - started} ms)`);
}

// SwarmUI's browser bundle (Vite + PixiJS) into out/swarmui/ui, so tests and CI serve the real app.
if (!wasmOnly) {
  const ui = join(root, "host/swarmui");
  stage("swarmui ui (vite)", [join(out, "swarmui/ui/index.html")], [join(ui, "ui"), join(ui, "shared"), join(root, "package-lock.json")], () =>
    run("swarmui ui (vite)", process.execPath, [join(root, "node_modules/vite/bin/vite.js"), "build", "--config", join(ui, "ui/vite.config.ts"), "--logLevel", "warn"]),
  );
}

// Sizes against the manifest's budget, on every build (also when every stage was up to date).
{
  const sizes = sizeReport(join(out, "manifests/root_task_resolved.json"), wasm, wasmOnly ? null : join(out, "cohesix.img"));
  console.log(`[build] ${sizes.line}`);
  if (sizes.over) fail("the image is larger than [build] image_max_bytes allows (see docs/MANIFEST.md)");
}
