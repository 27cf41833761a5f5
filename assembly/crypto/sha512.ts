// SHA-512 (FIPS 180-4), the hash inside Ed25519 (RFC 8032 §5.1). Streaming, so the verifier can
// hash R ‖ A ‖ message without first copying them into one buffer; allocation-free (one static
// state: callers never interleave two digests — Ed25519 verification is the only user).

// First 64 bits of the fractional parts of the cube roots of the first 80 primes (FIPS 180-4 §4.2.3).
const K: StaticArray<u64> = [
  0x428a2f98d728ae22, 0x7137449123ef65cd, 0xb5c0fbcfec4d3b2f, 0xe9b5dba58189dbbc,
  0x3956c25bf348b538, 0x59f111f1b605d019, 0x923f82a4af194f9b, 0xab1c5ed5da6d8118,
  0xd807aa98a3030242, 0x12835b0145706fbe, 0x243185be4ee4b28c, 0x550c7dc3d5ffb4e2,
  0x72be5d74f27b896f, 0x80deb1fe3b1696b1, 0x9bdc06a725c71235, 0xc19bf174cf692694,
  0xe49b69c19ef14ad2, 0xefbe4786384f25e3, 0x0fc19dc68b8cd5b5, 0x240ca1cc77ac9c65,
  0x2de92c6f592b0275, 0x4a7484aa6ea6e483, 0x5cb0a9dcbd41fbd4, 0x76f988da831153b5,
  0x983e5152ee66dfab, 0xa831c66d2db43210, 0xb00327c898fb213f, 0xbf597fc7beef0ee4,
  0xc6e00bf33da88fc2, 0xd5a79147930aa725, 0x06ca6351e003826f, 0x142929670a0e6e70,
  0x27b70a8546d22ffc, 0x2e1b21385c26c926, 0x4d2c6dfc5ac42aed, 0x53380d139d95b3df,
  0x650a73548baf63de, 0x766a0abb3c77b2a8, 0x81c2c92e47edaee6, 0x92722c851482353b,
  0xa2bfe8a14cf10364, 0xa81a664bbc423001, 0xc24b8b70d0f89791, 0xc76c51a30654be30,
  0xd192e819d6ef5218, 0xd69906245565a910, 0xf40e35855771202a, 0x106aa07032bbd1b8,
  0x19a4c116b8d2d0c8, 0x1e376c085141ab53, 0x2748774cdf8eeb99, 0x34b0bcb5e19b48a8,
  0x391c0cb3c5c95a63, 0x4ed8aa4ae3418acb, 0x5b9cca4f7763e373, 0x682e6ff3d6b2b8a3,
  0x748f82ee5defb2fc, 0x78a5636f43172f60, 0x84c87814a1f0ab72, 0x8cc702081a6439ec,
  0x90befffa23631e28, 0xa4506cebde82bde9, 0xbef9a3f7b2c67915, 0xc67178f2e372532b,
  0xca273eceea26619c, 0xd186b8c721c0c207, 0xeada7dd6cde0eb1e, 0xf57d4f7fee6ed178,
  0x06f067aa72176fba, 0x0a637dc5a2c898a6, 0x113f9804bef90dae, 0x1b710b35131c471b,
  0x28db77f523047d84, 0x32caab7b40c72493, 0x3c9ebe0a15c9bebc, 0x431d67c49c100d4c,
  0x4cc5d4becb3e42b6, 0x597f299cfc657e2a, 0x5fcb6fab3ad6faec, 0x6c44198c4a475817,
];

const W = new StaticArray<u64>(80);
const H = new StaticArray<u64>(8);
const BUF = new StaticArray<u8>(128);
let bufLen: usize = 0;
// Message length in bytes; 2^64 bytes is far beyond anything the core holds, so the high half of
// the 128-bit length field is always zero.
let total: u64 = 0;

function compress(block: usize): void {
  for (let t = 0; t < 16; t++) W[t] = bswap<u64>(load<u64>(block + <usize>(t * 8)));
  for (let t = 16; t < 80; t++) {
    const a = W[t - 15];
    const b = W[t - 2];
    const s0 = rotr<u64>(a, 1) ^ rotr<u64>(a, 8) ^ (a >>> 7);
    const s1 = rotr<u64>(b, 19) ^ rotr<u64>(b, 61) ^ (b >>> 6);
    W[t] = W[t - 16] + s0 + W[t - 7] + s1;
  }
  let a = H[0], b = H[1], c = H[2], d = H[3], e = H[4], f = H[5], g = H[6], h = H[7];
  for (let t = 0; t < 80; t++) {
    const t1 = h + (rotr<u64>(e, 14) ^ rotr<u64>(e, 18) ^ rotr<u64>(e, 41)) + ((e & f) ^ (~e & g)) + K[t] + W[t];
    const t2 = (rotr<u64>(a, 28) ^ rotr<u64>(a, 34) ^ rotr<u64>(a, 39)) + ((a & b) ^ (a & c) ^ (b & c));
    h = g; g = f; f = e; e = d + t1; d = c; c = b; b = a; a = t1 + t2;
  }
  H[0] += a; H[1] += b; H[2] += c; H[3] += d; H[4] += e; H[5] += f; H[6] += g; H[7] += h;
}

/** Starts a new digest (discarding any unfinished one). */
export function sha512Init(): void {
  // Square roots of the first 8 primes (FIPS 180-4 §5.3.5).
  H[0] = 0x6a09e667f3bcc908; H[1] = 0xbb67ae8584caa73b; H[2] = 0x3c6ef372fe94f82b; H[3] = 0xa54ff53a5f1d36f1;
  H[4] = 0x510e527fade682d1; H[5] = 0x9b05688c2b3e6c1f; H[6] = 0x1f83d9abfb41bd6b; H[7] = 0x5be0cd19137e2179;
  bufLen = 0;
  total = 0;
}

/** Feeds `len` bytes at `ptr`. */
export function sha512Update(ptr: usize, len: usize): void {
  const buf = changetype<usize>(BUF);
  total += <u64>len;
  let off: usize = 0;
  if (bufLen > 0) {
    const take = min<usize>(128 - bufLen, len);
    memory.copy(buf + bufLen, ptr, take);
    bufLen += take;
    off = take;
    if (bufLen < 128) return;
    compress(buf);
    bufLen = 0;
  }
  while (len - off >= 128) {
    compress(ptr + off);
    off += 128;
  }
  if (off < len) {
    memory.copy(buf, ptr + off, len - off);
    bufLen = len - off;
  }
}

/** Finishes the digest: 64 bytes to `out`. */
export function sha512Final(out: usize): void {
  const buf = changetype<usize>(BUF);
  store<u8>(buf + bufLen, 0x80);
  memory.fill(buf + bufLen + 1, 0, 127 - bufLen);
  if (bufLen >= 112) {
    compress(buf);
    memory.fill(buf, 0, 128);
  }
  store<u64>(buf + 112, 0);
  store<u64>(buf + 120, bswap<u64>(total << 3));
  compress(buf);
  for (let i = 0; i < 8; i++) store<u64>(out + <usize>(i * 8), bswap<u64>(H[i]));
  bufLen = 0;
}

/** SHA-512 of `len` bytes at `ptr`, 64 bytes to `out`. */
export function sha512(ptr: usize, len: usize, out: usize): void {
  sha512Init();
  sha512Update(ptr, len);
  sha512Final(out);
}
