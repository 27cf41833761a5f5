// Local files the host tools write: always through `<file>.partial` and a rename, so a reader (or a
// resumed run) sees a whole file or none; parents created as needed. (coh and host-ticket-agent share it.)

import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

export function writeAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.partial`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Writes only when `path` is missing (a resumed export or pull never overwrites); true if written. */
export function writeOnce(path: string, data: string | Uint8Array): boolean {
  if (existsSync(path)) return false;
  writeAtomic(path, data);
  return true;
}

/** A name that is safe as one path component. */
export function component(s: string): boolean {
  return s.length > 0 && s !== "." && s !== ".." && !s.includes("/") && !s.includes("\0");
}
