// host-ticket/v1 requests and host-ticket-result/v1 receipts on the host side (reference §2.3–2.4):
// the request as parsed from a spec line, the compatibility key, and the receipt line built in
// the schema's field order with the original's message rules, so the bytes match the original's.

import { MANIFEST } from "../generated/manifest.js";

export const REQUEST_SCHEMA = "host-ticket/v1";
export const RESULT_SCHEMA = "host-ticket-result/v1";

export type TicketState = "claimed" | "running" | "succeeded" | "failed" | "expired";
export const TERMINAL: readonly TicketState[] = ["succeeded", "failed", "expired"];

export interface TicketSpec {
  writer_epoch?: number;
  schema: string;
  id: string;
  idempotency_key: string;
  action: string;
  target?: string;
  args?: Record<string, unknown> | null;
  expires_unix_ms?: number;
  source_hive?: string;
  target_hive?: string;
  relay_hop?: number;
  relay_correlation_id?: string;
  receipt_mode?: string;
}

const SPEC_FIELDS = ["writer_epoch", "schema", "id", "idempotency_key", "action", "target", "args", "expires_unix_ms", "source_hive", "target_hive", "relay_hop", "relay_correlation_id", "receipt_mode"];
const TOKEN = /^[A-Za-z0-9._:][A-Za-z0-9._:-]{0,127}$/;

/** A spec line as a request, or why not (the guest validated it already; this is the host's own check). */
export function parseSpec(line: string): { spec: TicketSpec } | { error: string } {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return { error: "not JSON" };
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) return { error: "not a JSON object" };
  const o = v as Record<string, unknown>;
  const unknown = Object.keys(o).find((k) => !SPEC_FIELDS.includes(k));
  if (unknown) return { error: `unknown field ${unknown}` };
  if (o.schema !== REQUEST_SCHEMA) return { error: `schema must be ${REQUEST_SCHEMA}` };
  for (const k of ["id", "idempotency_key", "action"]) if (typeof o[k] !== "string" || !TOKEN.test(o[k] as string)) return { error: `${k} must be a token` };
  return { spec: o as unknown as TicketSpec };
}

/** The original's compatibility-journal key: `<len(id)>:<id>:<idempotency_key>`. */
export function ticketKey(s: Pick<TicketSpec, "id" | "idempotency_key">): string {
  return `${s.id.length}:${s.id}:${s.idempotency_key}`;
}

/** Where a receipt of `state` goes. */
export function resultFile(state: TicketState, mount: string = MANIFEST.host.mount_at): string {
  return `${mount}/tickets/${state === "failed" || state === "expired" ? "deadletter" : "status"}`;
}

/** The receipt bound: min(result_line_max, 224), or echo_max when the request carries writer_epoch (reference §2.4). */
export function receiptLimit(s: TicketSpec): number {
  const base = Math.min(MANIFEST.host.result_line_max, 224);
  return s.writer_epoch !== undefined ? Math.min(base, MANIFEST.console.echo_max) : base;
}

function render(s: TicketSpec, state: TicketState, message: string | undefined): string {
  const o: Record<string, unknown> = {};
  if (s.writer_epoch !== undefined) o.writer_epoch = s.writer_epoch;
  o.schema = RESULT_SCHEMA;
  o.id = s.id;
  o.idempotency_key = s.idempotency_key;
  o.action = s.action;
  o.state = state;
  if (message !== undefined) o.message = message;
  for (const k of ["source_hive", "target_hive", "relay_hop", "relay_correlation_id", "receipt_mode"] as const) if (s[k] !== undefined) o[k] = s[k];
  return JSON.stringify(o);
}

const bytes = (t: string): number => Buffer.byteLength(t);

/** Cuts to `n` characters without splitting a surrogate pair. */
function cutChars(t: string, n: number): string {
  return Array.from(t).slice(0, n).join("");
}

/**
 * The receipt line: control characters in the message become spaces (and it is cut to 192 bytes);
 * a line over the limit gets the message cut to 96 characters, then dropped. The guest refuses a
 * spec whose bare receipt could not fit, so the last step always fits.
 */
export function receiptLine(s: TicketSpec, state: TicketState, message: string): string {
  let m = message.replace(/[\u0000-\u001f\u007f]/g, " ");
  while (bytes(m) > 192) m = cutChars(m, Array.from(m).length - 1);
  const limit = receiptLimit(s);
  let line = render(s, state, m);
  if (bytes(line) <= limit) return line;
  line = render(s, state, cutChars(m, 96));
  if (bytes(line) <= limit) return line;
  return render(s, state, undefined);
}

/** The fields of a host-ticket-result/v1 line the relay and the bus route by. */
export interface Receipt {
  id: string;
  idempotency_key: string;
  state: TicketState;
  source_hive?: string;
  target_hive?: string;
  relay_correlation_id?: string;
}

/** A receipt line's routing fields, or null when the line is not a receipt. */
export function parseReceipt(l: string): Receipt | null {
  try {
    const r = JSON.parse(l) as Receipt;
    return typeof r.id === "string" && typeof r.state === "string" ? r : null;
  } catch {
    return null;
  }
}
