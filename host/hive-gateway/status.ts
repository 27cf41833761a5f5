// /v1/meta/status: connection, broker, cache and authority counters (the reference's shape,
// plus per-lane blocks and each upstream session's state).

import { readRelayStatus } from "../sdk/relay_status.js";
import type { Caller } from "./auth.js";
import type { Hive } from "./hive.js";

/** Where the relay counters come from: the relaying agent's live file, else the seeds' start-up values. */
export interface RelaySource {
  file?: string;
  seeds: { queue_depth: number; deduped: number; remote_write_failures: number };
}

/** Read on every request, so the counters are live (the original seeded them once at start). */
function relayCounters(r: RelaySource | undefined): { broker: Record<string, number>; relay: Record<string, unknown> } {
  const doc = r?.file ? readRelayStatus(r.file) : null;
  if (doc && !("error" in doc)) {
    const t = doc.totals;
    return {
      broker: { relay_queue_depth: t.queue_depth ?? 0, relay_deduped: t.deduped ?? 0, relay_remote_write_failures: t.remote_write_failures ?? 0 },
      relay: { source: "agent", carrier: doc.carrier, local_hive: doc.local_hive, updated_unix_ms: doc.updated_unix_ms, passes: doc.passes, totals: t, ...(doc.bus ? { bus: doc.bus } : {}) },
    };
  }
  const s = r?.seeds ?? { queue_depth: 0, deduped: 0, remote_write_failures: 0 };
  return {
    broker: { relay_queue_depth: s.queue_depth, relay_deduped: s.deduped, relay_remote_write_failures: s.remote_write_failures },
    relay: { source: "env", ...(r?.file ? { file_error: doc ? doc.error : "no relay-status file yet" } : {}) },
  };
}

export function statusDocument(hive: Hive, target: { host: string; port: number; backend: string }, caller: Caller, relaySource?: RelaySource): Record<string, unknown> {
  const relay = relayCounters(relaySource);
  const b = hive.broker;
  const { control, telemetry } = b.lanes;
  const sessions = b.sessions;
  const lastError = sessions.map((s) => s.lastError).find((e) => e) ?? null;
  return {
    connected: b.connected,
    target_host: target.host,
    target_port: target.port,
    backend_class: target.backend,
    caller: { role: caller.role, ticket: caller.ticketTag !== null },
    last_error: b.connected ? null : lastError,
    last_change_unix_ms: Math.max(...sessions.map((s) => s.lastChangeMs)),
    reconnects: sessions.reduce((n, s) => n + s.reconnects, 0),
    connects: sessions.reduce((n, s) => n + s.connects, 0),
    sessions: sessions.map((s, i) => ({ id: i, lane: i < control.sessions.length ? "control" : "telemetry", state: s.state, connects: s.connects, reconnects: s.reconnects })),
    broker: {
      control_waiters: control.counters.waiters,
      telemetry_waiters: telemetry.counters.waiters,
      control_waiters_high_water: control.counters.waiters_high_water,
      telemetry_waiters_high_water: telemetry.counters.waiters_high_water,
      control_checkouts: control.counters.checkouts,
      telemetry_checkouts: telemetry.counters.checkouts,
      control_requests: control.counters.requests,
      telemetry_requests: telemetry.counters.requests,
      control_queue_max: control.max,
      telemetry_queue_max: telemetry.max,
      control_rejections: control.counters.rejected,
      telemetry_rejections: telemetry.counters.rejected,
      pool_exhausted: b.counters.pool_exhausted,
      checkout_retries: b.counters.checkout_retries,
      timeout_rejections: b.counters.timeout_rejections,
      read_retries: b.counters.read_retries,
      proc_cache_hits: hive.cache.counters.hits,
      proc_cache_misses: hive.cache.counters.misses,
      proc_cache_evictions: hive.cache.counters.evictions,
      proc_cache_entries: hive.cache.size,
      ...relay.broker,
    },
    relay: relay.relay,
    authority: { identity_class: "gateway_enforced", ...hive.authority.counters },
  };
}
