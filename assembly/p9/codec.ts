// Secure9P codec: bounded 9P2000.L (and the original's classic Topen/Rerror dialect).
// A frame is size[4] type[1] tag[2] body, little-endian, size counting the whole frame. Each
// T-message body is described by a short layout string, so one bounds-checked reader decodes
// them all: a malformed frame becomes an errno value, never a trap and never a partial message.

import { CONSOLE_FRAME_MAX, NAMESPACE_WALK_DEPTH } from "../generated/manifest";
import { validUtf8 } from "../text/utf8";
import { checkComponent, COMPONENT_OK, COMPONENT_TOO_LONG } from "../ninedoor/path";
import { EINVAL, ENAMETOOLONG, EOPNOTSUPP, EPROTO, p9Layout } from "../generated/protocol";

export const P9_MSIZE_MAX: u32 = <u32>CONSOLE_FRAME_MAX; // 8192
export const P9_MSIZE_MIN: u32 = 256; // room for the largest fixed reply (Rgetattr, 160 bytes)
export const P9_HEADER: u32 = 7;
export const NOTAG: u16 = 0xffff;
export const NOFID: u32 = 0xffffffff;

// Message types, errno values, request layouts and classic words come from the protocol spec
// (host/coh-rtc/protocol.ts, generated into ../generated/protocol.ts), so the host client and
// this decoder cannot disagree. A layout is 1/2/4/8 = integers of that many bytes, s = string,
// W = walk names (nwname[2] + strings), D = count[4] + that many data bytes, ? = the rest is
// optional.

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
  const lay = p9Layout(m.type);
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

/** A walk component, by the namespace's one path rule: EINVAL, ENAMETOOLONG or 0. */
export function checkName(s: string): u32 {
  const e = checkComponent(s);
  if (e == COMPONENT_TOO_LONG) return ENAMETOOLONG;
  return e == COMPONENT_OK ? 0 : EINVAL;
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
