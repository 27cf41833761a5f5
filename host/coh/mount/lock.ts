// One REST mount per gateway URL (reference §2.5): `<tmpdir>/coh-rest-mount-<sha256(url)>.lock`
// holding `rest_url=<url>`. The reference holds it with flock(2), which Node cannot call; here the
// file is created with O_EXCL and also names the holder's pid, so a lock left by a mount that was
// SIGKILLed (no exit handler ran) is recognised as stale — its pid is gone — and taken over.
// Deleted on release.

import { createHash } from "node:crypto";
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pidAlive } from "../../sdk/process.js";

export function lockPath(url: string, dir = tmpdir()): string {
  return join(dir, `coh-rest-mount-${createHash("sha256").update(url).digest("hex")}.lock`);
}

export class LockHeld extends Error {
  override readonly name = "LockHeld";
}

export interface RestLock {
  readonly file: string;
  release(): void;
}

/** Takes the lock for `url` or throws LockHeld with the reference's message. */
export function takeRestLock(url: string, dir = tmpdir()): RestLock {
  const file = lockPath(url, dir);
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(file, "wx", 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      let holder = NaN;
      try {
        holder = Number(/^pid=(\d+)$/m.exec(readFileSync(file, "utf8"))?.[1]);
      } catch {
        // removed between open and read: try again
      }
      if (Number.isInteger(holder) && holder !== process.pid && pidAlive(holder)) {
        throw new LockHeld(`rest mount already active for ${url}; only one rest mount is allowed`);
      }
      // Stale (its holder is gone): remove and create it afresh.
      try {
        unlinkSync(file);
      } catch {
        // someone else removed it
      }
      continue;
    }
    writeSync(fd, `rest_url=${url}\npid=${process.pid}\n`);
    closeSync(fd);
    let held = true;
    return {
      file,
      release: () => {
        if (!held) return;
        held = false;
        try {
          if (readFileSync(file, "utf8").includes(`pid=${process.pid}\n`)) unlinkSync(file);
        } catch {
          // already gone
        }
      },
    };
  }
  throw new LockHeld(`rest mount already active for ${url}; only one rest mount is allowed`);
}
