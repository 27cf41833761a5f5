// A streaming SHA-256 for chunks that arrive a segment at a time: each append costs only its own
// bytes, and `matches()` checks the digest so far without ending the stream (so a chunk commits
// the moment its bytes hash to its name, whatever its size — chunks come before their manifest).

import { sha256Compress } from "../crypto/sha256";

const IV: StaticArray<u32> = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
const TMP_H = new StaticArray<u32>(8);
const TMP_BLOCK = new StaticArray<u8>(128);

export class Sha256Stream {
  h: StaticArray<u32> = new StaticArray<u32>(8);
  buf: StaticArray<u8> = new StaticArray<u8>(64);
  bufLen: i32 = 0;
  total: u64 = 0;

  constructor() {
    this.reset();
  }

  reset(): void {
    for (let i = 0; i < 8; i++) this.h[i] = IV[i];
    this.bufLen = 0;
    this.total = 0;
  }

  update(ptr: usize, len: i32): void {
    const buf = changetype<usize>(this.buf);
    this.total += <u64>len;
    let off = 0;
    if (this.bufLen > 0) {
      const take = min<i32>(64 - this.bufLen, len);
      memory.copy(buf + <usize>this.bufLen, ptr, <usize>take);
      this.bufLen += take;
      off = take;
      if (this.bufLen < 64) return;
      sha256Compress(this.h, buf);
      this.bufLen = 0;
    }
    while (len - off >= 64) {
      sha256Compress(this.h, ptr + <usize>off);
      off += 64;
    }
    if (off < len) {
      memory.copy(buf, ptr + <usize>off, <usize>(len - off));
      this.bufLen = len - off;
    }
  }

  /** The digest of everything so far into `out` (32 bytes); the stream can go on after. */
  digest(out: usize): void {
    for (let i = 0; i < 8; i++) TMP_H[i] = this.h[i];
    const blk = changetype<usize>(TMP_BLOCK);
    memory.copy(blk, changetype<usize>(this.buf), <usize>this.bufLen);
    store<u8>(blk + <usize>this.bufLen, 0x80);
    const blocks = this.bufLen >= 56 ? 2 : 1;
    memory.fill(blk + <usize>this.bufLen + 1, 0, <usize>(blocks * 64 - this.bufLen - 1));
    store<u64>(blk + <usize>(blocks * 64 - 8), bswap<u64>(this.total * 8));
    for (let b = 0; b < blocks; b++) sha256Compress(TMP_H, blk + <usize>(b * 64));
    for (let i = 0; i < 8; i++) store<u32>(out + <usize>(i * 4), bswap<u32>(TMP_H[i]));
  }
}
