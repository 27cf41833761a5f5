#!/usr/bin/env node
// Launcher: runs the TypeScript CLI through tsx so `npx cohsh` needs no separate compile step.
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const r = spawnSync(process.execPath, [join(root, "node_modules/tsx/dist/cli.mjs"), join(root, "host/coh-rtc/cli.ts"), ...process.argv.slice(2)], {
  stdio: "inherit",
  cwd: process.cwd(),
  env: { ...process.env, NODE_NO_WARNINGS: "1" },
});
process.exit(r.status ?? 1);
