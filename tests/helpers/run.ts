// One way for tests to run a command or one of the project's launchers (bin/<tool>) to its end:
// asynchronous (the hive it talks to may live in this process's event loop), killed by pid after
// a timeout so a hung tool fails the test instead of hanging it, output collected.

import { spawn } from "node:child_process";
import { join } from "node:path";
import { ROOT } from "./serial.js";

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  timeoutMs?: number;
  /** Merged over process.env. */
  env?: NodeJS.ProcessEnv;
  input?: string;
  cwd?: string;
  onSpawn?: (pid: number) => void;
}

export function runCmd(cmd: string, args: string[], opts: RunOptions = {}): Promise<Ran> {
  return new Promise((res, rej) => {
    const p = spawn(cmd, args, { cwd: opts.cwd ?? ROOT, env: { ...process.env, ...opts.env }, stdio: [opts.input === undefined ? "ignore" : "pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    if (p.pid !== undefined) opts.onSpawn?.(p.pid);
    const t = setTimeout(() => p.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    p.on("error", (e) => {
      clearTimeout(t);
      rej(new Error(`cannot run ${cmd}: ${e.message}`));
    });
    p.on("close", (code, signal) => {
      clearTimeout(t);
      res({ code, signal, stdout, stderr });
    });
    if (p.stdin) {
      p.stdin.on("error", () => undefined); // the command may exit before reading its input
      p.stdin.end(opts.input);
    }
  });
}

/** ./bin/<name> (the launcher a user runs). */
export const runBin = (name: string, args: string[], opts: RunOptions = {}): Promise<Ran> => runCmd(join(ROOT, "bin", name), args, opts);

/** PATH with the stateful fake host tools first (tests/fakes/bin: systemctl, kubectl, docker, nvidia-smi). */
export const FAKE_TOOLS_PATH = (): string => `${join(ROOT, "tests/fakes/bin")}:${process.env.PATH}`;
