// What a flash target is, and whether writing the ESP image to it is allowed: facts gathered from
// the target path, /sys/block and /proc (roots injectable, so tests use a faithful fake tree), and
// a pure decision over them. Nothing here writes.

import { existsSync, readFileSync, readdirSync, realpathSync, statSync } from "node:fs";
import { basename, join } from "node:path";

export interface TargetFacts {
  path: string;
  kind: "block" | "file" | "missing" | "other";
  /** kernel name (sdb, mmcblk0, loop3) for a block device */
  name?: string;
  /** /sys/block/<name>/removable === 1 */
  removable?: boolean;
  sizeBytes: number;
  /** partitions of the device (or the device) that /proc/mounts or /proc/swaps name */
  inUse: string[];
  /** a partition (sdb1), not a whole disk: the image carries its own partition table */
  isPartition?: boolean;
  model?: string;
}

export interface Roots {
  sys: string;
  proc: string;
  dev: string;
}

export const SYSTEM_ROOTS: Roots = { sys: "/sys", proc: "/proc", dev: "/dev" };

function readTrim(p: string): string | undefined {
  try {
    return readFileSync(p, "utf8").trim();
  } catch {
    return undefined;
  }
}

/** Device nodes named in /proc/mounts and /proc/swaps, resolved to kernel names. */
function busyNames(roots: Roots): Set<string> {
  const names = new Set<string>();
  for (const f of ["mounts", "swaps"]) {
    const text = readTrim(join(roots.proc, f)) ?? "";
    for (const line of text.split("\n")) {
      const dev = line.split(/\s+/)[0];
      if (dev?.startsWith("/dev/")) names.add(basename(dev));
    }
  }
  return names;
}

export function gatherFacts(path: string, roots: Roots = SYSTEM_ROOTS): TargetFacts {
  if (!existsSync(path)) return { path, kind: "missing", sizeBytes: 0, inUse: [] };
  const st = statSync(path);
  if (st.isFile()) return { path, kind: "file", sizeBytes: st.size, inUse: [] };
  if (!st.isBlockDevice()) return { path, kind: "other", sizeBytes: 0, inUse: [] };
  const name = basename(realpathSync(path));
  const sysDev = join(roots.sys, "block", name);
  const isPartition = !existsSync(sysDev);
  const sectors = Number(readTrim(join(isPartition ? join(roots.sys, "class/block", name) : sysDev, "size")) ?? "0");
  const busy = busyNames(roots);
  const parts = isPartition || !existsSync(sysDev) ? [] : readdirSync(sysDev).filter((e) => e.startsWith(name));
  const inUse = [name, ...parts].filter((n) => busy.has(n));
  return {
    path,
    kind: "block",
    name,
    isPartition,
    removable: readTrim(join(sysDev, "removable")) === "1",
    sizeBytes: sectors * 512,
    inUse,
    model: readTrim(join(sysDev, "device/model")),
  };
}

export interface Decision {
  ok: boolean;
  /** refusals that --force may override */
  forceable: string[];
  /** refusals nothing overrides */
  fatal: string[];
}

/** Whether `imageBytes` may be written to the target: mounted, partitions and too-small targets
 *  are never written; non-removable or larger-than-`maxBytes` disks only with `force`. */
export function decide(f: TargetFacts, imageBytes: number, maxBytes: number, force: boolean): Decision {
  const fatal: string[] = [];
  const forceable: string[] = [];
  if (f.kind === "missing") fatal.push(`${f.path} does not exist`);
  if (f.kind === "other") fatal.push(`${f.path} is neither a block device nor a regular file`);
  if (f.kind === "block") {
    if (f.isPartition) fatal.push(`${f.path} is a partition (${f.name}); give the whole disk, the image has its own partition table`);
    if (f.inUse.length > 0) fatal.push(`${f.path} is in use: ${f.inUse.join(", ")} mounted or swap (unmount first)`);
    if (f.sizeBytes < imageBytes) fatal.push(`${f.path} holds ${f.sizeBytes} bytes, the image needs ${imageBytes}`);
    if (!f.removable) forceable.push(`${f.path} is not a removable disk`);
    if (f.sizeBytes > maxBytes) forceable.push(`${f.path} is ${f.sizeBytes} bytes, over the ${maxBytes}-byte bound ([uefi] flash_max_gib)`);
  }
  return { ok: fatal.length === 0 && (force || forceable.length === 0), forceable, fatal };
}
