// A pack as one tar file (tar-stream), byte-identical for identical packs: entries in path order,
// mtime 0, uid/gid 0, no user or group names, mode 0644 for files and 0755 for directories.

import { createWriteStream, renameSync, rmSync } from "node:fs";
import { finished } from "node:stream/promises";
import tar from "tar-stream";

export async function writeTar(file: string, files: Map<string, Uint8Array>, root: string): Promise<void> {
  const pack = tar.pack();
  const tmp = `${file}.tmp-${process.pid}`;
  const out = createWriteStream(tmp);
  pack.pipe(out);
  const fixed = { mtime: new Date(0), uid: 0, gid: 0, uname: "", gname: "" };
  const dirs = new Set<string>();
  for (const rel of [...files.keys()].sort()) {
    const parts = rel.split("/");
    for (let i = 1; i < parts.length; i++) {
      const d = parts.slice(0, i).join("/");
      if (!dirs.has(d)) {
        dirs.add(d);
        pack.entry({ name: `${root}/${d}/`, type: "directory", mode: 0o755, ...fixed });
      }
    }
    pack.entry({ name: `${root}/${rel}`, mode: 0o644, ...fixed }, Buffer.from(files.get(rel)!));
  }
  pack.finalize();
  try {
    await finished(out);
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
