// Ticket claims decoder: the binary payload inside `cohesix-ticket-<hex>.<mac>` (docs/TICKETS.md).
// Claims are attacker-supplied bytes until the MAC checks out, and the decoder runs before that
// (the role byte selects the MAC key), so every read is bounds-checked and every malformed
// input ends in an error tag, never a trap.

import { validUtf8 } from "../text/utf8";

export const CLAIMS_VERSION: u8 = 1;

export const FLAG_TICKS: u8 = 0x01;
export const FLAG_OPS: u8 = 0x02;
export const FLAG_TTL: u8 = 0x04;
export const FLAG_SUBJECT: u8 = 0x08;
export const FLAG_SCOPES: u8 = 0x10;
export const FLAG_QUOTAS: u8 = 0x20;
// Bits beyond these would announce fields this decoder cannot skip, so they are refused rather
// than silently accepted with the fields misread.
const FLAGS_KNOWN: u8 = 0x3f;

export const ROLE_COUNT: u8 = 5;
export const CLAIMS_STR_MAX: i32 = 255;
export const CLAIMS_SCOPES_MAX: i32 = 16;

export const VERB_READ: u8 = 0;
export const VERB_WRITE: u8 = 1;
export const VERB_READ_WRITE: u8 = 2;

export enum ClaimsError {
  None = 0,
  Truncated = 1,
  Version = 2,
  Role = 3,
  Flags = 4,
  StringTooLong = 5,
  Utf8 = 6,
  TooManyScopes = 7,
  Verb = 8,
  Trailing = 9,
}

/** A short tag for logs (`cause=` in the queen log), stable across builds. */
export function claimsErrorTag(e: ClaimsError): string {
  switch (e) {
    case ClaimsError.None: return "none";
    case ClaimsError.Truncated: return "truncated";
    case ClaimsError.Version: return "version";
    case ClaimsError.Role: return "role";
    case ClaimsError.Flags: return "flags";
    case ClaimsError.StringTooLong: return "string-length";
    case ClaimsError.Utf8: return "utf8";
    case ClaimsError.TooManyScopes: return "scope-count";
    case ClaimsError.Verb: return "verb";
    case ClaimsError.Trailing: return "trailing";
  }
  return "unknown";
}

export class ClaimsScope {
  constructor(
    public path: string,
    /** Byte length of `path` as encoded, which is what ticket_limits bounds. */
    public pathLen: i32,
    /** VERB_READ, VERB_WRITE or VERB_READ_WRITE. */
    public verb: u8,
    /** Requests per second; 0 means the ticket sets no rate. */
    public ratePerS: u32,
  ) {}
}

/** Decoded claims exactly as encoded; an absent field reads 0 / "" with its flag clear. */
export class Claims {
  version: u8 = 0;
  role: u8 = 0;
  flags: u8 = 0;
  ticks: u64 = 0;
  ops: u64 = 0;
  ttlS: u64 = 0;
  subject: string = "";
  issuedAtMs: u64 = 0;
  mountService: string = "";
  mountAt: string = "";
  scopes: ClaimsScope[] = [];
  bandwidthBytes: u64 = 0;
  cursorResumes: u32 = 0;
  cursorAdvances: u32 = 0;

  has(flag: u8): bool {
    return (this.flags & flag) != 0;
  }
}

export class ClaimsResult {
  constructor(public error: ClaimsError, public claims: Claims | null) {}
}

// Reads little-endian fields from [ptr, end). The first error sticks: later reads return zero
// values without touching memory, so the decoder can read straight through and check once.
class Reader {
  pos: usize;
  error: ClaimsError = ClaimsError.None;

  constructor(ptr: usize, public end: usize) {
    this.pos = ptr;
  }

  fail(e: ClaimsError): void {
    if (this.error == ClaimsError.None) this.error = e;
  }

  // Compared as `n > end - pos` so a huge n cannot wrap the address arithmetic.
  take(n: usize): bool {
    if (this.error != ClaimsError.None) return false;
    if (n > this.end - this.pos) {
      this.error = ClaimsError.Truncated;
      return false;
    }
    return true;
  }

  u8(): u8 {
    if (!this.take(1)) return 0;
    const v = load<u8>(this.pos);
    this.pos += 1;
    return v;
  }

  u16(): u16 {
    if (!this.take(2)) return 0;
    const v = load<u16>(this.pos);
    this.pos += 2;
    return v;
  }

  u32(): u32 {
    if (!this.take(4)) return 0;
    const v = load<u32>(this.pos);
    this.pos += 4;
    return v;
  }

  u64(): u64 {
    if (!this.take(8)) return 0;
    const v = load<u64>(this.pos);
    this.pos += 8;
    return v;
  }

  /** u16 length (≤ 255), then that many bytes of strict UTF-8. */
  str(): string {
    const n = <usize>this.u16();
    if (this.error != ClaimsError.None) return "";
    if (n > <usize>CLAIMS_STR_MAX) {
      this.fail(ClaimsError.StringTooLong);
      return "";
    }
    if (!this.take(n)) return "";
    if (!validUtf8(this.pos, n)) {
      this.fail(ClaimsError.Utf8);
      return "";
    }
    const s = String.UTF8.decodeUnsafe(this.pos, n);
    this.pos += n;
    return s;
  }
}

/** Decodes claims from `len` bytes at `ptr`. Never traps, whatever the bytes. */
export function decodeClaims(ptr: usize, len: usize): ClaimsResult {
  const r = new Reader(ptr, ptr + len);
  const c = new Claims();
  c.version = r.u8();
  if (r.error == ClaimsError.None && c.version != CLAIMS_VERSION) r.fail(ClaimsError.Version);
  c.role = r.u8();
  if (r.error == ClaimsError.None && c.role >= ROLE_COUNT) r.fail(ClaimsError.Role);
  c.flags = r.u8();
  if (r.error == ClaimsError.None && (c.flags & ~FLAGS_KNOWN) != 0) r.fail(ClaimsError.Flags);
  if (r.error != ClaimsError.None) return new ClaimsResult(r.error, null);

  if (c.has(FLAG_TICKS)) c.ticks = r.u64();
  if (c.has(FLAG_OPS)) c.ops = r.u64();
  if (c.has(FLAG_TTL)) c.ttlS = r.u64();
  if (c.has(FLAG_SUBJECT)) c.subject = r.str();
  c.issuedAtMs = r.u64();
  c.mountService = r.str();
  c.mountAt = r.str();
  if (c.has(FLAG_SCOPES)) {
    const count = <i32>r.u8();
    if (count > CLAIMS_SCOPES_MAX) r.fail(ClaimsError.TooManyScopes);
    // The loop stops at the first error, so a lying count never drives allocation.
    for (let i = 0; i < count && r.error == ClaimsError.None; i++) {
      const before = r.pos;
      const path = r.str();
      const pathLen = <i32>(r.pos - before) - 2;
      const verb = r.u8();
      const rate = r.u32();
      if (r.error != ClaimsError.None) break;
      if (verb > VERB_READ_WRITE) {
        r.fail(ClaimsError.Verb);
        break;
      }
      c.scopes.push(new ClaimsScope(path, pathLen, verb, rate));
    }
  }
  if (c.has(FLAG_QUOTAS)) {
    c.bandwidthBytes = r.u64();
    c.cursorResumes = r.u32();
    c.cursorAdvances = r.u32();
  }
  if (r.error == ClaimsError.None && r.pos != r.end) r.fail(ClaimsError.Trailing);
  if (r.error != ClaimsError.None) return new ClaimsResult(r.error, null);
  return new ClaimsResult(ClaimsError.None, c);
}
