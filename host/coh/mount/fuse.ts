// The slice of @cocalc/fuse-native this mount uses, typed here: the package is CommonJS and its
// bundled d.ts declares an ES default export that NodeNext resolution cannot see through. Loaded
// with require on first use, so a machine without the native module fails with a clear message
// (coh doctor's check=mount reports the same) instead of at import time.

import { createRequire } from "node:module";

export interface FuseStat {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  dev: number;
  nlink: number;
  ino: number;
  rdev: number;
  blksize: number;
  blocks: number;
  atime: Date;
  mtime: Date;
  ctime: Date;
}

export interface FuseStatfs {
  bsize: number;
  frsize: number;
  blocks: number;
  bfree: number;
  bavail: number;
  files: number;
  ffree: number;
  favail: number;
  fsid: number;
  flag: number;
  namemax: number;
}

type Cb = (err: number) => void;
/** read/write answer one number: bytes done, or a negative errno. */
type IoCb = (n: number) => void;

export interface FuseOps {
  init?: (cb: Cb) => void;
  access?: (path: string, mode: number, cb: Cb) => void;
  statfs?: (path: string, cb: (err: number, s?: FuseStatfs) => void) => void;
  getattr?: (path: string, cb: (err: number, st?: FuseStat) => void) => void;
  fgetattr?: (path: string, fd: number, cb: (err: number, st?: FuseStat) => void) => void;
  flush?: (path: string, fd: number, cb: Cb) => void;
  fsync?: (path: string, datasync: boolean, fd: number, cb: Cb) => void;
  readdir?: (path: string, cb: (err: number, names?: string[]) => void) => void;
  opendir?: (path: string, flags: number, cb: (err: number, fd?: number) => void) => void;
  releasedir?: (path: string, fd: number, cb: Cb) => void;
  open?: (path: string, flags: number, cb: (err: number, fd?: number) => void) => void;
  read?: (path: string, fd: number, buf: Buffer, len: number, pos: number, cb: IoCb) => void;
  write?: (path: string, fd: number, buf: Buffer, len: number, pos: number, cb: IoCb) => void;
  release?: (path: string, fd: number, cb: Cb) => void;
  create?: (path: string, mode: number, cb: (err: number, fd?: number) => void) => void;
  mknod?: (path: string, mode: number, dev: number, cb: Cb) => void;
  mkdir?: (path: string, mode: number, cb: Cb) => void;
  rmdir?: (path: string, cb: Cb) => void;
  unlink?: (path: string, cb: Cb) => void;
  rename?: (src: string, dest: string, cb: Cb) => void;
  link?: (src: string, dest: string, cb: Cb) => void;
  symlink?: (src: string, dest: string, cb: Cb) => void;
  truncate?: (path: string, size: number, cb: Cb) => void;
  ftruncate?: (path: string, fd: number, size: number, cb: Cb) => void;
  chmod?: (path: string, mode: number, cb: Cb) => void;
  chown?: (path: string, uid: number, gid: number, cb: Cb) => void;
  utimens?: (path: string, atime: Date, mtime: Date, cb: Cb) => void;
  readlink?: (path: string, cb: (err: number, link?: string) => void) => void;
  setxattr?: (path: string, name: string, value: Buffer, size: number, flags: number, cb: Cb) => void;
  getxattr?: (path: string, name: string, size: number, cb: Cb) => void;
  listxattr?: (path: string, cb: (err: number, list?: string[]) => void) => void;
  removexattr?: (path: string, name: string, cb: Cb) => void;
}

export interface FuseOptions {
  fsname?: string;
  subtype?: string;
  autoUnmount?: boolean;
  /** ms after which fuse-native answers ETIMEDOUT for a callback that has not called back. */
  timeout?: number;
  debug?: boolean;
}

export interface FuseMount {
  mount(cb: (err: Error | null) => void): void;
  unmount(cb: (err: Error | null) => void): void;
}

export type FuseCtor = new (mnt: string, ops: FuseOps, opts: FuseOptions) => FuseMount;

let cached: FuseCtor | null = null;

/** The native binding's constructor; throws with the loader's words when it cannot load. */
export function loadFuse(): FuseCtor {
  cached ??= createRequire(import.meta.url)("@cocalc/fuse-native") as FuseCtor;
  return cached;
}
