// Helpers of the coh mount tests. The mount runs in a child process (./bin/coh … mount), and every
// access to the mount point is made by other child processes (bash -c, node -e), spawned
// asynchronously: this test process never touches a mount synchronously, and the mounting process
// never touches its own mount point at all (docs/COH.md).

import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ROOT } from "./helpers/serial.js";

export { runCmd, type Ran } from "./helpers/run.js";
import { runCmd, type Ran } from "./helpers/run.js";

/** bash -c in a child process. */
export const sh = (script: string, timeoutMs = 30_000): Promise<Ran> => runCmd("bash", ["-c", script], { timeoutMs });

export const coh = (args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 60_000): Promise<Ran> => runCmd(join(ROOT, "bin", "coh"), args, { env, timeoutMs });

export function mountDir(tag: string): string {
  return join(mkdtempSync(join(tmpdir(), `coh-mount-${tag}-`)), "mnt");
}

/** Whether `dir` is in the kernel's mount table (read asynchronously). */
export async function isMounted(dir: string): Promise<boolean> {
  const t = await readFile("/proc/self/mountinfo", "utf8");
  return t.split("\n").some((l) => l.split(" ")[4] === dir);
}

export interface MountProc {
  proc: ChildProcess;
  dir: string;
  out: () => string;
  err: () => string;
  /** Resolves with the exit code (or 128+signal). */
  exited: Promise<number>;
  stop(sig?: NodeJS.Signals): Promise<number>;
}

/**
 * `./bin/coh <global…> mount --at DIR`, resolved once it prints its `OK MOUNT` line (or, with
 * --json, its `"event":"mounted"` line: the ready signal); rejects with its output when it exits first or stays silent past timeoutMs.
 */
export function startMount(dir: string, global: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<MountProc> {
  return new Promise((res, rej) => {
    const proc = spawn(join(ROOT, "bin", "coh"), [...global, "mount", "--at", dir], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const exited = new Promise<number>((r) => proc.once("exit", (code, sig) => r(code ?? 128 + (sig ? osSignal(sig) : 0))));
    const m: MountProc = {
      proc,
      dir,
      out: () => out,
      err: () => err,
      exited,
      stop: async (sig = "SIGTERM") => {
        if (proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined) process.kill(proc.pid, sig);
        return exited;
      },
    };
    const t = setTimeout(() => {
      void m.stop("SIGKILL");
      rej(new Error(`coh mount did not print OK MOUNT in ${timeoutMs} ms\nstdout:${out}\nstderr:${err}`));
    }, timeoutMs);
    proc.stderr?.on("data", (d: Buffer) => (err += d.toString()));
    proc.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (/^OK MOUNT mode=\S+ at=/m.test(out) || /^\{"ok":true,"verb":"MOUNT","event":"mounted"/m.test(out)) {
        clearTimeout(t);
        res(m);
      }
    });
    void exited.then((code) => {
      clearTimeout(t);
      rej(new Error(`coh mount exited ${code} before mounting\nstdout:${out}\nstderr:${err}`));
    });
  });
}

function osSignal(sig: NodeJS.Signals): number {
  return ({ SIGINT: 2, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[sig] ?? 0;
}

/** afterAll: stop the mount by pid, then make sure nothing is left mounted at its directory. */
export async function cleanupMount(m: MountProc | undefined): Promise<void> {
  if (!m) return;
  const t = setTimeout(() => void m.stop("SIGKILL"), 10_000);
  await m.stop("SIGTERM");
  clearTimeout(t);
  if (await isMounted(m.dir)) await runCmd("fusermount", ["-uz", m.dir], { timeoutMs: 10_000 });
}

export interface MockHive {
  proc: ChildProcess;
  port: number;
  stop(sig?: NodeJS.Signals): Promise<void>;
}

/** The core on the Node host with real sockets (npm run mock), on free ports; ready on its ready line. */
export function startMockHive(timeoutMs = 30_000): Promise<MockHive> {
  return new Promise((res, rej) => {
    const proc = spawn(process.execPath, ["--import", "tsx", join(ROOT, "host/runtime/cli.ts"), "--tcp-port", "0", "--udp-port", "0", "--smoke-port", "0"], { cwd: ROOT, stdio: ["pipe", "ignore", "pipe"] });
    const gone = new Promise<void>((r) => proc.once("exit", () => r()));
    const stop = async (sig: NodeJS.Signals = "SIGTERM"): Promise<void> => {
      if (proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined) process.kill(proc.pid, sig);
      await gone;
    };
    let err = "";
    const t = setTimeout(() => {
      void stop("SIGKILL");
      rej(new Error(`mock hive not ready in ${timeoutMs} ms: ${err}`));
    }, timeoutMs);
    proc.stderr?.on("data", (d: Buffer) => {
      err += d.toString();
      const m = /cohesix-mock: ready console=(\d+)/.exec(err);
      if (m) {
        clearTimeout(t);
        res({ proc, port: Number(m[1]), stop });
      }
    });
    void gone.then(() => rej(new Error(`mock hive exited: ${err}`)));
  });
}
