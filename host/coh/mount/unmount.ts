// Leaving the mount point usable: `fusermount -u` (then `-uz`, lazy, when something still holds a
// file open or the server is dead), and whether a directory is a coh mount at all (from
// /proc/self/mountinfo, read asynchronously: a stat of a dead FUSE mount hangs or fails).

import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";

export const FSNAME = "coh";

function run(cmd: string, args: string[]): Promise<{ code: number | null; err: string }> {
  return new Promise((res) => {
    const p = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    let err = "";
    p.stderr.on("data", (d: Buffer) => (err += d.toString()));
    p.on("error", (e) => res({ code: -1, err: e.message }));
    p.on("close", (code) => res({ code, err: err.trim() }));
  });
}

// mountinfo escapes space, tab, newline and backslash as \ooo.
const unescape = (s: string): string => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

/** The FUSE mounts at `dir` whose source is `coh` (ours), from the kernel's table. */
export async function mountedAt(dir: string): Promise<{ fstype: string; source: string } | null> {
  const abs = resolve(dir);
  const text = await readFile("/proc/self/mountinfo", "utf8");
  for (const line of text.split("\n")) {
    const [pre, post] = line.split(" - ");
    if (!post) continue;
    const f = pre.split(" ");
    if (unescape(f[4]) !== abs) continue;
    const [fstype, source] = post.split(" ");
    return { fstype, source };
  }
  return null;
}

/** Unmounts `dir`; lazily when a plain unmount is refused. Throws with fusermount's words. */
export async function unmount(dir: string): Promise<"unmounted" | "lazy"> {
  const a = await run("fusermount", ["-u", dir]);
  if (a.code === 0) return "unmounted";
  const b = await run("fusermount", ["-uz", dir]);
  if (b.code === 0) return "lazy";
  throw new Error(`fusermount -u ${dir} failed: ${a.err || b.err || `exit ${b.code}`}`);
}
