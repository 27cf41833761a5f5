// Ticket claims: the binary payload of `cohesix-ticket-<hex claims>.<hex mac>` (docs/TICKETS.md).
// Same layout as the core's decoder (assembly/ticket/claims.ts) and the original's; all
// integers little-endian. u64 fields are bigint so no value is rounded.

import { ROLE_ALIASES, TICKET_ROLES as GENERATED_ROLES } from "../../generated/protocol.js";

export const CLAIMS_VERSION = 1;
export const CLAIMS_STR_MAX = 255;
export const CLAIMS_SCOPES_MAX = 16;

/** Roles in claims order: the role byte indexes this list (generated from the protocol spec). */
export const TICKET_ROLES = GENERATED_ROLES;
export type TicketRole = (typeof TICKET_ROLES)[number];

const FLAG_TICKS = 0x01;
const FLAG_OPS = 0x02;
const FLAG_TTL = 0x04;
const FLAG_SUBJECT = 0x08;
const FLAG_SCOPES = 0x10;
const FLAG_QUOTAS = 0x20;
const FLAGS_KNOWN = 0x3f;

export const SCOPE_VERBS = ["read", "write", "read-write"] as const;
export type ScopeVerb = (typeof SCOPE_VERBS)[number];

export interface TicketScope {
  path: string;
  verb: ScopeVerb;
  /** Requests per second; 0 = the ticket sets no rate. */
  ratePerS: number;
}

/** 0 in any field means "unset": the manifest's ticket_limits value applies. */
export interface TicketQuotas {
  bandwidthBytes: bigint;
  cursorResumes: number;
  cursorAdvances: number;
}

export interface TicketClaims {
  role: TicketRole;
  ticks?: bigint;
  ops?: bigint;
  ttlS?: bigint;
  subject?: string;
  issuedAtMs: bigint;
  mounts: { service: string; at: string };
  scopes?: TicketScope[];
  quotas?: TicketQuotas;
}

export type Result<T, E> = { ok: true; value: T } | { ok: false; error: E };

export type ClaimsErrorKind =
  | "truncated"
  | "version"
  | "role"
  | "flags"
  | "string-length"
  | "utf8"
  | "scope-count"
  | "verb"
  | "trailing"
  | "range";

export interface ClaimsError {
  kind: ClaimsErrorKind;
  message: string;
}

const err = (kind: ClaimsErrorKind, message: string): { ok: false; error: ClaimsError } => ({
  ok: false,
  error: { kind, message },
});

/** The canonical role for a label (aliases such as the original's `worker` from the spec). */
export function parseRole(label: string): TicketRole | null {
  const name = (ROLE_ALIASES as Readonly<Record<string, string>>)[label] ?? label;
  return (TICKET_ROLES as readonly string[]).includes(name) ? (name as TicketRole) : null;
}

const U64_MAX = (1n << 64n) - 1n;
const U32_MAX = 0xffff_ffff;

class Writer {
  private parts: number[] = [];

  u8(v: number): void {
    this.parts.push(v & 0xff);
  }

  u16(v: number): void {
    this.u8(v);
    this.u8(v >>> 8);
  }

  u32(v: number): void {
    for (let i = 0; i < 4; i++) this.u8(v >>> (8 * i));
  }

  u64(v: bigint): void {
    for (let i = 0n; i < 8n; i++) this.u8(Number((v >> (8n * i)) & 0xffn));
  }

  bytes(b: Uint8Array): void {
    for (const x of b) this.parts.push(x);
  }

  done(): Uint8Array {
    return Uint8Array.from(this.parts);
  }
}

function checkU64(name: string, v: bigint | undefined): ClaimsError | null {
  if (v === undefined || (v >= 0n && v <= U64_MAX)) return null;
  return { kind: "range", message: `${name} must fit in a u64, got ${v}` };
}

function checkU32(name: string, v: number): ClaimsError | null {
  if (Number.isInteger(v) && v >= 0 && v <= U32_MAX) return null;
  return { kind: "range", message: `${name} must fit in a u32, got ${v}` };
}

function strBytes(name: string, s: string): Result<Uint8Array, ClaimsError> {
  const b = Buffer.from(s, "utf8");
  if (b.length > CLAIMS_STR_MAX) return err("string-length", `${name} is ${b.length} bytes; at most ${CLAIMS_STR_MAX}`);
  return { ok: true, value: new Uint8Array(b) };
}

/** Encodes claims; fails (never throws) on a value the layout cannot carry. */
export function encodeClaims(c: TicketClaims): Result<Uint8Array, ClaimsError> {
  const role = TICKET_ROLES.indexOf(c.role);
  if (role < 0) return err("role", `unknown role ${String(c.role)}`);
  for (const [name, v] of [["ticks", c.ticks], ["ops", c.ops], ["ttl_s", c.ttlS], ["issued_at_ms", c.issuedAtMs]] as const) {
    const e = checkU64(name, v);
    if (e) return { ok: false, error: e };
  }
  const strings: Uint8Array[] = [];
  for (const [name, s] of [["subject", c.subject ?? ""], ["mounts.service", c.mounts.service], ["mounts.at", c.mounts.at]] as const) {
    const b = strBytes(name, s);
    if (!b.ok) return b;
    strings.push(b.value);
  }
  const scopes = c.scopes ?? [];
  if (scopes.length > CLAIMS_SCOPES_MAX) return err("scope-count", `${scopes.length} scopes; at most ${CLAIMS_SCOPES_MAX}`);
  const scopePaths: Uint8Array[] = [];
  for (const s of scopes) {
    const b = strBytes("scope path", s.path);
    if (!b.ok) return b;
    scopePaths.push(b.value);
    if (!SCOPE_VERBS.includes(s.verb)) return err("verb", `unknown scope verb ${String(s.verb)}`);
    const e = checkU32("scope rate_per_s", s.ratePerS);
    if (e) return { ok: false, error: e };
  }
  if (c.quotas) {
    const e =
      checkU64("bandwidth_bytes", c.quotas.bandwidthBytes) ??
      checkU32("cursor_resumes", c.quotas.cursorResumes) ??
      checkU32("cursor_advances", c.quotas.cursorAdvances);
    if (e) return { ok: false, error: e };
  }

  let flags = 0;
  if (c.ticks !== undefined) flags |= FLAG_TICKS;
  if (c.ops !== undefined) flags |= FLAG_OPS;
  if (c.ttlS !== undefined) flags |= FLAG_TTL;
  if (c.subject !== undefined) flags |= FLAG_SUBJECT;
  if (c.scopes !== undefined) flags |= FLAG_SCOPES;
  if (c.quotas !== undefined) flags |= FLAG_QUOTAS;

  const w = new Writer();
  w.u8(CLAIMS_VERSION);
  w.u8(role);
  w.u8(flags);
  if (c.ticks !== undefined) w.u64(c.ticks);
  if (c.ops !== undefined) w.u64(c.ops);
  if (c.ttlS !== undefined) w.u64(c.ttlS);
  const [subject, service, at] = strings;
  if (c.subject !== undefined) {
    w.u16(subject.length);
    w.bytes(subject);
  }
  w.u64(c.issuedAtMs);
  w.u16(service.length);
  w.bytes(service);
  w.u16(at.length);
  w.bytes(at);
  if (c.scopes !== undefined) {
    w.u8(scopes.length);
    scopes.forEach((s, i) => {
      w.u16(scopePaths[i].length);
      w.bytes(scopePaths[i]);
      w.u8(SCOPE_VERBS.indexOf(s.verb));
      w.u32(s.ratePerS);
    });
  }
  if (c.quotas) {
    w.u64(c.quotas.bandwidthBytes);
    w.u32(c.quotas.cursorResumes);
    w.u32(c.quotas.cursorAdvances);
  }
  return { ok: true, value: w.done() };
}

// fatal: malformed UTF-8 is an error, as in the core; ignoreBOM: a leading U+FEFF is content.
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

class Reader {
  pos = 0;
  constructor(private readonly b: Uint8Array) {}

  private need(n: number): boolean {
    return n <= this.b.length - this.pos;
  }

  u8(): number | null {
    if (!this.need(1)) return null;
    return this.b[this.pos++];
  }

  u16(): number | null {
    if (!this.need(2)) return null;
    const v = this.b[this.pos] | (this.b[this.pos + 1] << 8);
    this.pos += 2;
    return v;
  }

  u32(): number | null {
    if (!this.need(4)) return null;
    const v = new DataView(this.b.buffer, this.b.byteOffset + this.pos, 4).getUint32(0, true);
    this.pos += 4;
    return v;
  }

  u64(): bigint | null {
    if (!this.need(8)) return null;
    const v = new DataView(this.b.buffer, this.b.byteOffset + this.pos, 8).getBigUint64(0, true);
    this.pos += 8;
    return v;
  }

  str(): Result<string, ClaimsError> {
    const n = this.u16();
    if (n === null) return err("truncated", "claims truncated");
    if (n > CLAIMS_STR_MAX) return err("string-length", `string of ${n} bytes; at most ${CLAIMS_STR_MAX}`);
    if (!this.need(n)) return err("truncated", "claims truncated");
    const bytes = this.b.subarray(this.pos, this.pos + n);
    this.pos += n;
    try {
      return { ok: true, value: UTF8.decode(bytes) };
    } catch {
      return err("utf8", "string is not valid UTF-8");
    }
  }

  get rest(): number {
    return this.b.length - this.pos;
  }
}

const TRUNCATED = err("truncated", "claims truncated");

/** Decodes claims; the checks match the core's, so both accept exactly the same payloads. */
export function decodeClaims(bytes: Uint8Array): Result<TicketClaims, ClaimsError> {
  const r = new Reader(bytes);
  const version = r.u8();
  if (version === null) return TRUNCATED;
  if (version !== CLAIMS_VERSION) return err("version", `claims version ${version} is unsupported`);
  const roleByte = r.u8();
  if (roleByte === null) return TRUNCATED;
  const role = TICKET_ROLES[roleByte];
  if (role === undefined) return err("role", `claims role ${roleByte} is unsupported`);
  const flags = r.u8();
  if (flags === null) return TRUNCATED;
  if ((flags & ~FLAGS_KNOWN) !== 0) return err("flags", `unknown claims flags 0x${flags.toString(16)}`);

  const c: TicketClaims = { role, issuedAtMs: 0n, mounts: { service: "", at: "" } };
  const u64 = (): bigint | null => r.u64();
  if (flags & FLAG_TICKS) {
    const v = u64();
    if (v === null) return TRUNCATED;
    c.ticks = v;
  }
  if (flags & FLAG_OPS) {
    const v = u64();
    if (v === null) return TRUNCATED;
    c.ops = v;
  }
  if (flags & FLAG_TTL) {
    const v = u64();
    if (v === null) return TRUNCATED;
    c.ttlS = v;
  }
  if (flags & FLAG_SUBJECT) {
    const s = r.str();
    if (!s.ok) return s;
    c.subject = s.value;
  }
  const issued = u64();
  if (issued === null) return TRUNCATED;
  c.issuedAtMs = issued;
  const service = r.str();
  if (!service.ok) return service;
  const at = r.str();
  if (!at.ok) return at;
  c.mounts = { service: service.value, at: at.value };
  if (flags & FLAG_SCOPES) {
    const count = r.u8();
    if (count === null) return TRUNCATED;
    if (count > CLAIMS_SCOPES_MAX) return err("scope-count", `${count} scopes; at most ${CLAIMS_SCOPES_MAX}`);
    c.scopes = [];
    for (let i = 0; i < count; i++) {
      const path = r.str();
      if (!path.ok) return path;
      const verb = r.u8();
      const rate = r.u32();
      if (verb === null || rate === null) return TRUNCATED;
      const v = SCOPE_VERBS[verb];
      if (v === undefined) return err("verb", `scope verb ${verb} is unsupported`);
      c.scopes.push({ path: path.value, verb: v, ratePerS: rate });
    }
  }
  if (flags & FLAG_QUOTAS) {
    const bandwidthBytes = r.u64();
    const cursorResumes = r.u32();
    const cursorAdvances = r.u32();
    if (bandwidthBytes === null || cursorResumes === null || cursorAdvances === null) return TRUNCATED;
    c.quotas = { bandwidthBytes, cursorResumes, cursorAdvances };
  }
  if (r.rest !== 0) return err("trailing", `${r.rest} trailing bytes after the claims`);
  return { ok: true, value: c };
}
