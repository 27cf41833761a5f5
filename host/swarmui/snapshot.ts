// Hive snapshots and cohsh transcripts as CBOR (reference §5.5): a snapshot is a map with text
// keys {version:1, created_ms, agents:[{id,role,namespace}], events:[{seq,kind,reason,agent,role,
// namespace,detail}]}; a transcript is {ok, lines:[text]} whose lines become events of agent
// `worker-replay`. Decoding returns a Result with a one-line reason, never throws.

import { decode, encode } from "cbor2";
import type { Agent, HiveEvent } from "./shared/types.js";
import { classify } from "./events.js";

export interface HiveSnapshot {
  version: 1;
  created_ms: number;
  agents: Agent[];
  events: HiveEvent[];
}

export type Decoded = { ok: true; value: HiveSnapshot; from: "snapshot" | "transcript" } | { ok: false; error: string };

export const REPLAY_AGENT: Agent = { id: "worker-replay", role: "worker", namespace: "/worker/worker-replay" };

export function encodeSnapshot(s: HiveSnapshot): Uint8Array {
  // Field order as the original's serde structs; null for absent optionals (not omitted).
  return encode({
    version: s.version,
    created_ms: s.created_ms,
    agents: s.agents.map((a) => ({ id: a.id, role: a.role, namespace: a.namespace })),
    events: s.events.map((e) => ({ seq: e.seq, kind: e.kind, reason: e.reason, agent: e.agent, role: e.role, namespace: e.namespace, detail: e.detail })),
  });
}

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
const str = (v: unknown): v is string => typeof v === "string";
const optStr = (v: unknown): v is string | null => v === null || v === undefined || typeof v === "string";

function toNumber(v: unknown): number | null {
  if (typeof v === "number" && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === "bigint" && v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v);
  return null;
}

function snapshotOf(v: Record<string, unknown>, maxEvents: number): Decoded {
  if (toNumber(v.version) !== 1) return { ok: false, error: `unsupported snapshot version ${String(v.version)} (expected 1)` };
  const created = toNumber(v.created_ms);
  if (created === null) return { ok: false, error: "snapshot created_ms is not a non-negative integer" };
  if (!Array.isArray(v.agents) || !Array.isArray(v.events)) return { ok: false, error: "snapshot needs agents and events arrays" };
  if (v.events.length > maxEvents) return { ok: false, error: `snapshot has ${v.events.length} events > snapshot_max_events ${maxEvents}` };
  const agents: Agent[] = [];
  for (const [i, a] of v.agents.entries()) {
    if (!isObj(a) || !str(a.id) || !str(a.role) || !str(a.namespace)) return { ok: false, error: `snapshot agent ${i} needs text id, role and namespace` };
    agents.push({ id: a.id, role: a.role as Agent["role"], namespace: a.namespace });
  }
  const events: HiveEvent[] = [];
  for (const [i, e] of v.events.entries()) {
    const seq = isObj(e) ? toNumber(e.seq) : null;
    if (!isObj(e) || seq === null || (e.kind !== "telemetry" && e.kind !== "error") || !str(e.agent) || !str(e.namespace) || !optStr(e.reason) || !optStr(e.role) || !optStr(e.detail)) {
      return { ok: false, error: `snapshot event ${i} is malformed (seq, kind telemetry|error, agent, namespace; reason/role/detail text or null)` };
    }
    events.push({ seq, kind: e.kind, reason: e.reason ?? null, agent: e.agent, role: e.role ?? null, namespace: e.namespace, detail: e.detail ?? null });
  }
  return { ok: true, value: { version: 1, created_ms: created, agents, events }, from: "snapshot" };
}

/** Tried as a hive snapshot first, then as a recorded cohsh transcript. */
export function decodeReplay(bytes: Uint8Array, maxEvents: number, lineCap: number): Decoded {
  let v: unknown;
  try {
    v = decode(bytes);
  } catch (e) {
    return { ok: false, error: `not CBOR: ${e instanceof Error ? e.message : String(e)}` };
  }
  if (!isObj(v)) return { ok: false, error: "replay file is not a CBOR map (snapshot or transcript)" };
  if ("version" in v || "events" in v) return snapshotOf(v, maxEvents);
  if (typeof v.ok === "boolean" && Array.isArray(v.lines) && v.lines.every(str)) {
    const events: HiveEvent[] = [];
    for (const line of v.lines as string[]) {
      const e = classify(line, events.length + 1, { agent: REPLAY_AGENT.id, role: REPLAY_AGENT.role, namespace: REPLAY_AGENT.namespace }, lineCap);
      if (e) events.push(e);
    }
    if (events.length > maxEvents) return { ok: false, error: `transcript has ${events.length} events > snapshot_max_events ${maxEvents}` };
    return { ok: true, value: { version: 1, created_ms: 0, agents: [REPLAY_AGENT], events }, from: "transcript" };
  }
  return { ok: false, error: "replay file is neither a hive snapshot {version, created_ms, agents, events} nor a transcript {ok, lines}" };
}
