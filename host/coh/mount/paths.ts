// The mount's path rule (reference §2.5): a local path under the mount point maps to
// mount_root + path; it must be absolute, without `.`/`..`/NUL, at most namespace.walk_depth
// components, and equal to or under an allowlist entry (coh.mount.allowlist from the manifest).
// Directories above an entry (e.g. `/` above `/proc`) may be listed, showing only the way down.

import { E, MountError } from "./errno.js";

export interface MountPolicy {
  root: string;
  allowlist: string[];
  walkDepth: number;
  componentMax: number;
}

export type Reach = "allowed" | "ancestor";

export class PathRule {
  private readonly all: boolean;

  constructor(readonly p: MountPolicy) {
    this.all = p.allowlist.includes(p.root);
  }

  /** The hive path for a FUSE path ("/" is the mount root). */
  remote(local: string): string {
    if (!local.startsWith("/") || local.includes("\0")) throw new MountError(E.EINVAL, `bad path ${JSON.stringify(local)}`);
    const parts = local.split("/").filter((s) => s.length > 0);
    for (const s of parts) {
      if (s === "." || s === "..") throw new MountError(E.EINVAL, `bad path ${local}`);
      if (Buffer.byteLength(s) > this.p.componentMax) throw new MountError(E.ENAMETOOLONG, `component of ${local} > ${this.p.componentMax} bytes`);
    }
    const base = this.p.root === "/" ? "" : this.p.root;
    const r = base + "/" + parts.join("/");
    const depth = r.split("/").filter((s) => s).length;
    if (depth > this.p.walkDepth) throw new MountError(E.ENAMETOOLONG, `${r} is deeper than ${this.p.walkDepth} components`);
    return r === "" ? "/" : r;
  }

  /** Whether a hive path may be reached, or only listed on the way to an entry; EACCES otherwise. */
  reach(remote: string): Reach {
    if (this.all) return "allowed";
    for (const e of this.p.allowlist) if (remote === e || remote.startsWith(e + "/")) return "allowed";
    for (const e of this.p.allowlist) if (e.startsWith(remote === "/" ? "/" : remote + "/")) return "ancestor";
    throw new MountError(E.EACCES, `${remote} is not in coh.mount.allowlist`);
  }

  /** Of `names` in the directory `remote` (an ancestor), those that lead to an allowlist entry. */
  filter(remote: string, names: string[]): string[] {
    if (this.all) return names;
    return names.filter((n) => {
      const child = (remote === "/" ? "" : remote) + "/" + n;
      try {
        this.reach(child);
        return true;
      } catch {
        return false;
      }
    });
  }
}
