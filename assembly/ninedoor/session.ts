// What a session is, for every surface alike (TCP console, Secure9P): attaching a role with a
// ticket, the role view + scope check before each operation, and a UI ticket's read quotas,
// each with its audit line. The surfaces only choose their wording (ack line or errno); the
// one legitimate difference, that 9P has no console AUTH step and so needs a ticket for the
// queen too, is the surface's `queenNeedsTicket`.

import { CONSOLE_TICKET_MAX, TICKET_ROLES, WORKERS_HEARTBEAT_MS } from "../generated/manifest";
import { E_BUDGET, E_EXPIRED } from "../generated/protocol";
import { sha256Hex } from "../crypto/sha256";
import { now_ms, wall_ms } from "../platform/abi";
import { FLAG_QUOTAS } from "../ticket/claims";
import { canonicalRole, verifyTicket } from "../ticket/verify";
import { CAT_CONSOLE, CAT_P9, INFO, WARN } from "../trace/trace";
import { OP_WRITE, ScopeState, scopeCheck } from "./access";
import { Namespace } from "./namespace";
import { Caller, NsError } from "./node";
import { GATE_WORKER_ATTACH } from "./providers/lifecycle";
import { KIND_GPU, KIND_HEARTBEAT } from "./providers/workers";
import { pressure } from "./stats";
import { logField } from "../text/field";

/** A surface's name in audit lines, its trace category, and whether the queen needs a ticket. */
export class Surface {
  constructor(public name: string, public cat: i32, public queenNeedsTicket: bool) {}
}

/**
 * Where a surface sends attach refusals of a connection that has not authenticated yet: they are
 * aggregated there (issue 10, finding 4), never written one line each into the queen log.
 */
export abstract class PreauthSink {
  abstract refused(kind: string, line: string, now: u64): void;
}

export const CONSOLE: Surface = new Surface("console", CAT_CONSOLE, false);
export const SECURE9P: Surface = new Surface("9p", CAT_P9, true);

/** Failed attaches per connection: 250 ms x 2^min(failures, 8) before the next try, reset on success (reference §2.2). */
export class Backoff {
  failures: i32 = 0;
  retryAt: u64 = 0;

  /** How long the next attach must still wait (0 = now is fine). */
  waitMs(now: u64): u64 {
    return now < this.retryAt ? this.retryAt - now : 0;
  }

  failed(now: u64): void {
    const shift = this.failures < 8 ? this.failures : 8;
    this.failures++;
    this.retryAt = now + ((<u64>250) << (<u64>shift));
  }

  reset(): void {
    this.failures = 0;
    this.retryAt = 0;
  }
}

// Why an attach was refused; the surfaces word each one (console detail, 9P errno + message).
export const ATTACH_OK: i32 = 0;
export const ATTACH_INVALID_ROLE: i32 = 1;
export const ATTACH_TICKET_REQUIRED: i32 = 2;
export const ATTACH_TICKET_REFUSED: i32 = 3; // the verifier's reason/detail
export const ATTACH_SUBJECT_MISMATCH: i32 = 4;
export const ATTACH_LIFECYCLE: i32 = 5;
export const ATTACH_NOT_FOUND: i32 = 6;

export class AttachResult {
  code: i32 = ATTACH_OK;
  reason: string = ""; // busy | quota | cut | policy
  detail: string = ""; // the console's detail= text, e.g. "lifecycle-denied state=QUIESCED"
  subject: string = ""; // the ticket's subject, once the ticket checked out
  attachment: Attachment | null = null;
  preauth: PreauthSink | null = null; // where refusals go while the connection is unauthenticated
}

const ERR_TICKET_EXPIRED = new NsError(E_EXPIRED, "ticket expired; attach again");
const ERR_TICKET_SPENT = new NsError(E_BUDGET, "ticket budget used up; attach again");

/** A refused operation: `byRole` for the role view (EPERM, no scope involved), else a ticket scope or rate. */
export class Refusal {
  constructor(public byRole: bool, public reason: string, public error: string) {}
}

let attachments: u32 = 0;

function nextAttachmentId(): u32 {
  attachments++;
  return attachments;
}

/** What one successful attach established; a console session has one, a 9P session one per Tattach. */
export class Attachment {
  role: string = "";
  subject: string = ""; // the worker id / scope a worker ticket names
  scopes: ScopeState | null = null; // the ticket's scopes, if it carried any
  ticketTag: string = "-"; // short hash of the ticket for audit lines; never the ticket itself
  // Quotas of a UI ticket (one with scopes or quotas): bytes it may still read, telemetry reads
  // ("cursor advances") it may still make. u64.MAX_VALUE / u32.MAX_VALUE = not limited.
  bandwidthLeft: u64 = u64.MAX_VALUE;
  advancesLeft: u32 = u32.MAX_VALUE;
  // The ticket holds for the whole session: its ttl (wall clock), its ops (one per request) and
  // its ticks (heartbeat intervals of session time, the unit of a worker's own ticks budget).
  expiresAtMs: u64 = u64.MAX_VALUE;
  opsLeft: u64 = u64.MAX_VALUE;
  ticksBudget: u64 = u64.MAX_VALUE;
  attachedAt: u64 = 0;
  detached: bool = false; // the ticket ran out: every later request is refused
  surface: string = "";

  id: u32 = nextAttachmentId();

  constructor(private ns: Namespace) {}

  /**
   * One request of this session: the ticket's ttl, ticks and ops are checked and one op is
   * charged. Null = go ahead; otherwise the session is detached from now on (audited once).
   */
  request(wall: u64, now: u64): NsError | null {
    if (this.detached) return ERR_TICKET_EXPIRED;
    let why = "";
    if (wall >= this.expiresAtMs) why = "expired";
    else if (this.ticksBudget != u64.MAX_VALUE && (now - this.attachedAt) / <u64>WORKERS_HEARTBEAT_MS >= this.ticksBudget) why = "ticks";
    else if (this.opsLeft == 0) why = "ops";
    if (why.length == 0) {
      if (this.opsLeft != u64.MAX_VALUE) this.opsLeft--;
      return null;
    }
    this.detached = true;
    this.ns.queenLog.system("ticket outcome=detach reason=" + why + " surface=" + this.surface + " role=" + this.role + " ticket=" + this.ticketTag);
    pressure.count("quota");
    return why == "expired" ? ERR_TICKET_EXPIRED : ERR_TICKET_SPENT;
  }

  caller(): Caller {
    return new Caller(this.role, this.subject, this.ticketTag, this.id);
  }

  /** True when reads are charged (a UI ticket with a bandwidth or cursor quota). */
  get metered(): bool {
    return this.bandwidthLeft != u64.MAX_VALUE || this.advancesLeft != u32.MAX_VALUE;
  }

  /** Role view, then ticket scopes; a scope refusal is audited. Null = allowed. */
  access(path: string, op: i32): Refusal | null {
    const real = this.ns.ctl.resolveBinds(path);
    if (!this.ns.views.allows(new Caller(this.role, this.subject), real, op)) {
      pressure.count("policy");
      return new Refusal(true, "policy", "EPERM");
    }
    const e = scopeCheck(this.scopes, real, op, now_ms());
    if (e == null) return null;
    const why = e.reason == "quota" ? "rate" : "scope";
    this.ns.queenLog.system(
      "ui-ticket outcome=deny reason=" + why + " role=" + this.role + " ticket=" + this.ticketTag + " path=" + path + " verb=" + (op == OP_WRITE ? "write" : "read"),
    );
    pressure.count(e.reason);
    return new Refusal(false, e.reason, e.error);
  }

  /**
   * Charges a read of `bytes` against the UI quotas (`cursor`: the read advances a telemetry
   * cursor). False = refused whole and audited; nothing is charged then.
   */
  charge(path: string, bytes: u64, cursor: bool): bool {
    if (!this.metered) return true;
    let why = "";
    if (cursor && this.advancesLeft == 0) why = "cursor-advance";
    else if (bytes > this.bandwidthLeft) why = "bandwidth";
    if (why.length > 0) {
      this.ns.queenLog.system("ui-ticket outcome=deny reason=" + why + " role=" + this.role + " ticket=" + this.ticketTag + " path=" + path + " verb=read");
      pressure.count("quota");
      return false;
    }
    if (this.bandwidthLeft != u64.MAX_VALUE) this.bandwidthLeft -= bytes;
    if (cursor && this.advancesLeft != u32.MAX_VALUE) this.advancesLeft--;
    return true;
  }
}

/**
 * Attaches `role` (as the client spelled it) with `ticket` ("" = none). `ident` is a subject the
 * client claims besides the ticket (9P's `role:id` uname; "" = none): it must match the ticket's.
 * The caller has already honoured `backoff.waitMs`. Every outcome is audited and traced.
 */
export function attach(ns: Namespace, surface: Surface, backoff: Backoff, spelled: string, ticket: string, ident: string, now: u64, preauth: PreauthSink | null = null): AttachResult {
  const out = new AttachResult();
  out.preauth = preauth;
  const role = canonicalRole(spelled);
  if (!TICKET_ROLES.includes(role)) return refused(ns, surface, backoff, out, now, ATTACH_INVALID_ROLE, "policy", "invalid-role", "role=" + logField(role));
  let subject = "";
  const a = new Attachment(ns);
  if (ticket.length == 0 || String.UTF8.byteLength(ticket) > CONSOLE_TICKET_MAX) {
    // Only the queen may attach without a ticket, and only where a console AUTH came first (reference §2.2).
    if (ticket.length > 0 || role != "queen" || surface.queenNeedsTicket) {
      return refused(ns, surface, backoff, out, now, ATTACH_TICKET_REQUIRED, "policy", "ticket-required", "role=" + role + " cause=ticket-required");
    }
  } else {
    const r = verifyTicket(ticket, role, wall_ms());
    if (!r.ok) return refused(ns, surface, backoff, out, now, ATTACH_TICKET_REFUSED, r.reason, ticketDetail(r.detail, r.cause), "role=" + role + " cause=" + r.cause);
    subject = r.subject;
    out.subject = subject;
    if (ident.length > 0 && ident != subject) {
      return refused(ns, surface, backoff, out, now, ATTACH_SUBJECT_MISMATCH, "policy", "subject-mismatch", "role=" + role + " cause=subject-mismatch");
    }
    if (r.scopes.length > 0) a.scopes = new ScopeState(r.scopes);
    if (r.scopes.length > 0 || r.claims!.has(FLAG_QUOTAS)) {
      a.bandwidthLeft = r.bandwidthBytes == 0 ? u64.MAX_VALUE : r.bandwidthBytes;
      a.advancesLeft = r.cursorAdvances == 0 ? u32.MAX_VALUE : r.cursorAdvances;
    }
    a.ticketTag = sha256Hex(ticket).substring(0, 16);
    a.expiresAtMs = r.expiresAtMs;
    if (r.hasOps && r.ops > 0) a.opsLeft = r.ops;
    if (r.hasTicks && r.ticks > 0) a.ticksBudget = r.ticks;
  }
  if (role != "queen") {
    if (!ns.lifecycle.gate(GATE_WORKER_ATTACH)) {
      return refused(ns, surface, backoff, out, now, ATTACH_LIFECYCLE, "policy", "lifecycle-denied state=" + ns.lifecycle.state, "role=" + role);
    }
    // Heartbeat and GPU tickets name a worker record of their own kind, which must exist.
    if (role == "worker-heartbeat" || role == "worker-gpu") {
      const w = ns.workers.find(subject);
      const kind = role == "worker-gpu" ? KIND_GPU : KIND_HEARTBEAT;
      if (w == null || w.kind != kind) return refused(ns, surface, backoff, out, now, ATTACH_NOT_FOUND, "policy", "unknown-subject", "role=" + role + " subject=" + subject);
    }
  }
  a.role = role;
  a.subject = subject;
  a.surface = surface.name;
  a.attachedAt = now;
  backoff.reset();
  const who = "role=" + role + (subject.length > 0 ? " subject=" + subject : "") + " ticket=" + a.ticketTag;
  ns.queenLog.system(surface.name + " attach outcome=allow " + who);
  ns.trace.emit(INFO, surface.cat, "attach ok " + who);
  out.attachment = a;
  return out;
}

/**
 * The verifier's refusal, said precisely (never revealing a secret): a MAC that does not verify
 * (wrong secret, or the ticket was altered), a genuine ticket for another role, a role with no
 * secret in this manifest; otherwise the verifier's own word (invalid-claims, expired).
 */
function ticketDetail(detail: string, cause: string): string {
  if (cause == "mac") return "bad-mac";
  if (cause == "role") return "role-mismatch";
  if (cause == "no-secret") return "no-secret";
  return detail;
}

function refused(ns: Namespace, surface: Surface, backoff: Backoff, out: AttachResult, now: u64, code: i32, reason: string, detail: string, audit: string): AttachResult {
  backoff.failed(now);
  const line = surface.name + " attach outcome=deny detail=" + detail + " " + audit;
  if (out.preauth != null) out.preauth!.refused("attach_deny", line, now);
  else ns.queenLog.system(line);
  // An unknown role is client text: it stays out of the trace.
  ns.trace.emit(WARN, surface.cat, "attach refused detail=" + detail + (code == ATTACH_INVALID_ROLE ? "" : " " + audit));
  pressure.count(reason);
  out.code = code;
  out.reason = reason;
  out.detail = detail;
  return out;
}
