// Client-supplied values in log and audit lines (issue 10, finding 3): bounded and escaped, so a
// line can never grow past a known size, break into two records, or pass for another field.

/** Most characters of one client value kept in a log line. */
export const FIELD_MAX: i32 = 48;

/**
 * `s` as a log field: printable ASCII kept, space, `=`, `\` and everything else (control
 * characters, non-ASCII) written as `\xNN` / `\u{NNNN}`, cut at FIELD_MAX characters with
 * `...(+N)` saying how many were left out. Linear: one pass, one join.
 */
export function logField(s: string, max: i32 = FIELD_MAX): string {
  const n = s.length < max ? s.length : max;
  let plain = true;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f || c == 0x3d || c == 0x5c) {
      plain = false;
      break;
    }
  }
  let head = n == s.length && plain ? s : "";
  if (head.length == 0 && (n > 0 || s.length > 0)) {
    if (plain) head = s.substring(0, n);
    else {
      const parts = new Array<string>(n);
      for (let i = 0; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c <= 0x20 || c == 0x3d || c == 0x5c || c == 0x7f) parts[i] = "\\x" + (c < 16 ? "0" : "") + c.toString(16);
        else if (c > 0x7f) parts[i] = "\\u{" + c.toString(16) + "}";
        else parts[i] = String.fromCharCode(c);
      }
      head = parts.join("");
    }
  }
  return s.length > n ? head + "...(+" + (s.length - n).toString() + ")" : head;
}
