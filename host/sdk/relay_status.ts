// relay-status.json: the relay's live counters, written by host-ticket-agent --relay into its
// state directory after every pass (a durable whole-file replace) and read by hive-gateway for
// /v1/meta/status on each request. Both tools share only this schema; neither imports the other.

import { readFileSync } from "node:fs";

export const RELAY_STATUS_SCHEMA = "host-ticket-agent-relay-status/v1";
export const RELAY_STATUS_MAX_BYTES = 16_384;

export interface RelayStatusDoc {
  schema: typeof RELAY_STATUS_SCHEMA;
  updated_unix_ms: number;
  pid: number;
  local_hive: string;
  /** How relayed tickets travel: peer gateways (the WAL relay) or the NATS JetStream bus. */
  carrier: "gateway" | "nats";
  passes: number;
  /** Totals since the agent started, except queue_depth (entries unfinished after the last pass). */
  totals: Record<string, number>;
  /** --relay-bus only: the bus's totals since the agent started. */
  bus?: Record<string, number>;
}

const counters = (v: unknown): v is Record<string, number> => typeof v === "object" && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === "number" && Number.isFinite(x));

/** The document, or why the text is not one. */
export function parseRelayStatus(text: string): RelayStatusDoc | { error: string } {
  if (Buffer.byteLength(text) > RELAY_STATUS_MAX_BYTES) return { error: `over ${RELAY_STATUS_MAX_BYTES} bytes` };
  let d: Partial<RelayStatusDoc>;
  try {
    d = JSON.parse(text) as Partial<RelayStatusDoc>;
  } catch {
    return { error: "not JSON" };
  }
  if (d.schema !== RELAY_STATUS_SCHEMA) return { error: `schema is not ${RELAY_STATUS_SCHEMA}` };
  if (typeof d.updated_unix_ms !== "number" || typeof d.local_hive !== "string" || (d.carrier !== "gateway" && d.carrier !== "nats") || !counters(d.totals) || (d.bus !== undefined && !counters(d.bus))) return { error: "missing or mistyped fields" };
  return d as RelayStatusDoc;
}

/** Reads the file: null when it does not exist (no relaying agent yet), else the document or the problem. */
export function readRelayStatus(file: string): RelayStatusDoc | { error: string } | null {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return null;
    return { error: `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}` };
  }
  return parseRelayStatus(text);
}
