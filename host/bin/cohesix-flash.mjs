#!/usr/bin/env node
// Launcher: runs the TypeScript CLI through tsx, so `npx cohsh` needs no separate compile step.
// Signals are forwarded, so stopping the launcher stops the CLI (and anything it started).
import { spawn } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
const child = spawn(process.execPath, [join(root, "node_modules/tsx/dist/cli.mjs"), join(root, "host/flash/cli.ts"), ...process.argv.slice(2)], {
  stdio: "inherit",
  env: { ...process.env, NODE_NO_WARNINGS: "1" },
});
for (const sig of ["SIGTERM", "SIGHUP"]) process.on(sig, () => child.kill(sig));
// Ctrl-C reaches the child through the terminal; the launcher just waits for it.
process.on("SIGINT", () => {});
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 128 + 15 : 1)));
