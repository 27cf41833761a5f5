// Cutting text to a byte budget without splitting a character.

/** Cuts `s` to at most `max` UTF-8 bytes, never inside a character. */
export function clipBytes(s: string, max: i32): string {
  if (String.UTF8.byteLength(s) <= max) return s;
  let n = s.length < max ? s.length : max; // every UTF-16 unit is at least one byte
  if (n > 0 && (s.charCodeAt(n - 1) & 0xfc00) == 0xd800) n--; // not half a surrogate pair
  let t = s.substring(0, n);
  while (String.UTF8.byteLength(t) > max) {
    n--;
    if (n > 0 && (s.charCodeAt(n - 1) & 0xfc00) == 0xd800) n--;
    t = s.substring(0, n);
  }
  return t;
}
