// The durable file protocol (reference §2.12): a unique `.<name>.<pid>.<seq>.partial` created
// new, written, fsynced, renamed over the target, then the directory fsynced — so after a crash
// at any instant the file is either the old version or the new one, never a torn mix. And the
// one-agent-per-state-directory lock: a file created exclusively that holds `pid=<n>`.

import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { pidAlive } from "../sdk/process.js";

let seq = 0;

export function writeDurable(path: string, text: string): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true });
  const tmp = join(dir, `.${basename(path)}.${process.pid}.${seq++}.partial`);
  const fd = openSync(tmp, "wx", 0o600);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const d = openSync(dir, "r");
  try {
    fsyncSync(d);
  } finally {
    closeSync(d);
  }
}

/** The file's text, or null when it does not exist. */
export function readIfExists(path: string): string | null {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw e;
  }
}

export class LockError extends Error {
  override readonly name = "LockError";
}

/**
 * Takes the state directory's lock. Node has no flock, so the lock is an exclusively created file;
 * a lock left by a process that no longer exists (killed with SIGKILL) is taken over, one that is
 * alive refuses with the original's words. Returns the release function.
 */
export function takeLock(path: string): () => void {
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx", 0o600);
      writeSync(fd, `pid=${process.pid}\n`);
      fsyncSync(fd);
      closeSync(fd);
      return () => {
        const held = readIfExists(path);
        if (held?.trim() === `pid=${process.pid}`) rmSync(path, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const m = /^pid=(\d+)/.exec(readIfExists(path) ?? "");
      const pid = m ? Number(m[1]) : NaN;
      if (Number.isFinite(pid) && pid !== process.pid && pidAlive(pid)) throw new LockError(`host-ticket-agent already owns execution fence ${path} (pid=${pid})`);
      rmSync(path, { force: true }); // stale: its owner is gone
    }
  }
  throw new LockError(`could not take the lock ${path}`);
}
