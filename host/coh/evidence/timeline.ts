// `coh evidence timeline`: the pack's audit journal, policy decisions, host tickets and active
// leases as one ordered event list (reference §3.5–§3.6) — timeline.ndjson (compact JSON, fixed
// field order, absent fields omitted) and timeline.md — offline, from the pack's files only.
// Relay provenance (source/target hive, hop, correlation id) is carried where tickets have it.

import { type Json } from "./redact.js";

const FIELDS = [
  "schema", "kind", "source", "seq", "lease_seq", "path", "outcome", "error", "role", "ticket", "payload", "id", "idempotency_key",
  "correlation_key", "ticket_action", "source_hive", "target_hive", "relay_hop", "relay_correlation_id", "target", "subject",
  "resource", "state", "ttl_s", "priority",
] as const;
type Field = (typeof FIELDS)[number];
export type Event = Partial<Record<Field, string | number>>;

export const TIMELINE_SOURCES = ["audit/journal", "audit/decisions", "host/tickets/spec", "host/tickets/status", "host/tickets/deadletter", "proc/lease/active"];
const MAX = Number.MAX_SAFE_INTEGER;

const str = (v: Json | undefined): string | undefined => (typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined);
const num = (v: Json | undefined): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : typeof v === "string" && /^\d+$/.test(v) ? Number(v) : undefined);

function parse(line: string): Record<string, Json> | null {
  try {
    const v = JSON.parse(line) as Json;
    return v !== null && typeof v === "object" && !Array.isArray(v) ? v : null;
  } catch {
    return null;
  }
}

/** The ticket fields of a host-ticket spec or result object. */
function ticketFields(t: Record<string, Json>): Event {
  const e: Event = {
    id: str(t.id),
    idempotency_key: str(t.idempotency_key),
    ticket_action: str(t.action),
    source_hive: str(t.source_hive),
    target_hive: str(t.target_hive),
    relay_hop: num(t.relay_hop),
    relay_correlation_id: str(t.relay_correlation_id),
    target: str(t.target),
  };
  if (e.id !== undefined && e.idempotency_key !== undefined) {
    e.correlation_key = e.source_hive !== undefined && e.target_hive !== undefined ? `${e.id}:${e.idempotency_key}:${e.source_hive}:${e.target_hive}` : `${e.id}:${e.idempotency_key}`;
  }
  return e;
}

function errorText(v: Json | undefined): string | undefined {
  if (typeof v === "string") return v;
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    const code = str(v.code);
    const msg = str(v.message);
    return code !== undefined ? (msg !== undefined ? `${code}: ${msg}` : code) : msg;
  }
  return undefined;
}

/** Events of one source's lines (already redacted in the pack). */
export function eventsOf(source: string, lines: string[]): Event[] {
  const out: Event[] = [];
  for (const l of lines) {
    if (l.trim() === "") continue;
    if (source === "proc/lease/active") {
      const kv: Record<string, string> = {};
      l.split(/\s+/).forEach((tok, i) => {
        const eq = tok.indexOf("=");
        if (eq > 0) kv[tok.slice(0, eq)] = tok.slice(eq + 1);
        else if (i === 0 && tok) kv.id = tok;
      });
      if (!kv.id || !kv.subject || !kv.resource) continue;
      out.push({ kind: "lease.active", source, lease_seq: num(kv.seq), id: kv.id, subject: kv.subject, resource: kv.resource, state: kv.state, ttl_s: num(kv.ttl_s), priority: num(kv.priority) });
      continue;
    }
    const o = parse(l);
    if (!o) continue;
    if (source === "audit/journal") {
      const e: Event = { kind: str(o.kind) ?? "write", source, seq: num(o.seq), path: str(o.path), outcome: str(o.outcome), error: errorText(o.error), role: str(o.role), ticket: str(o.ticket), payload: str(o.payload) };
      const path = String(e.path ?? "");
      const t = path.startsWith("/host/tickets/") && e.payload !== undefined ? parse(String(e.payload)) : null;
      if (t) Object.assign(e, ticketFields(t), { state: path.endsWith("/spec") ? "queued" : str(t.state) });
      out.push(e);
    } else if (source === "audit/decisions") {
      out.push({ kind: str(o.kind) ?? "decision", source, seq: num(o.seq), path: str(o.target), outcome: str(o.outcome), role: str(o.role), ticket: str(o.ticket), id: str(o.rule), target: str(o.target) });
    } else if (source === "host/tickets/spec") {
      out.push({ kind: "host-ticket.spec", source, path: "/host/tickets/spec", ...ticketFields(o), state: "queued" });
    } else {
      const kind = source === "host/tickets/status" ? "host-ticket.status" : "host-ticket.deadletter";
      out.push({ kind, source, path: `/${source}`, outcome: str(o.state), payload: str(o.message), ...ticketFields(o), state: str(o.state) });
    }
  }
  return out;
}

/** Stable sort: seq, then lease_seq (absent = last), then correlation key, then kind. */
export function order(events: Event[]): Event[] {
  const key = (e: Event): [number, number, string, string] => [typeof e.seq === "number" ? e.seq : MAX, typeof e.lease_seq === "number" ? e.lease_seq : MAX, String(e.correlation_key ?? ""), String(e.kind ?? "")];
  return events
    .map((e, i) => ({ e, i, k: key(e) }))
    .sort((a, b) => a.k[0] - b.k[0] || a.k[1] - b.k[1] || (a.k[2] < b.k[2] ? -1 : a.k[2] > b.k[2] ? 1 : 0) || (a.k[3] < b.k[3] ? -1 : a.k[3] > b.k[3] ? 1 : 0) || a.i - b.i)
    .map((x) => x.e);
}

/** One compact line in the fixed field order, absent fields left out. */
export function ndjsonLine(e: Event): string {
  const o: Record<string, string | number> = { schema: "cohesix-evidence-pack/timeline-v1" };
  for (const f of FIELDS) if (f !== "schema" && e[f] !== undefined) o[f] = e[f]!;
  return JSON.stringify(o);
}

export function markdown(events: Event[]): string {
  const v = (x: string | number | undefined): string => (x === undefined ? "" : String(x).replace(/[\r\n]/g, " "));
  const lines = ["# Evidence timeline", "", `events: ${events.length}`, ""];
  for (const e of events) {
    if (e.seq !== undefined) lines.push(`- seq=${v(e.seq)} kind=${v(e.kind)} source=${v(e.source)} outcome=${v(e.outcome)} path=${v(e.path)}`);
    else if (e.lease_seq !== undefined) lines.push(`- lease_seq=${v(e.lease_seq)} id=${v(e.id)} subject=${v(e.subject)} resource=${v(e.resource)} state=${v(e.state)}`);
    else if (e.correlation_key !== undefined)
      lines.push(`- ticket=${v(e.correlation_key)} action=${v(e.ticket_action)} state=${v(e.state)} source_hive=${v(e.source_hive)} target_hive=${v(e.target_hive)} stream=${v(e.source)} target=${v(e.target)} relay_hop=${v(e.relay_hop)}`);
  }
  return lines.join("\n") + "\n";
}
