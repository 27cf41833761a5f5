// Standard base64 (RFC 4648, with padding): how the text surfaces show binary files.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** Encodes `n` bytes at `p` (ASCII out, so it is built as bytes and decoded once). */
export function base64(p: usize, n: i32): string {
  const out = new Uint8Array(((n + 2) / 3) * 4);
  const o = out.dataStart;
  let j: usize = 0;
  for (let i = 0; i < n; i += 3) {
    const k = n - i;
    const b0 = <u32>load<u8>(p + <usize>i);
    const b1 = k > 1 ? <u32>load<u8>(p + <usize>i + 1) : 0;
    const b2 = k > 2 ? <u32>load<u8>(p + <usize>i + 2) : 0;
    const v = (b0 << 16) | (b1 << 8) | b2;
    store<u8>(o + j, <u8>ALPHABET.charCodeAt((v >> 18) & 63));
    store<u8>(o + j + 1, <u8>ALPHABET.charCodeAt((v >> 12) & 63));
    store<u8>(o + j + 2, k > 1 ? <u8>ALPHABET.charCodeAt((v >> 6) & 63) : 0x3d);
    store<u8>(o + j + 3, k > 2 ? <u8>ALPHABET.charCodeAt(v & 63) : 0x3d);
    j += 4;
  }
  return String.UTF8.decodeUnsafe(o, j, false);
}

function b64Digit(c: i32): i32 {
  if (c >= 0x41 && c <= 0x5a) return c - 0x41;
  if (c >= 0x61 && c <= 0x7a) return c - 0x61 + 26;
  if (c >= 0x30 && c <= 0x39) return c - 0x30 + 52;
  if (c == 0x2b) return 62;
  if (c == 0x2f) return 63;
  return -1;
}

/**
 * Decodes `n` ASCII bytes at `p` of strict standard base64 (padded, length a multiple of 4,
 * `=` only at the end); null for anything else. Empty input decodes to an empty array.
 */
export function base64DecodeBytes(p: usize, n: i32): Uint8Array | null {
  if (n % 4 != 0) return null;
  if (n == 0) return new Uint8Array(0);
  let pad = 0;
  if (load<u8>(p + <usize>(n - 1)) == 0x3d) pad++;
  if (load<u8>(p + <usize>(n - 2)) == 0x3d) pad++;
  const out = new Uint8Array((n / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < n; i += 4) {
    const last = i + 4 == n;
    const a = b64Digit(load<u8>(p + <usize>i));
    const b = b64Digit(load<u8>(p + <usize>i + 1));
    const c2 = <i32>load<u8>(p + <usize>i + 2);
    const c3 = <i32>load<u8>(p + <usize>i + 3);
    const c = last && pad == 2 && c2 == 0x3d ? 0 : b64Digit(c2);
    const d = last && pad >= 1 && c3 == 0x3d ? 0 : b64Digit(c3);
    if (a < 0 || b < 0 || c < 0 || d < 0) return null;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o++] = <u8>(v >> 16);
    if (o < out.length) out[o++] = <u8>((v >> 8) & 0xff);
    if (o < out.length) out[o++] = <u8>(v & 0xff);
  }
  return out;
}

/** Decodes a base64 string (ASCII); null when it is not strict standard base64. */
export function base64Decode(s: string): Uint8Array | null {
  const b = String.UTF8.encode(s, false);
  if (b.byteLength != s.length) return null; // non-ASCII
  return base64DecodeBytes(changetype<usize>(b), b.byteLength);
}
