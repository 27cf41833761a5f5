// Minting and host-side checking of capability tickets (docs/TICKETS.md):
// `cohesix-ticket-<hex claims>.<hex mac>`, MAC = BLAKE3 keyed hash with key BLAKE3(secret).

import { blake3 } from "@noble/hashes/blake3.js";
import { MANIFEST } from "../../generated/manifest.js";
import { decodeClaims, encodeClaims, parseRole, type ClaimsError, type Result, type TicketClaims, type TicketRole } from "./claims.js";

export const TICKET_PREFIX = "cohesix-ticket-";
const MAC_LEN = 32;

/** The MAC key of a role secret: BLAKE3 of its UTF-8 bytes. */
export function ticketKey(secret: string): Uint8Array {
  return blake3(new Uint8Array(Buffer.from(secret, "utf8")));
}

function mac(secret: string, claims: Uint8Array): Uint8Array {
  return blake3(claims, { key: ticketKey(secret) });
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

/** Encodes and signs claims into the text form. */
export function signTicket(claims: TicketClaims, secret: string): Result<string, ClaimsError> {
  const bytes = encodeClaims(claims);
  if (!bytes.ok) return bytes;
  return { ok: true, value: `${TICKET_PREFIX}${hex(bytes.value)}.${hex(mac(secret, bytes.value))}` };
}

export type TicketTextErrorKind = "prefix" | "separator" | "hex" | "mac-length" | "claims" | "mac";

export interface TicketTextError {
  kind: TicketTextErrorKind;
  message: string;
  claims?: ClaimsError;
}

export interface TicketParts {
  claims: Uint8Array;
  mac: Uint8Array;
}

const HEX_RE = /^(?:[0-9a-f]{2})*$/;

/** Splits the text form (lowercase hex only, as minted) into claims bytes and MAC. */
export function parseTicketText(text: string): Result<TicketParts, TicketTextError> {
  if (!text.startsWith(TICKET_PREFIX)) return { ok: false, error: { kind: "prefix", message: `ticket must start with ${TICKET_PREFIX}` } };
  const body = text.slice(TICKET_PREFIX.length);
  const dot = body.indexOf(".");
  if (dot < 0) return { ok: false, error: { kind: "separator", message: "ticket has no '.' before its MAC" } };
  const claimsHex = body.slice(0, dot);
  const macHex = body.slice(dot + 1);
  if (!HEX_RE.test(claimsHex) || !HEX_RE.test(macHex)) {
    return { ok: false, error: { kind: "hex", message: "ticket is not lowercase hex of whole bytes" } };
  }
  if (macHex.length !== MAC_LEN * 2) {
    return { ok: false, error: { kind: "mac-length", message: `ticket MAC is ${macHex.length / 2} bytes; expected ${MAC_LEN}` } };
  }
  return { ok: true, value: { claims: new Uint8Array(Buffer.from(claimsHex, "hex")), mac: new Uint8Array(Buffer.from(macHex, "hex")) } };
}

/** Claims without checking the MAC (for local checks before sending, like the original's cohsh). */
export function decodeTicketUnverified(text: string): Result<TicketClaims, TicketTextError> {
  const parts = parseTicketText(text);
  if (!parts.ok) return parts;
  const c = decodeClaims(parts.value.claims);
  if (!c.ok) return { ok: false, error: { kind: "claims", message: c.error.message, claims: c.error } };
  return c;
}

/** Claims of a ticket whose MAC verifies under `secret` (constant-time comparison). */
export function decodeTicket(text: string, secret: string): Result<TicketClaims, TicketTextError> {
  const parts = parseTicketText(text);
  if (!parts.ok) return parts;
  const expect = mac(secret, parts.value.claims);
  let diff = 0;
  for (let i = 0; i < MAC_LEN; i++) diff |= expect[i] ^ parts.value.mac[i];
  if (diff !== 0) return { ok: false, error: { kind: "mac", message: "ticket MAC does not verify" } };
  const c = decodeClaims(parts.value.claims);
  if (!c.ok) return { ok: false, error: { kind: "claims", message: c.error.message, claims: c.error } };
  return c;
}

export interface Budget {
  ticks?: bigint;
  ops?: bigint;
  ttlS?: bigint;
}

/** The original's default budgets: queen unbounded, GPU workers short-lived, others generous. */
export function defaultBudget(role: TicketRole): Budget {
  if (role === "queen") return {};
  if (role === "worker-gpu") return { ops: 64n, ttlS: 120n };
  return { ticks: 1000n, ops: 10_000n, ttlS: 300n };
}

export type MintErrorKind = "unknown-role" | "subject-required" | "subject-too-long" | "empty-secret" | "too-long" | "claims";

export interface MintError {
  kind: MintErrorKind;
  message: string;
}

export interface MintRequest {
  /** A role label; `worker` is accepted for `worker-heartbeat`. */
  role: string;
  subject?: string;
  secret: string;
  /** issued_at_ms; defaults to the wall clock. */
  nowMs?: bigint;
}

export interface Minted {
  token: string;
  role: TicketRole;
  claims: TicketClaims;
}

/**
 * Mints a ticket with the role's default budget, `issued_at_ms = now`, empty mounts and no
 * scopes or quotas. Worker roles need a subject; a subject is at most ticket_limits.subject_max
 * bytes, which keeps a default worker ticket within the console's ticket bound.
 */
export function mintTicket(req: MintRequest): Result<Minted, MintError> {
  const role = parseRole(req.role);
  if (role === null) {
    return { ok: false, error: { kind: "unknown-role", message: `unknown role '${req.role}' (expected one of ${Object.keys(MANIFEST.tickets).join(", ")})` } };
  }
  if (req.secret.length === 0) return { ok: false, error: { kind: "empty-secret", message: `the ticket secret for ${role} is empty` } };
  const subject = req.subject === undefined || req.subject === "" ? undefined : req.subject;
  if (role !== "queen" && subject === undefined) {
    return { ok: false, error: { kind: "subject-required", message: `role ${role} needs a ticket subject` } };
  }
  const max = MANIFEST.ticket_limits.subject_max;
  if (subject !== undefined && Buffer.byteLength(subject, "utf8") > max) {
    return {
      ok: false,
      error: { kind: "subject-too-long", message: `ticket subject is ${Buffer.byteLength(subject, "utf8")} bytes; at most ${max} (ticket_limits.subject_max)` },
    };
  }
  const claims: TicketClaims = {
    role,
    ...defaultBudget(role),
    ...(subject !== undefined ? { subject } : {}),
    issuedAtMs: req.nowMs ?? BigInt(Date.now()),
    mounts: { service: "", at: "" },
  };
  const token = signTicket(claims, req.secret);
  if (!token.ok) return { ok: false, error: { kind: "claims", message: token.error.message } };
  const limit = MANIFEST.console.ticket_max;
  if (token.value.length > limit) {
    return { ok: false, error: { kind: "too-long", message: `ticket is ${token.value.length} characters; the console accepts at most ${limit}` } };
  }
  return { ok: true, value: { token: token.value, role, claims } };
}
