// Secure9P codec: bounded 9P2000.L (and the original's classic Topen/Rerror dialect).
// A frame is size[4] type[1] tag[2] body, little-endian, size counting the whole frame. Each
// T-message body is described by a short layout string, so one bounds-checked reader decodes
// them all: a malformed frame becomes an errno value, never a trap and never a partial message.

import { CONSOLE_FRAME_MAX, NAMESPACE_COMPONENT_MAX, NAMESPACE_WALK_DEPTH } from "../generated/manifest";
import { validUtf8 } from "../text/utf8";

export const P9_MSIZE_MAX: u32 = <u32>CONSOLE_FRAME_MAX; // 8192
export const P9_MSIZE_MIN: u32 = 256; // room for the largest fixed reply (Rgetattr, 160 bytes)
export const P9_HEADER: u32 = 7;
export const NOTAG: u16 = 0xffff;
export const NOFID: u32 = 0xffffffff;

// Message types (9P2000.L numbering; the classic ones the original used keep theirs).
export const T_STATFS: u8 = 8;
export const R_LERROR: u8 = 7;
export const T_LOPEN: u8 = 12;
export const T_LCREATE: u8 = 14;
export const T_SYMLINK: u8 = 16;
export const T_MKNOD: u8 = 18;
export const T_RENAME: u8 = 20;
export const T_READLINK: u8 = 22;
export const T_GETATTR: u8 = 24;
export const T_SETATTR: u8 = 26;
export const T_XATTRWALK: u8 = 30;
export const T_XATTRCREATE: u8 = 32;
export const T_READDIR: u8 = 40;
export const T_FSYNC: u8 = 50;
export const T_LOCK: u8 = 52;
export const T_GETLOCK: u8 = 54;
export const T_LINK: u8 = 70;
export const T_MKDIR: u8 = 72;
export const T_RENAMEAT: u8 = 74;
export const T_UNLINKAT: u8 = 76;
export const T_VERSION: u8 = 100;
export const T_AUTH: u8 = 102;
export const T_ATTACH: u8 = 104;
export const R_ERROR: u8 = 107;
export const T_FLUSH: u8 = 108;
export const T_WALK: u8 = 110;
export const T_OPEN: u8 = 112;
export const T_CREATE: u8 = 114;
export const T_READ: u8 = 116;
export const T_WRITE: u8 = 118;
export const T_CLUNK: u8 = 120;
export const T_REMOVE: u8 = 122;
export const T_STAT: u8 = 124;
export const T_WSTAT: u8 = 126;

// Linux errno values carried by Rlerror.
export const EPERM: u32 = 1;
export const ENOENT: u32 = 2;
export const EIO: u32 = 5;
export const EAGAIN: u32 = 11;
export const EBADF: u32 = 9;
export const EACCES: u32 = 13;
export const EBUSY: u32 = 16;
export const ENOTDIR: u32 = 20;
export const EISDIR: u32 = 21;
export const EINVAL: u32 = 22;
export const EMFILE: u32 = 24;
export const EFBIG: u32 = 27;
export const EROFS: u32 = 30;
export const ENAMETOOLONG: u32 = 36;
export const EPROTO: u32 = 71;
export const EMSGSIZE: u32 = 90;
export const EOPNOTSUPP: u32 = 95;
export const EDQUOT: u32 = 122;

// Body layouts: 1/2/4/8 = integers of that many bytes, s = string, W = walk names
// (nwname[2] + strings), D = count[4] + that many data bytes, ? = the rest is optional.
function layout(t: u8): string {
  switch (t) {
    case T_VERSION: return "4s";
    case T_AUTH: return "4ss4";
    case T_ATTACH: return "44ss?4"; // n_uname: 9P2000.L always sends it, classic clients may not
    case T_FLUSH: return "2";
    case T_WALK: return "44W";
    case T_OPEN: return "41";
    case T_READ: return "484";
    case T_WRITE: return "48D";
    case T_CLUNK: return "4";
    case T_REMOVE: return "4";
    case T_STATFS: return "4";
    case T_LOPEN: return "44";
    case T_LCREATE: return "4s444";
    case T_SYMLINK: return "4ss4";
    case T_MKNOD: return "4s4444";
    case T_RENAME: return "44s";
    case T_READLINK: return "4";
    case T_GETATTR: return "48";
    case T_SETATTR: return "4444488888";
    case T_XATTRWALK: return "44s";
    case T_XATTRCREATE: return "4s84";
    case T_READDIR: return "484";
    case T_FSYNC: return "4?4";
    case T_LOCK: return "414884s";
    case T_GETLOCK: return "41884s";
    case T_LINK: return "44s";
    case T_MKDIR: return "4s44";
    case T_RENAMEAT: return "4s4s";
    case T_UNLINKAT: return "4s4";
    case T_CREATE: return "4s41";
    case T_STAT: return "4";
    default: return "";
  }
}

/** One decoded T-message. `err` != 0 means refused; `tag` is valid whenever `hasTag`. */
export class TMsg {
  type: u8 = 0;
  tag: u16 = 0;
  hasTag: bool = false;
  err: u32 = 0;
  known: bool = false;
  ints: u64[] = []; // the integer fields in layout order
  strs: string[] = []; // the string fields in layout order
  names: string[] = []; // walk names
  dataOff: i32 = 0; // Twrite data: offset into the frame
  dataLen: i32 = 0;

  int(i: i32): u64 {
    return i < this.ints.length ? this.ints[i] : 0;
  }

  str(i: i32): string {
    return i < this.strs.length ? this.strs[i] : "";
  }
}

/**
 * Decodes one whole frame (`len` bytes at `ptr`, the declared size already equal to `len`).
 * Never reads outside [ptr, ptr+len).
 */
export function decodeT(ptr: usize, len: u32): TMsg {
  const m = new TMsg();
  if (len < P9_HEADER || load<u32>(ptr) != len) {
    m.err = EPROTO;
    if (len >= P9_HEADER) m.hasTag = true;
    if (m.hasTag) m.tag = load<u16>(ptr + 5);
    return m;
  }
  m.type = load<u8>(ptr + 4);
  m.tag = load<u16>(ptr + 5);
  m.hasTag = true;
  const lay = layout(m.type);
  if (lay.length == 0) {
    m.err = EOPNOTSUPP;
    return m;
  }
  m.known = true;
  let at: u32 = P9_HEADER;
  for (let i = 0; i < lay.length; i++) {
    const c = lay.charCodeAt(i);
    if (c == 0x3f) { // '?'
      if (at == len) break;
      continue;
    }
    if (c >= 0x31 && c <= 0x38) {
      const n = <u32>(c - 0x30);
      if (len - at < n) return fail(m, EPROTO);
      let v: u64 = 0;
      if (n == 1) v = <u64>load<u8>(ptr + at);
      else if (n == 2) v = <u64>load<u16>(ptr + at);
      else if (n == 4) v = <u64>load<u32>(ptr + at);
      else v = load<u64>(ptr + at);
      m.ints.push(v);
      at += n;
    } else if (c == 0x73) { // 's'
      const e = readStr(ptr, len, at, m.strs);
      if (e != 0) return fail(m, e);
      at += 2 + <u32>load<u16>(ptr + at);
    } else if (c == 0x57) { // 'W'
      if (len - at < 2) return fail(m, EPROTO);
      const n = <i32>load<u16>(ptr + at);
      at += 2;
      if (n > NAMESPACE_WALK_DEPTH) return fail(m, EINVAL);
      for (let k = 0; k < n; k++) {
        const e = readStr(ptr, len, at, m.names);
        if (e != 0) return fail(m, e);
        at += 2 + <u32>load<u16>(ptr + at);
        const e2 = checkName(m.names[k]);
        if (e2 != 0) return fail(m, e2);
      }
    } else if (c == 0x44) { // 'D'
      if (len - at < 4) return fail(m, EPROTO);
      const n = load<u32>(ptr + at);
      at += 4;
      if (n > len - at) return fail(m, EPROTO);
      m.dataOff = <i32>at;
      m.dataLen = <i32>n;
      at += n;
    }
  }
  if (at != len) return fail(m, EPROTO); // trailing bytes: the declared size lies about the body
  return m;
}

function fail(m: TMsg, e: u32): TMsg {
  m.err = e;
  m.ints.length = 0;
  m.strs.length = 0;
  m.names.length = 0;
  return m;
}

/** u16 length + UTF-8 without NUL; 0 or an errno. */
function readStr(ptr: usize, len: u32, at: u32, out: string[]): u32 {
  if (len - at < 2) return EPROTO;
  const n = <u32>load<u16>(ptr + at);
  if (n > len - at - 2) return EPROTO;
  const p = ptr + <usize>at + 2;
  if (!validUtf8(p, <usize>n)) return EINVAL;
  for (let i: u32 = 0; i < n; i++) if (load<u8>(p + <usize>i) == 0) return EINVAL;
  out.push(String.UTF8.decodeUnsafe(p, <usize>n, false));
  return 0;
}

/** A walk component: non-empty, no '/', not "." or "..", at most component_max bytes. */
export function checkName(s: string): u32 {
  if (s.length == 0 || s == "." || s == ".." || s.indexOf("/") >= 0) return EINVAL;
  if (String.UTF8.byteLength(s) > NAMESPACE_COMPONENT_MAX) return ENAMETOOLONG;
  return 0;
}

// Qid type bits.
export const QT_DIR: u8 = 0x80;
export const QT_APPEND: u8 = 0x40;
export const QT_FILE: u8 = 0;

export class Qid {
  constructor(public type: u8, public version: u32, public path: u64) {}
}

/** Builds one R-message in a fixed buffer of msize bytes; overflow marks it `over`. */
export class Writer {
  buf: Uint8Array = new Uint8Array(<i32>P9_MSIZE_MAX);
  at: i32 = 0;
  over: bool = false;

  begin(type: u8, tag: u16): Writer {
    this.at = 0;
    this.over = false;
    this.u32(0);
    this.u8(type);
    this.u16(tag);
    return this;
  }

  private room(n: i32): bool {
    if (this.at + n > this.buf.length) {
      this.over = true;
      return false;
    }
    return true;
  }

  u8(v: u8): Writer {
    if (this.room(1)) store<u8>(this.buf.dataStart + <usize>this.at, v);
    if (!this.over) this.at += 1;
    return this;
  }

  u16(v: u16): Writer {
    if (this.room(2)) store<u16>(this.buf.dataStart + <usize>this.at, v);
    if (!this.over) this.at += 2;
    return this;
  }

  u32(v: u32): Writer {
    if (this.room(4)) store<u32>(this.buf.dataStart + <usize>this.at, v);
    if (!this.over) this.at += 4;
    return this;
  }

  u64(v: u64): Writer {
    if (this.room(8)) store<u64>(this.buf.dataStart + <usize>this.at, v);
    if (!this.over) this.at += 8;
    return this;
  }

  str(s: string): Writer {
    const n = String.UTF8.byteLength(s);
    if (n > 0xffff || !this.room(2 + n)) {
      this.over = true;
      return this;
    }
    this.u16(<u16>n);
    String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, this.buf.dataStart + <usize>this.at);
    this.at += n;
    return this;
  }

  bytes(ptr: usize, n: i32): Writer {
    if (!this.room(n)) return this;
    memory.copy(this.buf.dataStart + <usize>this.at, ptr, <usize>n);
    this.at += n;
    return this;
  }

  qid(q: Qid): Writer {
    return this.u8(q.type).u32(q.version).u64(q.path);
  }

  /** Patches the size field; returns the frame length. */
  end(): i32 {
    store<u32>(this.buf.dataStart, <u32>this.at);
    return this.at;
  }
}

/** The original's Rerror code for an errno (reference §3.4). */
export function classicCode(e: u32): string {
  if (e == EPERM || e == EACCES || e == EROFS) return "Permission";
  if (e == ENOENT) return "NotFound";
  if (e == EBUSY || e == EMFILE || e == EAGAIN) return "Busy";
  if (e == EMSGSIZE || e == EFBIG || e == EDQUOT) return "TooBig";
  if (e == EBADF) return "Closed";
  return "Invalid";
}
