// The FUSE operations table: lookup/getattr, readdir, open, read, write, flush/release, statfs and
// access over a Backend; every other operation answers its errno instead of pretending:
// names and sizes in the namespace are fixed (EPERM, as the guest's own Tmkdir/Tremove/Tsetattr),
// extended attributes are not supported (ENOTSUP), nothing is a symlink (EINVAL).
//
// These callbacks run on the mounting process's event loop (fuse-native hands each request from
// its FUSE thread to JS). Nothing here — and nothing anywhere in the mounting process — may touch
// the mount point synchronously (fs.*Sync on a path under it): the kernel would wait for this
// process to answer a request it can no longer run, and both would hang.

import type { AppendHandle, Backend, NodeInfo, ReadHandle } from "./backend.js";
import type { FuseOps, FuseStat } from "./fuse.js";
import { E, errnoOf, MountError } from "./errno.js";
import { LineBuffer } from "./lines.js";
import { PathRule } from "./paths.js";

type Stat = FuseStat;
type Cb0 = (err: number) => void;

const O_ACCMODE = 3;
const O_RDONLY = 0;
const O_TRUNC = 0o1000;
const O_APPEND = 0o2000;
const R_OK = 4;
const W_OK = 2;
const X_OK = 1;

interface Writer {
  h: AppendHandle;
  lines: LineBuffer;
  /** Where this handle's next write(2) must be (the end, learnt at its first write), unless O_APPEND; -1 unknown. */
  cursor: number;
  append: boolean;
  /** write/flush/release of one handle run one after another. */
  queue: Promise<unknown>;
}

interface OpenFile {
  path: string;
  remote: string;
  node: NodeInfo;
  reader?: ReadHandle;
  writer?: Writer;
}

export interface OpsOptions {
  snapshotMax: number;
  uid: number;
  gid: number;
  /** A failed operation (errno, op, path, why): the mount logs EIO ones. */
  onError?: (errno: number, op: string, path: string, why: string) => void;
}

/** A stat for a node, the mode from its real kind and what this role may do. */
export function statOf(n: NodeInfo, o: { uid: number; gid: number }): Stat {
  const t = new Date(n.mtimeMs);
  const perm = n.kind === "dir" ? 0o555 : (n.readable ? 0o444 : 0) | (n.writable ? (n.kind === "append" ? 0o222 : 0o200) : 0);
  const size = n.kind === "dir" ? 0 : n.size;
  return {
    mode: (n.kind === "dir" ? 0o040000 : 0o100000) | perm,
    uid: o.uid,
    gid: o.gid,
    size,
    dev: 0,
    nlink: n.kind === "dir" ? 2 : 1,
    ino: 0,
    rdev: 0,
    blksize: 4096,
    blocks: Math.ceil(size / 512),
    atime: t,
    mtime: t,
    ctime: t,
  };
}

export function makeOps(backend: Backend, rule: PathRule, o: OpsOptions): FuseOps {
  const files = new Map<number, OpenFile>();
  let nextFd = 1;

  const fail = (op: string, path: string, e: unknown): number => {
    const n = errnoOf(e);
    o.onError?.(n, op, path, e instanceof Error ? e.message : String(e));
    return -n;
  };
  // One async body per callback: its value (or errno) goes to cb exactly once.
  const run = <T>(op: string, path: string, body: () => Promise<T>, done: (v: T) => void, failed: (errno: number) => void): void => {
    body().then(done, (e: unknown) => failed(fail(op, path, e)));
  };
  const refuse = (errno: number): ((...a: unknown[]) => void) => (...a: unknown[]) => (a[a.length - 1] as Cb0)(-errno);

  const dirInfo: NodeInfo = { kind: "dir", size: 0, mtimeMs: Date.now(), readable: true, writable: false };

  // A path's kind and what the role may do with it never change (the namespace's names are
  // fixed), so open() can skip its stat for a path already seen; sizes are always asked.
  const known = new Map<string, NodeInfo>();

  async function info(path: string): Promise<{ remote: string; node: NodeInfo }> {
    const remote = rule.remote(path);
    const reach = rule.reach(remote);
    // The root and the directories on the way to an allowlist entry are directories by the policy.
    if (path === "/" || reach === "ancestor") return { remote, node: dirInfo };
    // An open snapshot's size is what reads through it return: fstat and read then agree.
    for (const f of files.values()) if (f.remote === remote && f.reader) return { remote, node: { ...f.node, size: f.reader.size } };
    const node = await backend.stat(remote);
    known.set(remote, node);
    return { remote, node };
  }

  async function take(w: Writer, data: Buffer, pos: number, remote: string): Promise<number> {
    if (!w.append && pos !== w.cursor) {
      // Not at this handle's end: accept the hive's current end, once re-read; else refuse.
      const now = (await backend.stat(remote)).size;
      if (pos !== now) throw new MountError(E.EINVAL, `append-only: write at offset ${pos}, the end is ${now}`);
      w.cursor = now;
    }
    for (const line of w.lines.push(data)) await w.h.append(line);
    w.cursor = pos + data.length;
    return data.length;
  }

  async function flushRest(w: Writer): Promise<void> {
    const rest = w.lines.takeRest();
    if (rest !== null) await w.h.append(rest);
  }

  const serial = <T>(w: Writer, f: () => Promise<T>): Promise<T> => {
    const p = w.queue.then(f, f);
    w.queue = p.catch(() => undefined);
    return p;
  };

  return {
    init: (cb) => cb(0),

    getattr: (path, cb) => run("getattr", path, () => info(path), (i) => cb(0, statOf(i.node, o)), (n) => cb(n)),

    // The kernel asks through the handle before each O_APPEND write (it wants the end); such a
    // handle ignores offsets, so its own node answers without a round trip. A stat by path (any
    // other process) still asks the hive.
    fgetattr: (path, fd, cb) => {
      const f = files.get(fd);
      if (f?.writer && !f.reader) return cb(0, statOf({ ...f.node, size: Math.max(f.node.size, f.writer.cursor) }, o));
      run("fgetattr", path, () => info(path), (i) => cb(0, statOf(i.node, o)), (n) => cb(n));
    },

    access: (path, mode, cb) =>
      run(
        "access",
        path,
        async () => {
          const { node } = await info(path);
          if (node.kind === "dir") {
            if (mode & W_OK) throw new MountError(E.EACCES, `${path} is a directory of fixed names`);
            return;
          }
          if (mode & X_OK) throw new MountError(E.EACCES, `${path} is not executable`);
          if (mode & R_OK && !node.readable) throw new MountError(E.EACCES, `${path} is not readable by this role`);
          if (mode & W_OK && !node.writable) throw new MountError(E.EACCES, `${path} is not writable by this role`);
        },
        () => cb(0),
        (n) => cb(n),
      ),

    readdir: (path, cb) =>
      run(
        "readdir",
        path,
        async () => {
          const remote = rule.remote(path);
          const reach = rule.reach(remote);
          const names = await backend.list(remote);
          return reach === "ancestor" ? rule.filter(remote, names) : names;
        },
        (names) => cb(0, names),
        (n) => cb(n),
      ),

    opendir: (path, _flags, cb) =>
      run(
        "opendir",
        path,
        async () => {
          rule.reach(rule.remote(path));
        },
        () => cb(0, 0),
        (n) => cb(n),
      ),

    releasedir: (_path, _fd, cb) => cb(0),

    open: (path, flags, cb) =>
      run(
        "open",
        path,
        async () => {
          const remote = rule.remote(path);
          const node = (rule.reach(remote) === "allowed" && path !== "/" ? known.get(remote) : undefined) ?? (await info(path)).node;
          const acc = flags & O_ACCMODE;
          const writing = acc !== O_RDONLY;
          if (node.kind === "dir") {
            if (writing || flags & O_TRUNC) throw new MountError(E.EISDIR, path);
            return 0;
          }
          // The guest's order: truncation first (sizes are fixed), then the file's mode.
          if (flags & O_TRUNC) throw new MountError(E.EPERM, `${path} is append-only at best: it cannot be truncated (use >>)`);
          if (writing && !node.writable) throw new MountError(E.EACCES, `${path} is not writable by this role`);
          if (acc !== 1 && !node.readable) throw new MountError(E.EACCES, `${path} is not readable by this role`);
          const f: OpenFile = { path, remote, node };
          if (acc !== 1) f.reader = await backend.openRead(remote, o.snapshotMax);
          if (writing) {
            const h = await backend.openAppend(remote);
            // The end is learnt at the first write not made with O_APPEND (a cached node's size is stale).
            f.writer = { h, lines: new LineBuffer(h.maxRecord), cursor: -1, append: (flags & O_APPEND) !== 0, queue: Promise.resolve() };
          }
          const fd = nextFd++;
          files.set(fd, f);
          return fd;
        },
        (fd) => cb(0, fd),
        (n) => cb(n),
      ),

    read: (path, fd, buf, len, pos, cb) => {
      const f = files.get(fd);
      if (!f?.reader) return cb(-E.EBADF);
      const r = f.reader;
      run(
        "read",
        path,
        () => r.read(pos, len),
        (data) => {
          data.copy(buf, 0, 0, Math.min(len, data.length));
          cb(Math.min(len, data.length));
        },
        (n) => cb(n),
      );
    },

    write: (path, fd, buf, len, pos, cb) => {
      const f = files.get(fd);
      const w = f?.writer;
      if (!f || !w) return cb(-E.EBADF);
      // Copied now: the buffer belongs to the FUSE thread once this callback returns.
      const data = Buffer.from(buf.subarray(0, len));
      run("write", path, () => serial(w, () => take(w, data, pos, f.remote)), (n) => cb(n), (n) => cb(n));
    },

    // close(2): the partial line goes now, so its errors reach the closing process.
    flush: (path, fd, cb) => {
      const w = files.get(fd)?.writer;
      if (!w) return cb(0);
      run("flush", path, () => serial(w, () => flushRest(w)), () => cb(0), (n) => cb(n));
    },

    fsync: (_path, _datasync, _fd, cb) => cb(0), // appends apply at once (the guest's Tfsync is a no-op too)

    release: (path, fd, cb) => {
      const f = files.get(fd);
      files.delete(fd);
      if (!f) return cb(0);
      run(
        "release",
        path,
        async () => {
          if (f.writer) {
            const w = f.writer;
            await serial(w, () => flushRest(w)).catch(() => undefined);
            await w.h.close();
          }
          await f.reader?.close();
        },
        () => cb(0),
        (n) => cb(n),
      );
    },

    statfs: (path, cb) =>
      run(
        "statfs",
        path,
        () => backend.statfs(),
        (s) => cb(0, { bsize: s.bsize, frsize: s.bsize, blocks: 0, bfree: 0, bavail: 0, files: 0, ffree: 0, favail: 0, fsid: 0, flag: 0, namemax: s.namemax }),
        (n) => cb(n),
      ),

    // The namespace's names and sizes are fixed.
    create: refuse(E.EPERM) as FuseOps["create"],
    mknod: refuse(E.EPERM) as FuseOps["mknod"],
    mkdir: refuse(E.EPERM) as FuseOps["mkdir"],
    rmdir: refuse(E.EPERM) as FuseOps["rmdir"],
    unlink: refuse(E.EPERM) as FuseOps["unlink"],
    rename: refuse(E.EPERM) as FuseOps["rename"],
    link: refuse(E.EPERM) as FuseOps["link"],
    symlink: refuse(E.EPERM) as FuseOps["symlink"],
    truncate: refuse(E.EPERM) as FuseOps["truncate"],
    ftruncate: refuse(E.EPERM) as FuseOps["ftruncate"],
    chmod: refuse(E.EPERM) as FuseOps["chmod"],
    chown: refuse(E.EPERM) as FuseOps["chown"],
    utimens: refuse(E.EPERM) as FuseOps["utimens"],
    readlink: refuse(E.EINVAL) as FuseOps["readlink"],
    setxattr: refuse(E.ENOTSUP) as FuseOps["setxattr"],
    getxattr: refuse(E.ENOTSUP) as FuseOps["getxattr"],
    listxattr: refuse(E.ENOTSUP) as FuseOps["listxattr"],
    removexattr: refuse(E.ENOTSUP) as FuseOps["removexattr"],
  };
}
