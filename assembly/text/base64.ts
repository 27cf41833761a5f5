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
