// Lower-case hexadecimal, the only form the core reads: tickets, digests and ticket role bytes
// are minted lower-case, and accepting one spelling keeps every comparison exact.

/** The value of one lower-case hex digit, or -1. */
export function hexVal(c: i32): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/** True when `s` is exactly `n` lower-case hex digits. */
export function isLowerHex(s: string, n: i32): bool {
  if (s.length != n) return false;
  for (let i = 0; i < n; i++) if (hexVal(s.charCodeAt(i)) < 0) return false;
  return true;
}
