// The launchers as npx runs them from a clone: npm links the package's bins into its own
// node_modules/.bin as symlinks, so a launcher that located the repository by `dirname "$0"`
// looked beside the symlink and failed. `npx swarmui --help`, `npx cohsh --help` and
// `npx hive-gateway --help` (the three launcher styles: node module, sh + tsx loader, sh + node
// module) run for real; and every sh launcher also through a symlink of our own elsewhere.

import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";
import { ROOT } from "../host/swarmui/config.js";

const run = promisify(execFile);
const tmp = mkdtempSync(join(tmpdir(), "swarmui-npx-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Offline and without installing: npx must find the bins in this package, never a registry.
const env = { ...process.env, npm_config_offline: "true", npm_config_update_notifier: "false", NO_COLOR: "1" };

describe("npx from a clone", () => {
  for (const [tool, first] of [["swarmui", /^swarmui \[options\]/], ["cohsh", /^cohsh \[options\]/], ["hive-gateway", /^hive-gateway \[options\]/]] as const) {
    it(`npx ${tool} --help prints its usage`, async () => {
      const r = await run("npx", ["--no-install", tool, "--help"], { cwd: ROOT, env, timeout: 90_000 });
      expect(r.stdout.split("\n")[0]).toMatch(first);
    }, 120_000);
  }
});

describe("bin/ launchers through a symlink", () => {
  const sh = readdirSync(join(ROOT, "bin")).filter((f) => readFileSync(join(ROOT, "bin", f), "utf8").startsWith("#!/bin/sh"));
  it("every sh launcher resolves its real path (a node_modules/.bin-like symlink elsewhere)", async () => {
    expect(sh.length).toBeGreaterThanOrEqual(5);
    const bin = join(tmp, "node_modules", ".bin");
    mkdirSync(bin, { recursive: true });
    for (const f of sh) {
      symlinkSync(join(ROOT, "bin", f), join(bin, f));
      const r = await run(join(bin, f), ["--help"], { cwd: tmp, env, timeout: 60_000 });
      expect(r.stdout.length, f).toBeGreaterThan(20);
      expect(r.stdout, f).toMatch(/options|Commands|\[/);
    }
  }, 300_000);
  it("and run directly with only node and dirname on PATH (no readlink: $0 as given)", async () => {
    // tests/host_sidecar_bridge.test.ts runs its launcher this way to hide every host tool.
    const bare = join(tmp, "bare");
    mkdirSync(bare, { recursive: true });
    for (const t of ["node", "dirname"]) symlinkSync((await run("sh", ["-c", `command -v ${t}`])).stdout.trim(), join(bare, t));
    for (const f of sh) {
      const r = await run(join(ROOT, "bin", f), ["--help"], { cwd: tmp, env: { ...env, PATH: bare }, timeout: 60_000 });
      expect(r.stdout, f).toMatch(/options|Commands|\[/);
    }
  }, 300_000);
});
