// A bounded CBOR (RFC 8949) reader for untrusted input (CAS manifests arrive from the network).
// Definite lengths only; every length is checked against the bytes left *and* a caller's bound
// before anything is read, nesting is bounded, and nothing ever reads past `len`.
//
// Errors are Result-style without exceptions (AssemblyScript has none that the core may raise):
// the first error sticks in `err` (+ a short `reason`), every later call is a no-op that returns a
// zero value, so a decoder can read a whole structure and check `ok()` where it matters.

import { validUtf8 } from "../text/utf8";

export enum CborErr {
  None = 0,
  /** The input ended inside an item (more bytes may still come). */
  Eof = 1,
  /** Malformed or unwanted encoding (wrong major type, reserved additional info, …). */
  Invalid = 2,
  /** A length or count over the caller's bound. */
  TooLong = 3,
  /** Nesting deeper than the reader's bound. */
  Depth = 4,
  /** A text string that is not valid UTF-8. */
  Utf8 = 5,
  /** Bytes after the last item. */
  Trailing = 6,
}

export const MAJOR_UINT: i32 = 0;
export const MAJOR_NINT: i32 = 1;
export const MAJOR_BYTES: i32 = 2;
export const MAJOR_TEXT: i32 = 3;
export const MAJOR_ARRAY: i32 = 4;
export const MAJOR_MAP: i32 = 5;
export const MAJOR_TAG: i32 = 6;
export const MAJOR_SIMPLE: i32 = 7;

const NULL_BYTE: u8 = 0xf6;

export class CborReader {
  pos: i32 = 0;
  err: CborErr = CborErr.None;
  /** A short reason for `err` ("" when none), e.g. "unexpected major type". */
  reason: string = "";
  /** Where the last bytes()/text() item's content starts (absolute address) and its length. */
  itemPtr: usize = 0;
  itemLen: i32 = 0;

  /**
   * `canonical`: refuse integers and lengths not in their shortest form (deterministic encoding,
   * RFC 8949 §4.2.1), so one value has one encoding — what a signature over a re-encoding needs.
   */
  constructor(public ptr: usize, public len: i32, public maxDepth: i32 = 8, public canonical: bool = true) {}

  ok(): bool {
    return this.err == CborErr.None;
  }

  fail(err: CborErr, reason: string): void {
    if (this.err != CborErr.None) return;
    this.err = err;
    this.reason = reason;
  }

  atEnd(): bool {
    return this.pos >= this.len;
  }

  /** The next item's major type (7 for simple values such as null), or −1 at the end / on error. */
  peekMajor(): i32 {
    if (!this.ok() || this.pos >= this.len) return -1;
    return <i32>(load<u8>(this.ptr + <usize>this.pos) >> 5);
  }

  peekNull(): bool {
    return this.ok() && this.pos < this.len && load<u8>(this.ptr + <usize>this.pos) == NULL_BYTE;
  }

  /** Reads one head of major type `major`; returns its argument (0 on error). */
  head(major: i32): u64 {
    if (!this.ok()) return 0;
    if (this.pos >= this.len) {
      this.fail(CborErr.Eof, "unexpected end");
      return 0;
    }
    const b = load<u8>(this.ptr + <usize>this.pos);
    if (b == NULL_BYTE && major != MAJOR_SIMPLE) {
      this.fail(CborErr.Invalid, "unexpected null");
      return 0;
    }
    if (<i32>(b >> 5) != major) {
      this.fail(CborErr.Invalid, "unexpected major type");
      return 0;
    }
    const info = <i32>(b & 31);
    if (info < 24) {
      this.pos += 1;
      return <u64>info;
    }
    if (info > 27) {
      this.fail(CborErr.Invalid, "invalid additional value");
      return 0;
    }
    const w = 1 << (info - 24); // 1, 2, 4 or 8 bytes follow
    if (this.len - this.pos - 1 < w) {
      this.fail(CborErr.Eof, "unexpected end");
      return 0;
    }
    let v: u64 = 0;
    for (let k = 1; k <= w; k++) v = (v << 8) | <u64>load<u8>(this.ptr + <usize>(this.pos + k));
    if (this.canonical) {
      const shortest = v < 24 ? 0 : v <= 0xff ? 1 : v <= 0xffff ? 2 : v <= 0xffffffff ? 4 : 8;
      if (shortest != w) {
        this.fail(CborErr.Invalid, "non-canonical length");
        return 0;
      }
    }
    this.pos += 1 + w;
    return v;
  }

  uint(): u64 {
    return this.head(MAJOR_UINT);
  }

  null(): void {
    if (!this.ok()) return;
    if (this.pos >= this.len) {
      this.fail(CborErr.Eof, "unexpected end");
      return;
    }
    if (load<u8>(this.ptr + <usize>this.pos) != NULL_BYTE) {
      this.fail(CborErr.Invalid, "expected null");
      return;
    }
    this.pos += 1;
  }

  /** An array head with at most `max` items; returns the count. */
  arrayLen(max: i32): i32 {
    return this.count(MAJOR_ARRAY, max);
  }

  mapLen(max: i32): i32 {
    return this.count(MAJOR_MAP, max);
  }

  private count(major: i32, max: i32): i32 {
    const n = this.head(major);
    if (!this.ok()) return 0;
    if (n > <u64>max) {
      this.fail(CborErr.TooLong, major == MAJOR_MAP ? "map too long" : "array too long");
      return 0;
    }
    return <i32>n;
  }

  /**
   * A byte string of at most `max` bytes: sets itemPtr/itemLen (no copy). A declared length past
   * the end is Eof only when it is within `max` (so a huge bogus length is TooLong, not "wait").
   */
  bytes(max: i32): bool {
    return this.str(MAJOR_BYTES, max);
  }

  /** A UTF-8 text string of at most `max` bytes, decoded ("" on error). */
  text(max: i32): string {
    if (!this.str(MAJOR_TEXT, max)) return "";
    if (!validUtf8(this.itemPtr, <usize>this.itemLen)) {
      this.fail(CborErr.Utf8, "invalid utf-8");
      return "";
    }
    return String.UTF8.decodeUnsafe(this.itemPtr, <usize>this.itemLen);
  }

  private str(major: i32, max: i32): bool {
    const n = this.head(major);
    if (!this.ok()) return false;
    if (n > <u64>max) {
      this.fail(CborErr.TooLong, major == MAJOR_TEXT ? "text too long" : "bytes too long");
      return false;
    }
    return this.take(<i32>n);
  }

  /** The next `n` raw bytes (a string's content after its head): sets itemPtr/itemLen. */
  take(n: i32): bool {
    if (!this.ok()) return false;
    if (n < 0 || this.len - this.pos < n) {
      this.fail(CborErr.Eof, "unexpected end");
      return false;
    }
    this.itemPtr = this.ptr + <usize>this.pos;
    this.itemLen = n;
    this.pos += n;
    return true;
  }

  /** Skips one item of any supported type (uint, nint, bytes, text, array, map, simple), bounded by depth. */
  skip(): void {
    this.skipAt(0);
  }

  private skipAt(depth: i32): void {
    if (!this.ok()) return;
    if (depth >= this.maxDepth) {
      this.fail(CborErr.Depth, "nesting too deep");
      return;
    }
    const m = this.peekMajor();
    if (m < 0) {
      this.fail(CborErr.Eof, "unexpected end");
      return;
    }
    if (m == MAJOR_UINT || m == MAJOR_NINT) {
      this.head(m);
    } else if (m == MAJOR_BYTES || m == MAJOR_TEXT) {
      this.str(m, 0x7fffffff);
    } else if (m == MAJOR_ARRAY || m == MAJOR_MAP) {
      const n = this.head(m);
      // Each item takes at least one byte, so a count over the bytes left can only end in Eof:
      // say so now instead of looping over a bogus 2^64.
      if (!this.ok()) return;
      const items = m == MAJOR_MAP ? n * 2 : n;
      if (n > <u64>this.len || items > <u64>(this.len - this.pos)) {
        this.fail(CborErr.Eof, "unexpected end");
        return;
      }
      for (let i: u64 = 0; i < items && this.ok(); i++) this.skipAt(depth + 1);
    } else if (m == MAJOR_SIMPLE) {
      const b = load<u8>(this.ptr + <usize>this.pos);
      // false, true, null, undefined only: floats and other simple values are not part of our formats.
      if (b < 0xf4 || b > 0xf7) {
        this.fail(CborErr.Invalid, "unsupported simple value");
        return;
      }
      this.pos += 1;
    } else {
      this.fail(CborErr.Invalid, "tags are not supported");
    }
  }

  /** Succeeds only if every byte was consumed. */
  finish(): void {
    if (this.ok() && this.pos != this.len) this.fail(CborErr.Trailing, "trailing bytes");
  }
}
