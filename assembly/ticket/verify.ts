// Capability-ticket verification for ATTACH (docs/TICKETS.md).
// Text form: `cohesix-ticket-<hex claims>.<hex mac>`, MAC = BLAKE3-keyed(BLAKE3(role secret),
// claims bytes), secrets and limits from the manifest. The outcome carries the console's
// `reason=` and `detail=` words plus a finer `cause` for the queen log.
//
// The hex is decoded straight from the string into static buffers: a ticket is bounded by the
// console's argument limit, so nothing here needs the allocator until the claims are decoded.

import {
  CONSOLE_TICKET_MAX,
  TICKET_LIMITS_BANDWIDTH_BYTES,
  TICKET_LIMITS_CURSOR_ADVANCES,
  TICKET_LIMITS_CURSOR_RESUMES,
  TICKET_LIMITS_MAX_SCOPE_PATH_LEN,
  TICKET_LIMITS_MAX_SCOPE_RATE_PER_S,
  TICKET_LIMITS_MAX_SCOPES,
  TICKET_ROLES,
  TICKET_SECRETS,
} from "../generated/manifest";
import { BLAKE3_OUT_LEN, blake3, blake3Keyed, digestEqual } from "../crypto/blake3";
import { hexVal } from "../text/hex";
import { ROLE_ALIAS_NAMES, ROLE_ALIAS_ROLES } from "../generated/protocol";
import {
  Claims,
  ClaimsScope,
  claimsErrorTag,
  decodeClaims,
  FLAG_OPS,
  FLAG_QUOTAS,
  FLAG_SUBJECT,
  FLAG_TICKS,
  FLAG_TTL,
  ROLE_COUNT,
} from "./claims";

export const TICKET_PREFIX: string = "cohesix-ticket-";
const PREFIX_LEN: i32 = 15;
const MAC_HEX_LEN: i32 = 64;
// The most claims bytes a ticket within the console bound can carry.
const CLAIMS_CAP: i32 = (CONSOLE_TICKET_MAX - PREFIX_LEN - 1 - MAC_HEX_LEN) / 2;
const CLAIMS_BUF: usize = memory.data(CLAIMS_CAP > 0 ? CLAIMS_CAP : 1);
const MAC_BUF: usize = memory.data(32);
const EXPECT_BUF: usize = memory.data(32);
// BLAKE3(secret) per role, derived on first use: a secret is hashed once per boot, not per ATTACH.
const KEYS: usize = memory.data(32 * 5);
let keysReady: u32 = 0;

export const REASON_POLICY: string = "policy";
export const REASON_QUOTA: string = "quota";
export const DETAIL_INVALID_CLAIMS: string = "invalid-claims";
export const DETAIL_DENIED: string = "denied";
export const DETAIL_EXPIRED: string = "expired";

export const TICKET_ROLE_QUEEN: i32 = 0;

/**
 * The outcome of `verifyTicket`. On success the claims are in `claims` as encoded, and the
 * fields below are the values to enforce (manifest defaults applied). On failure `reason` and
 * `detail` form the console reply `ERR ATTACH reason=<reason> detail=<detail>`.
 */
export class TicketResult {
  ok: bool = false;
  reason: string = "";
  detail: string = "";
  /** Why, for the audit log only (never sent to the peer): e.g. `mac`, `hex`, `truncated`. */
  cause: string = "";
  claims: Claims | null = null;
  /** Canonical role label and its index in TICKET_ROLES (the claims role byte). */
  role: string = "";
  roleIndex: i32 = -1;
  subject: string = "";
  hasTicks: bool = false;
  ticks: u64 = 0;
  hasOps: bool = false;
  ops: u64 = 0;
  hasTtl: bool = false;
  ttlS: u64 = 0;
  issuedAtMs: u64 = 0;
  /** issued_at_ms + ttl_s*1000 (saturating); u64.MAX_VALUE without a ttl. */
  expiresAtMs: u64 = u64.MAX_VALUE;
  /** Scopes with a rate of 0 (unset) served at max_scope_rate_per_s. */
  scopes: ClaimsScope[] = [];
  /** Quotas: the ticket's value, or the manifest's when the ticket gives none or 0 (0 = unlimited). */
  bandwidthBytes: u64 = 0;
  cursorResumes: u32 = 0;
  cursorAdvances: u32 = 0;
}

/** A role label as a session names it: lower case, an alias (`worker`) read as its role (`worker-heartbeat`). */
export function canonicalRole(label: string): string {
  const name = label.toLowerCase();
  const alias = ROLE_ALIAS_NAMES.indexOf(name);
  return alias < 0 ? name : ROLE_ALIAS_ROLES[alias];
}

/** Index of a role label in TICKET_ROLES (`worker` is an alias of `worker-heartbeat`), or -1. */
export function ticketRoleIndex(label: string): i32 {
  const alias = ROLE_ALIAS_NAMES.indexOf(label);
  const name = alias < 0 ? label : ROLE_ALIAS_ROLES[alias];
  for (let i = 0; i < TICKET_ROLES.length; i++) {
    if (TICKET_ROLES[i] == name) return i;
  }
  return -1;
}

/** The role a ticket's claims name (claims byte 1) before any check, for a 9P Tattach with an empty uname. */
export function claimedRole(ticket: string): string {
  const at = PREFIX_LEN + 2;
  if (!ticket.startsWith(TICKET_PREFIX) || ticket.length < at + 2) return "";
  const hi = hexVal(ticket.charCodeAt(at));
  const lo = hexVal(ticket.charCodeAt(at + 1));
  if (hi < 0 || lo < 0) return "";
  const idx = hi * 16 + lo;
  return idx < TICKET_ROLES.length ? TICKET_ROLES[idx] : "";
}

function refuse(r: TicketResult, reason: string, detail: string, cause: string): TicketResult {
  r.ok = false;
  r.reason = reason;
  r.detail = detail;
  r.cause = cause;
  return r;
}

/** Decodes text[from, to) (even length, checked by the caller) into `out`. */
function hexInto(text: string, from: i32, to: i32, out: usize): bool {
  for (let i = from; i < to; i += 2) {
    const hi = hexVal(text.charCodeAt(i));
    const lo = hexVal(text.charCodeAt(i + 1));
    if ((hi | lo) < 0) return false;
    store<u8>(out + <usize>((i - from) >> 1), <u8>((hi << 4) | lo));
  }
  return true;
}

/** Address of BLAKE3(secret of role `i`), or 0 when the manifest has no secret for it. */
function roleKey(i: i32): usize {
  if (i < 0 || i >= <i32>ROLE_COUNT || i >= TICKET_SECRETS.length) return 0;
  const slot = KEYS + <usize>(i * 32);
  if ((keysReady & (1 << i)) == 0) {
    const secret = String.UTF8.encode(TICKET_SECRETS[i], false);
    blake3(changetype<usize>(secret), <usize>secret.byteLength, slot);
    keysReady |= 1 << i;
  }
  return slot;
}

function satAdd(a: u64, b: u64): u64 {
  return a > u64.MAX_VALUE - b ? u64.MAX_VALUE : a + b;
}

function satMul1000(a: u64): u64 {
  return a > u64.MAX_VALUE / 1000 ? u64.MAX_VALUE : a * 1000;
}

/**
 * Verifies a ticket presented for `expectRole` (a label as in ATTACH, alias accepted) at
 * `nowUnixMs` (wall-clock ms, the timebase of issued_at_ms). Checks, first failure wins:
 * 1. text form and claims decode          → policy / invalid-claims
 * 2. MAC under the claimed role's secret,
 *    then claimed role == expectRole       → policy / denied
 * 3. issued_at_ms + ttl_s*1000 <= now      → quota / expired
 * 4. scopes within ticket_limits           → quota / invalid-claims
 * 5. worker roles carry a subject          → policy / denied
 * Never traps, whatever the text.
 */
export function verifyTicket(text: string, expectRole: string, nowUnixMs: u64): TicketResult {
  const r = new TicketResult();
  const n = text.length;
  if (n > CONSOLE_TICKET_MAX) return refuse(r, REASON_POLICY, DETAIL_INVALID_CLAIMS, "too-long");
  if (!text.startsWith(TICKET_PREFIX)) return refuse(r, REASON_POLICY, DETAIL_INVALID_CLAIMS, "prefix");
  const dot = text.indexOf(".", PREFIX_LEN);
  if (dot < 0) return refuse(r, REASON_POLICY, DETAIL_INVALID_CLAIMS, "separator");
  const claimsHex = dot - PREFIX_LEN;
  if (n - dot - 1 != MAC_HEX_LEN) return refuse(r, REASON_POLICY, DETAIL_INVALID_CLAIMS, "mac-length");
  if ((claimsHex & 1) != 0) return refuse(r, REASON_POLICY, DETAIL_INVALID_CLAIMS, "odd-hex");
  const claimsLen = claimsHex >> 1;
  if (claimsLen > CLAIMS_CAP) return refuse(r, REASON_POLICY, DETAIL_INVALID_CLAIMS, "too-long");
  if (!hexInto(text, PREFIX_LEN, dot, CLAIMS_BUF) || !hexInto(text, dot + 1, n, MAC_BUF)) {
    return refuse(r, REASON_POLICY, DETAIL_INVALID_CLAIMS, "hex");
  }

  const decoded = decodeClaims(CLAIMS_BUF, <usize>claimsLen);
  const c = decoded.claims;
  if (c == null) return refuse(r, REASON_POLICY, DETAIL_INVALID_CLAIMS, claimsErrorTag(decoded.error));

  // The claimed role picks the key, so a ticket for another role fails on its MAC or, when it is
  // genuine, on the role comparison below: both read as `denied` to the peer.
  const role = <i32>c.role;
  const key = roleKey(role);
  if (key == 0) return refuse(r, REASON_POLICY, DETAIL_DENIED, "no-secret");
  blake3Keyed(key, CLAIMS_BUF, <usize>claimsLen, EXPECT_BUF);
  if (!digestEqual(EXPECT_BUF, MAC_BUF)) return refuse(r, REASON_POLICY, DETAIL_DENIED, "mac");
  if (role != ticketRoleIndex(expectRole)) return refuse(r, REASON_POLICY, DETAIL_DENIED, "role");

  if (c.has(FLAG_TTL)) {
    r.expiresAtMs = satAdd(c.issuedAtMs, satMul1000(c.ttlS));
    if (r.expiresAtMs <= nowUnixMs) return refuse(r, REASON_QUOTA, DETAIL_EXPIRED, "expired");
  }

  // A limit of 0 in the manifest means unlimited.
  if (TICKET_LIMITS_MAX_SCOPES > 0 && c.scopes.length > TICKET_LIMITS_MAX_SCOPES) {
    return refuse(r, REASON_QUOTA, DETAIL_INVALID_CLAIMS, "scope-count");
  }
  for (let i = 0; i < c.scopes.length; i++) {
    const s = c.scopes[i];
    if (TICKET_LIMITS_MAX_SCOPE_PATH_LEN > 0 && s.pathLen > TICKET_LIMITS_MAX_SCOPE_PATH_LEN) {
      return refuse(r, REASON_QUOTA, DETAIL_INVALID_CLAIMS, "scope-path");
    }
    if (TICKET_LIMITS_MAX_SCOPE_RATE_PER_S > 0 && s.ratePerS > <u32>TICKET_LIMITS_MAX_SCOPE_RATE_PER_S) {
      return refuse(r, REASON_QUOTA, DETAIL_INVALID_CLAIMS, "scope-rate");
    }
  }

  if (role != TICKET_ROLE_QUEEN && (!c.has(FLAG_SUBJECT) || c.subject.length == 0)) {
    return refuse(r, REASON_POLICY, DETAIL_DENIED, "subject");
  }

  r.ok = true;
  r.claims = c;
  r.role = TICKET_ROLES[role];
  r.roleIndex = role;
  r.subject = c.subject;
  r.hasTicks = c.has(FLAG_TICKS);
  r.ticks = c.ticks;
  r.hasOps = c.has(FLAG_OPS);
  r.ops = c.ops;
  r.hasTtl = c.has(FLAG_TTL);
  r.ttlS = c.ttlS;
  r.issuedAtMs = c.issuedAtMs;
  for (let i = 0; i < c.scopes.length; i++) {
    const s = c.scopes[i];
    const rate = s.ratePerS != 0 ? s.ratePerS : <u32>TICKET_LIMITS_MAX_SCOPE_RATE_PER_S;
    r.scopes.push(new ClaimsScope(s.path, s.pathLen, s.verb, rate));
  }
  const q = c.has(FLAG_QUOTAS);
  r.bandwidthBytes = q && c.bandwidthBytes != 0 ? c.bandwidthBytes : <u64>TICKET_LIMITS_BANDWIDTH_BYTES;
  r.cursorResumes = q && c.cursorResumes != 0 ? c.cursorResumes : <u32>TICKET_LIMITS_CURSOR_RESUMES;
  r.cursorAdvances = q && c.cursorAdvances != 0 ? c.cursorAdvances : <u32>TICKET_LIMITS_CURSOR_ADVANCES;
  return r;
}

/** BLAKE3 output length, re-exported for callers that size MAC buffers. */
export const TICKET_MAC_LEN: i32 = BLAKE3_OUT_LEN;
