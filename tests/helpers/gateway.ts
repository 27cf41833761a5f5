// hive-gateway for tests: in-process (startGateway on port 0) or as the real launcher in a child
// process that prints its URL once it listens (the ready signal) and is stopped by pid.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "smol-toml";
import { resolvedJson } from "../../host/coh-rtc/emit.js";
import { validate } from "../../host/coh-rtc/schema.js";
import { buildParser, resolveConfig, type GatewayConfig } from "../../host/hive-gateway/config.js";
import { startGateway, type RunningGateway } from "../../host/hive-gateway/gateway.js";
import { ROOT } from "./serial.js";

export const TOKEN = "test-request-token-0123456789";

/**
 * A resolved manifest (what coh-rtc writes to out/manifests/) for `--manifest`: the development
 * manifest (or `from`) with `edits` applied to its `key = number` lines. Returns the JSON's path.
 */
export function resolvedManifest(edits: Record<string, number> = {}, from = "configs/root_task.toml"): string {
  let text = readFileSync(resolve(ROOT, from), "utf8");
  for (const [k, v] of Object.entries(edits)) {
    const re = new RegExp(`^${k} = \\d+`, "m");
    if (!re.test(text)) throw new Error(`${from} has no '${k} = <number>' line`);
    text = text.replace(re, `${k} = ${v}`);
  }
  const { manifest, errors } = validate(parse(text) as Record<string, unknown>);
  if (!manifest) throw new Error(errors.map((e) => `${e.path}: ${e.message}`).join("; "));
  const file = join(mkdtempSync(join(tmpdir(), "gw-manifest-")), "root_task_resolved.json");
  writeFileSync(file, resolvedJson(manifest));
  return file;
}

/** Settings as the CLI would resolve them from `args` and `env` (plus a real request token). */
export async function configFrom(args: string[], env: NodeJS.ProcessEnv = {}): Promise<GatewayConfig> {
  const a = await buildParser(args).parseAsync();
  return resolveConfig(a, { HIVE_GATEWAY_REQUEST_AUTH_TOKEN: TOKEN, ...env });
}

export async function inProcess(args: string[] = ["--mock"], env: NodeJS.ProcessEnv = {}, waitUpMs = 10_000): Promise<RunningGateway> {
  const cfg = await configFrom(["--bind", "127.0.0.1:0", "--log-level", "silent", ...args], env);
  return startGateway(cfg, { waitUpMs });
}

export const auth = (extra: Record<string, string> = {}): Record<string, string> => ({ authorization: `Bearer ${TOKEN}`, ...extra });

export interface GatewayProcess {
  proc: ChildProcess;
  url: string;
  stderr: () => string;
  stop(): Promise<void>;
  kill9(): Promise<void>;
}

/** The launcher (host/bin/hive-gateway.mjs, one process), waiting for its --json start-up line. */
export function spawnGateway(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<GatewayProcess> {
  return new Promise((res, rej) => {
    const proc = spawn(process.execPath, [resolve(ROOT, "host/bin/hive-gateway.mjs"), "--json", "--log-level", "warn", ...args], {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    const gone = new Promise<void>((r) => proc.once("exit", () => r()));
    const stopWith = async (sig: NodeJS.Signals): Promise<void> => {
      if (proc.exitCode !== null || proc.signalCode !== null || proc.pid === undefined) return;
      process.kill(proc.pid, sig);
      await gone;
    };
    const t = setTimeout(() => {
      void stopWith("SIGKILL");
      rej(new Error(`hive-gateway did not start in ${timeoutMs} ms\nstdout:${out}\nstderr:${err}`));
    }, timeoutMs);
    proc.stderr?.on("data", (d: Buffer) => (err += d.toString()));
    proc.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.startsWith("{") && l.includes('"listening"'));
      if (!line) return;
      clearTimeout(t);
      const url = (JSON.parse(line) as { listening: string }).listening;
      res({ proc, url, stderr: () => err, stop: () => stopWith("SIGTERM"), kill9: () => stopWith("SIGKILL") });
    });
    proc.once("exit", (code) => {
      clearTimeout(t);
      rej(new Error(`hive-gateway exited (${code}) before listening\nstdout:${out}\nstderr:${err}`));
    });
  });
}

/** Runs the launcher to completion (start-up refusals): exit code and output. */
export function runGateway(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res, rej) => {
    const clean: NodeJS.ProcessEnv = { ...process.env };
    for (const k of Object.keys(clean)) if (k.startsWith("HIVE_GATEWAY_") || k.startsWith("COH_")) delete clean[k];
    const proc = spawn(process.execPath, [resolve(ROOT, "host/bin/hive-gateway.mjs"), ...args], { cwd: ROOT, env: { ...clean, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    proc.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => {
      if (proc.pid) process.kill(proc.pid, "SIGKILL");
      rej(new Error(`hive-gateway ${args.join(" ")} still running after ${timeoutMs} ms`));
    }, timeoutMs);
    proc.on("exit", (code) => {
      clearTimeout(t);
      res({ code, stdout, stderr });
    });
  });
}
