// FNV-1a 64 (not a cryptographic hash): 9P qid paths and the replay sequence digest. It hashes
// the UTF-8 bytes of a string (WTF-8 for a lone surrogate, as String.UTF8.encode), produced on the
// fly from its UTF-16 units so no buffer is needed.

export const FNV1A_OFFSET: u64 = 0xcbf29ce484222325;
const FNV1A_PRIME: u64 = 0x100000001b3;

function mix(h: u64, b: u32): u64 {
  return (h ^ <u64>b) * FNV1A_PRIME;
}

/** FNV-1a 64 over the UTF-8 bytes of `s`, continuing from `h` (start with FNV1A_OFFSET). */
export function fnv1a(h: u64, s: string): u64 {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    let c = <u32>s.charCodeAt(i);
    if (c < 0x80) {
      h = mix(h, c);
      continue;
    }
    if ((c & 0xfc00) == 0xd800 && i + 1 < n && (<u32>s.charCodeAt(i + 1) & 0xfc00) == 0xdc00) {
      c = 0x10000 + ((c - 0xd800) << 10) + (<u32>s.charCodeAt(++i) - 0xdc00);
      h = mix(h, 0xf0 | (c >> 18));
      h = mix(h, 0x80 | ((c >> 12) & 0x3f));
    } else if (c >= 0x800) {
      h = mix(h, 0xe0 | (c >> 12));
    } else {
      h = mix(h, 0xc0 | (c >> 6));
      h = mix(h, 0x80 | (c & 0x3f));
      continue;
    }
    h = mix(h, 0x80 | ((c >> 6) & 0x3f));
    h = mix(h, 0x80 | (c & 0x3f));
  }
  return h;
}
