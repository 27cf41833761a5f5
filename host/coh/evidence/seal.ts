// Sealing and verifying a pack (reference §3.2–§3.3): checksums.json maps every regular file but
// itself and pack.sha256 to its SHA-256 (sorted keys, pretty); pack.sha256 is the SHA-256 of the
// checksums.json bytes, then "\n". Verification is exact: a changed, missing, extra or symlinked
// file is reported, the first one by path order. Integrity only, not a signature.

import { lstatSync, readdirSync, readFileSync } from "node:fs";
import { join, relative, sep } from "node:path";
import { sha256Hex } from "./redact.js";

export const SEAL_FILES = ["checksums.json", "pack.sha256"];

/** The checksums.json text and pack.sha256 text of a pack whose files are `files` (relative path → bytes). */
export function sealOf(files: Map<string, Uint8Array>): { checksums: string; digest: string } {
  const sums: Record<string, string> = {};
  for (const k of [...files.keys()].filter((k) => !SEAL_FILES.includes(k)).sort()) sums[k] = sha256Hex(files.get(k)!);
  const checksums = JSON.stringify(sums, null, 2) + "\n";
  return { checksums, digest: sha256Hex(checksums) };
}

/** Every entry under `dir`, relative with `/`, sorted; symlinks and other non-files reported. */
export function walk(dir: string): { files: string[]; odd: string[] } {
  const files: string[] = [];
  const odd: string[] = [];
  const go = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      const rel = relative(dir, p).split(sep).join("/");
      if (st.isDirectory()) go(p);
      else if (st.isFile()) files.push(rel);
      else odd.push(rel);
    }
  };
  go(dir);
  return { files: files.sort(), odd };
}

export interface VerifyResult {
  ok: boolean;
  files: number;
  digest: string;
  /** The first problem, by path order: `<path>: changed|missing|extra|not a regular file`, or the seal's. */
  firstMismatch?: string;
  problems: string[];
}

export function verifyPack(dir: string): VerifyResult {
  const problems: string[] = [];
  let checksums: string;
  let sealed: string;
  try {
    checksums = readFileSync(join(dir, "checksums.json"), "utf8");
    sealed = readFileSync(join(dir, "pack.sha256"), "utf8");
  } catch {
    return { ok: false, files: 0, digest: "", firstMismatch: "pack.sha256/checksums.json: missing (the pack is not sealed)", problems: ["not sealed"] };
  }
  const digest = sha256Hex(checksums);
  if (sealed !== digest + "\n") problems.push(`pack.sha256: does not match checksums.json (sealed ${sealed.trim().slice(0, 16)}…, computed ${digest.slice(0, 16)}…)`);
  let sums: Record<string, string> = {};
  try {
    sums = JSON.parse(checksums) as Record<string, string>;
  } catch {
    problems.push("checksums.json: not JSON");
  }
  const { files, odd } = walk(dir);
  const present = new Set(files.filter((f) => !SEAL_FILES.includes(f)));
  for (const o of odd) problems.push(`${o}: not a regular file`);
  const names = [...new Set([...Object.keys(sums), ...present])].sort();
  for (const n of names) {
    if (!(n in sums)) problems.push(`${n}: extra`);
    else if (!present.has(n)) problems.push(`${n}: missing`);
    else if (sha256Hex(readFileSync(join(dir, n))) !== sums[n]) problems.push(`${n}: changed`);
  }
  return { ok: problems.length === 0, files: present.size, digest, firstMismatch: problems[0], problems };
}
