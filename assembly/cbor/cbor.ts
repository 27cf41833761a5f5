// A small CBOR (RFC 8949) encoder for the bundles the core hands out: definite lengths only, and
// integers in their shortest form unless the caller asks for a fixed width. Map key order is the
// caller's job (deterministic encoding wants keys sorted by their encoded bytes).

const MAJOR_UINT: u8 = 0;
const MAJOR_BYTES: u8 = 2;
const MAJOR_TEXT: u8 = 3;
const MAJOR_ARRAY: u8 = 4;
const MAJOR_MAP: u8 = 5;

/** Bytes the head of an item with argument `n` takes in shortest form (1, 2, 3, 5 or 9). */
export function headLen(n: u64): i32 {
  if (n < 24) return 1;
  if (n <= 0xff) return 2;
  if (n <= 0xffff) return 3;
  if (n <= 0xffffffff) return 5;
  return 9;
}

/** Writes the shortest head for (major, n) at `p`; returns the bytes written. */
export function writeHead(p: usize, major: u8, n: u64): i32 {
  const m = <u8>(major << 5);
  const k = headLen(n);
  if (k == 1) {
    store<u8>(p, m | <u8>n);
  } else if (k == 2) {
    store<u8>(p, m | 24);
    store<u8>(p + 1, <u8>n);
  } else if (k == 3) {
    store<u8>(p, m | 25);
    store<u16>(p + 1, bswap<u16>(<u16>n));
  } else if (k == 5) {
    store<u8>(p, m | 26);
    store<u32>(p + 1, bswap<u32>(<u32>n));
  } else {
    store<u8>(p, m | 27);
    store<u64>(p + 1, bswap<u64>(n));
  }
  return k;
}

/** An append-only byte buffer that grows by doubling. */
export class CborWriter {
  buf: Uint8Array = new Uint8Array(256);
  len: i32 = 0;

  reset(): CborWriter {
    this.len = 0;
    return this;
  }

  private room(n: i32): usize {
    if (this.len + n > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < this.len + n) cap *= 2;
      const b = new Uint8Array(cap);
      memory.copy(b.dataStart, this.buf.dataStart, <usize>this.len);
      this.buf = b;
    }
    const p = this.buf.dataStart + <usize>this.len;
    this.len += n;
    return p;
  }

  private head(major: u8, n: u64): CborWriter {
    writeHead(this.room(headLen(n)), major, n);
    return this;
  }

  uint(n: u64): CborWriter {
    return this.head(MAJOR_UINT, n);
  }

  /** An unsigned integer always in the 9-byte form (0x1b + 8 bytes), whatever its value. */
  uint64Fixed(n: u64): CborWriter {
    const p = this.room(9);
    store<u8>(p, 0x1b);
    store<u64>(p + 1, bswap<u64>(n));
    return this;
  }

  text(s: string): CborWriter {
    const n = String.UTF8.byteLength(s);
    this.head(MAJOR_TEXT, <u64>n);
    String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, this.room(n));
    return this;
  }

  bytes(p: usize, n: i32): CborWriter {
    this.head(MAJOR_BYTES, <u64>n);
    memory.copy(this.room(n), p, <usize>n);
    return this;
  }

  array(n: i32): CborWriter {
    return this.head(MAJOR_ARRAY, <u64>n);
  }

  map(n: i32): CborWriter {
    return this.head(MAJOR_MAP, <u64>n);
  }
}

/** Array heads are written in front of a body that is already encoded (see ninedoor/export.ts). */
export const CBOR_ARRAY: u8 = MAJOR_ARRAY;
