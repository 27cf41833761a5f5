// SHA-256 (FIPS 180-4) for shard labels and content hashes. Small and allocation-free per
// block; the message schedule lives in one static 64-word buffer.

const K: StaticArray<u32> = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];

const W = new StaticArray<u32>(64);
const H = new StaticArray<u32>(8);
const BLOCK = new StaticArray<u8>(64);

/** One 64-byte block into `H` (exported with its state so a streaming digest can share it). */
export function sha256Compress(H: StaticArray<u32>, block: usize): void {
  for (let t = 0; t < 16; t++) W[t] = bswap<u32>(load<u32>(block + <usize>(t * 4)));
  for (let t = 16; t < 64; t++) {
    const a = W[t - 15];
    const b = W[t - 2];
    const s0 = rotr<u32>(a, 7) ^ rotr<u32>(a, 18) ^ (a >>> 3);
    const s1 = rotr<u32>(b, 17) ^ rotr<u32>(b, 19) ^ (b >>> 10);
    W[t] = W[t - 16] + s0 + W[t - 7] + s1;
  }
  let a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
  for (let t = 0; t < 64; t++) {
    const t1 = h + (rotr<u32>(e, 6) ^ rotr<u32>(e, 11) ^ rotr<u32>(e, 25)) + ((e & f) ^ (~e & g)) + K[t] + W[t];
    const t2 = (rotr<u32>(a, 2) ^ rotr<u32>(a, 13) ^ rotr<u32>(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  H[0] += a; H[1] += b; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += h;
}

/** SHA-256 of `len` bytes at `ptr`, written as 32 bytes to `out`. */
export function sha256(ptr: usize, len: usize, out: usize): void {
  H[0] = 0x6a09e667; H[1] = 0xbb67ae85; H[2] = 0x3c6ef372; H[3] = 0xa54ff53a;
  H[4] = 0x510e527f; H[5] = 0x9b05688c; H[6] = 0x1f83d9ab; H[7] = 0x5be0cd19;
  let off: usize = 0;
  while (len - off >= 64) {
    sha256Compress(H, ptr + off);
    off += 64;
  }
  const blk = changetype<usize>(BLOCK);
  const rest = len - off;
  memory.copy(blk, ptr + off, rest);
  store<u8>(blk + rest, 0x80);
  memory.fill(blk + rest + 1, 0, 63 - rest);
  if (rest >= 56) {
    sha256Compress(H, blk);
    memory.fill(blk, 0, 64);
  }
  const bits = <u64>len * 8;
  store<u64>(blk + 56, bswap<u64>(bits));
  sha256Compress(H, blk);
  for (let i = 0; i < 8; i++) store<u32>(out + <usize>(i * 4), bswap<u32>(H[i]));
}

/** SHA-256 of a string's UTF-8 bytes as lower-case hex. */
export function sha256Hex(s: string): string {
  const bytes = String.UTF8.encode(s, false);
  const digest = new ArrayBuffer(32);
  sha256(changetype<usize>(bytes), <usize>bytes.byteLength, changetype<usize>(digest));
  let hex = "";
  for (let i = 0; i < 32; i++) {
    const b = load<u8>(changetype<usize>(digest) + <usize>i);
    hex += (b < 16 ? "0" : "") + (<u32>b).toString(16);
  }
  return hex;
}
