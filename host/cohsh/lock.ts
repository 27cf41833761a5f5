// COHSH_CONSOLE_LOCK=1: the original's exclusive host-side console lock — one cohsh per console
// endpoint on this host. Off by default here because this guest serves several console sessions
// at once (console.max_sessions); see docs/COHSH.md. A lock whose holder is gone is taken over.

import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pidAlive } from "../sdk/process.js";

export class LockError extends Error {
  override readonly name = "LockError";
}

export function lockPath(endpoint: string, dir = tmpdir()): string {
  return join(dir, `cohsh-console-${endpoint.replace(/[^A-Za-z0-9.-]/g, "_")}.lock`);
}

/** Takes the lock for `endpoint`; returns its release. Throws LockError naming the holder. */
export function takeConsoleLock(endpoint: string, dir?: string): () => void {
  const file = lockPath(endpoint, dir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(file, "utf8").trim() === String(process.pid)) unlinkSync(file);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw new LockError(`cannot create the console lock ${file}: ${(e as Error).message}`);
      const holder = Number(readFileSync(file, "utf8").trim());
      if (Number.isInteger(holder) && holder > 0 && pidAlive(holder)) {
        throw new LockError(`the console ${endpoint} is locked by cohsh pid ${holder} (COHSH_CONSOLE_LOCK=1; ${file})`);
      }
      unlinkSync(file); // stale: its holder is gone
    }
  }
  throw new LockError(`cannot take the console lock ${file}`);
}
