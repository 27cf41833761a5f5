// Small, allocation-light formatting helpers shared by every console surface.

/** `0x` + lower-case hex, zero-padded to at least `width` digits. */
export function hex(v: u64, width: i32 = 1): string {
  let s = v.toString(16);
  while (s.length < width) s = "0" + s;
  return "0x" + s;
}

/** A CNode slot as the original prints it: four hex digits. */
export function slot(v: u32): string {
  return hex(<u64>v, 4);
}

/** Parse-error line in the console ACK grammar (`ERR PARSE reason=policy detail=<msg>`). */
export function parseError(detail: string): string {
  return "ERR PARSE reason=policy detail=" + detail;
}

/** Splits off the first whitespace-separated token: [verb, rest-with-leading-space-trimmed]. */
export function splitVerb(line: string): string[] {
  let i = 0;
  const n = line.length;
  while (i < n && isSpace(line.charCodeAt(i))) i++;
  let j = i;
  while (j < n && !isSpace(line.charCodeAt(j))) j++;
  let k = j;
  while (k < n && isSpace(line.charCodeAt(k))) k++;
  let end = n;
  while (end > k && isSpace(line.charCodeAt(end - 1))) end--;
  return [line.substring(i, j), line.substring(k, end)];
}

function isSpace(c: i32): bool {
  return c == 0x20 || c == 0x09;
}
