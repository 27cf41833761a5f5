// Who is calling: the request token admits a caller with the gateway's upstream role; an
// `x-cohesix-ticket` header narrows that caller to the ticket's role, subject, scopes and quotas.
// Tickets are checked with the same claims code the guest uses (host/sdk/ticket), under the secrets
// of the manifest the gateway runs with. Every refusal names its reason.

import { createHash, timingSafeEqual } from "node:crypto";
import { decodeTicket, decodeTicketUnverified, type TicketClaims, type TicketScope } from "../sdk/ticket/index.js";
import { GatewayError } from "./errors.js";
import type { GatewayManifest } from "./manifest.js";

export type Op = "read" | "write";

export interface Caller {
  role: string;
  /** First 16 hex of sha256(ticket): what logs and audit lines may name. */
  ticketTag: string | null;
  subject?: string;
  scopes?: TicketScope[];
  bandwidthBytes?: bigint;
  expiresAtMs?: number;
}

export type Headers = Record<string, string | string[] | undefined>;

function single(h: Headers, name: string): string | undefined {
  const v = h[name];
  return Array.isArray(v) ? (v.length === 1 ? v[0] : undefined) : v;
}

/** The token a request carries: `Authorization: Bearer …` first, then `x-cohesix-auth`. */
export function requestToken(h: Headers): string | undefined {
  const a = single(h, "authorization");
  const m = a ? /^bearer\s+(.+)$/i.exec(a.trim()) : null;
  if (m) return m[1].trim();
  return single(h, "x-cohesix-auth")?.trim();
}

function sameSecret(a: string, b: string): boolean {
  const x = createHash("sha256").update(a).digest();
  const y = createHash("sha256").update(b).digest();
  return timingSafeEqual(x, y);
}

interface Usage {
  windowStart: number;
  perScope: number[];
  bytes: bigint;
  expiresAtMs: number;
}

export class Authority {
  private usage = new Map<string, Usage>();
  readonly counters = { admitted: 0, refused: 0, narrowed: 0 };

  constructor(
    private readonly token: string,
    private readonly upstreamRole: string,
    private readonly manifest: GatewayManifest,
    private readonly now: () => number = Date.now,
    private readonly maxTickets = 1024,
  ) {}

  /** Request authentication, then the optional narrowing ticket. */
  admit(h: Headers): Caller {
    const t = requestToken(h);
    if (t === undefined || t === "") return this.refuse(401, "missing request auth token; provide Authorization: Bearer <token> or x-cohesix-auth");
    if (!sameSecret(t, this.token)) return this.refuse(401, "invalid request auth token");
    const raw = h["x-cohesix-ticket"];
    // Node joins a repeated header with ", "; a ticket never holds a comma.
    if ((Array.isArray(raw) && raw.length > 1) || (typeof raw === "string" && raw.includes(","))) return this.refuse(403, "EPERM delegated-ticket-invalid: send x-cohesix-ticket once");
    const ticket = single(h, "x-cohesix-ticket")?.trim();
    const upstreamIsQueen = this.upstreamRole === "queen";
    if (!ticket) {
      // A worker-role gateway must not lend its authority to callers who prove nothing more.
      if (!upstreamIsQueen) return this.refuse(403, "EPERM delegated-ticket-required: a worker-role gateway needs x-cohesix-ticket");
      this.counters.admitted++;
      return { role: this.upstreamRole, ticketTag: null };
    }
    const claims = this.verify(ticket);
    if (!upstreamIsQueen && claims.role !== this.upstreamRole) return this.refuse(403, `EPERM gateway-ceiling-role: ticket role ${claims.role} exceeds the gateway's ${this.upstreamRole}`);
    const tag = createHash("sha256").update(ticket).digest("hex").slice(0, 16);
    const expiresAtMs = claims.ttlS !== undefined ? Number(claims.issuedAtMs + claims.ttlS * 1000n) : Number.MAX_SAFE_INTEGER;
    const bw = claims.quotas && claims.quotas.bandwidthBytes > 0n ? claims.quotas.bandwidthBytes : undefined;
    this.counters.admitted++;
    this.counters.narrowed++;
    return { role: claims.role, ticketTag: tag, subject: claims.subject, scopes: claims.scopes, bandwidthBytes: bw, expiresAtMs };
  }

  /** The guest's ticket rules (assembly/ticket/verify.ts), with its reason/detail words. */
  private verify(ticket: string): TicketClaims {
    const m = this.manifest.m;
    const bad = (msg: string): never => this.refuse(403, `EPERM delegated-ticket-invalid: ${msg}`, undefined, "policy", "invalid-claims");
    if (ticket.length > m.console.ticket_max) return this.refuse(403, `ELIMIT delegated-ticket-length: ticket exceeds ${m.console.ticket_max} characters`, undefined, "policy", "invalid-claims");
    const unverified = decodeTicketUnverified(ticket);
    if (!unverified.ok) return bad(unverified.error.message);
    const secret = (m.tickets as Record<string, string>)[unverified.value.role];
    if (!secret) return this.refuse(403, "EPERM delegated-ticket-invalid: no secret for role", undefined, "policy", "denied");
    const v = decodeTicket(ticket, secret);
    if (!v.ok) return this.refuse(403, `EPERM delegated-ticket-invalid: ${v.error.message}`, undefined, "policy", "denied");
    const c = v.value;
    const now = this.now();
    if (c.ttlS !== undefined && Number(c.issuedAtMs + c.ttlS * 1000n) <= now) return this.refuse(403, "EPERM delegated-ticket-time: ticket expired", undefined, "quota", "expired");
    if (Number(c.issuedAtMs) > now + 5000) return this.refuse(403, "EPERM delegated-ticket-time: issued in the future", undefined, "policy", "invalid-claims");
    const tl = m.ticket_limits;
    const scopes = c.scopes ?? [];
    if (tl.max_scopes > 0 && scopes.length > tl.max_scopes) return this.refuse(403, `EPERM delegated-ticket-claims: more than ${tl.max_scopes} scopes`, undefined, "quota", "invalid-claims");
    for (const s of scopes) {
      if (tl.max_scope_path_len > 0 && Buffer.byteLength(s.path) > tl.max_scope_path_len) return this.refuse(403, `EPERM delegated-ticket-claims: scope path over ${tl.max_scope_path_len} bytes`, undefined, "quota", "invalid-claims");
      if (tl.max_scope_rate_per_s > 0 && s.ratePerS > tl.max_scope_rate_per_s) return this.refuse(403, `EPERM delegated-ticket-claims: scope rate over ${tl.max_scope_rate_per_s}/s`, undefined, "quota", "invalid-claims");
    }
    if (c.role !== "queen" && !c.subject) return this.refuse(403, "EPERM delegated-ticket-claims: a worker ticket names its subject", undefined, "policy", "denied");
    return c;
  }

  /** May `caller` do `op` on `path`, moving `bytes`? Charges the ticket's rate and bandwidth. */
  authorize(caller: Caller, op: Op, path: string, bytes = 0): void {
    if (caller.ticketTag === null) return;
    if (caller.expiresAtMs !== undefined && caller.expiresAtMs <= this.now()) this.refuse(403, "EPERM delegated-ticket-time: ticket expired");
    if (caller.role !== "queen") this.workerView(caller, op, path);
    let scopeIdx = -1;
    if (caller.scopes && caller.scopes.length > 0) {
      scopeIdx = longestScope(caller.scopes, path);
      if (scopeIdx < 0) this.refuse(403, `EPERM delegated-ticket-scope: no ticket scope covers ${path}`);
      const verb = caller.scopes[scopeIdx].verb;
      if ((op === "write" && verb === "read") || (op === "read" && verb === "write")) this.refuse(403, `EPERM delegated-ticket-scope: scope ${caller.scopes[scopeIdx].path} is ${verb}-only`);
    }
    this.charge(caller, scopeIdx, bytes);
  }

  /** Worker roles write only their own telemetry and read only their own subtree. */
  private workerView(caller: Caller, op: Op, path: string): void {
    const s = caller.subject ?? "";
    const own = path === `/worker/${s}/telemetry` || new RegExp(`^/shard/[0-9a-f]{2}/worker/${escapeRe(s)}/telemetry$`).test(path);
    if (op === "write" && !own) this.refuse(403, `EPERM delegated-ticket-scope: role ${caller.role} may write only its own telemetry, not ${path}`);
    const ownTree = path === `/worker/${s}` || path.startsWith(`/worker/${s}/`) || new RegExp(`^/shard/[0-9a-f]{2}/worker/${escapeRe(s)}(/|$)`).test(path);
    if (op === "read" && !ownTree && !(caller.scopes && caller.scopes.length > 0)) this.refuse(403, `EPERM delegated-ticket-scope: role ${caller.role} may read only its own worker tree, not ${path}`);
  }

  private charge(caller: Caller, scopeIdx: number, bytes: number): void {
    const key = caller.ticketTag as string;
    const now = this.now();
    let u = this.usage.get(key);
    if (!u) {
      for (const [k, v] of this.usage) if (v.expiresAtMs <= now) this.usage.delete(k);
      if (this.usage.size >= this.maxTickets) this.refuse(429, "ELIMIT delegated-ticket-capacity: too many live caller tickets", 1);
      u = { windowStart: now, perScope: [], bytes: 0n, expiresAtMs: caller.expiresAtMs ?? Number.MAX_SAFE_INTEGER };
      this.usage.set(key, u);
    }
    if (now - u.windowStart >= 1000) {
      u.windowStart = now;
      u.perScope = [];
    }
    const rate = scopeIdx >= 0 ? (caller.scopes as TicketScope[])[scopeIdx].ratePerS : 0;
    const used = scopeIdx >= 0 ? (u.perScope[scopeIdx] ?? 0) : 0;
    if (rate > 0 && used >= rate) this.refuse(429, `ELIMIT delegated-ticket-rate: ${rate} requests per second for scope ${(caller.scopes as TicketScope[])[scopeIdx].path}`, 1);
    const b = BigInt(bytes);
    if (caller.bandwidthBytes !== undefined && u.bytes + b > caller.bandwidthBytes) this.refuse(429, `ELIMIT delegated-ticket-bytes: bandwidth quota of ${caller.bandwidthBytes} bytes spent`, 60);
    // Nothing is committed until every check passed.
    if (scopeIdx >= 0) u.perScope[scopeIdx] = used + 1;
    u.bytes += b;
  }

  private refuse(status: number, msg: string, retryAfterS?: number, reason?: string, detail?: string): never {
    this.counters.refused++;
    throw new GatewayError(status, msg, { ...(retryAfterS !== undefined ? { retryAfterS } : {}), ...(reason ? { reason, detail } : {}) });
  }
}

function longestScope(scopes: TicketScope[], path: string): number {
  let best = -1;
  let len = -1;
  scopes.forEach((s, i) => {
    const p = s.path.replace(/\/+$/, "") || "/";
    const covers = p === "/" || path === p || path.startsWith(p + "/");
    if (covers && p.length > len) {
      best = i;
      len = p.length;
    }
  });
  return best;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
