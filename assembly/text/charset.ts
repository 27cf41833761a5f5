// Identifiers that end up in paths and in `key=value` lines are single tokens from a small
// alphabet; each caller names the punctuation it allows on top of [A-Za-z0-9].

/** Every character is an ASCII letter (lower-case only with `lowerOnly`), a digit, or in `extra`. */
export function onlyChars(s: string, extra: string, lowerOnly: bool = false): bool {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || (!lowerOnly && c >= 0x41 && c <= 0x5a);
    if (!ok && extra.indexOf(String.fromCharCode(c)) < 0) return false;
  }
  return true;
}

/** No space, control character or NUL anywhere. */
export function noBlanks(s: string): bool {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) <= 0x20) return false;
  return true;
}
