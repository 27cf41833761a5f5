// /metrics in the Prometheus text format: request latency histograms by route and status, the
// broker's counters, cache counters and the state of every upstream session.

import type { Broker } from "./broker.js";
import type { ReadCache } from "./cache.js";

const BUCKETS_S = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface Hist {
  counts: number[];
  sum: number;
  n: number;
}

export class Metrics {
  private hist = new Map<string, Hist>();

  observe(route: string, status: number, seconds: number): void {
    const key = `${route}\u0000${status}`;
    let h = this.hist.get(key);
    if (!h) {
      h = { counts: BUCKETS_S.map(() => 0), sum: 0, n: 0 };
      this.hist.set(key, h);
    }
    BUCKETS_S.forEach((b, i) => {
      if (seconds <= b) (h as Hist).counts[i]++;
    });
    h.sum += seconds;
    h.n++;
  }

  render(broker: Broker, cache: ReadCache<unknown>): string {
    const out: string[] = [];
    out.push("# HELP hive_gateway_request_duration_seconds HTTP request latency by route and status.");
    out.push("# TYPE hive_gateway_request_duration_seconds histogram");
    for (const [key, h] of [...this.hist].sort(([a], [b]) => a.localeCompare(b))) {
      const [route, status] = key.split("\u0000");
      const l = `route="${esc(route)}",status="${status}"`;
      BUCKETS_S.forEach((b, i) => out.push(`hive_gateway_request_duration_seconds_bucket{${l},le="${b}"} ${h.counts[i]}`));
      out.push(`hive_gateway_request_duration_seconds_bucket{${l},le="+Inf"} ${h.n}`);
      out.push(`hive_gateway_request_duration_seconds_sum{${l}} ${h.sum.toFixed(6)}`);
      out.push(`hive_gateway_request_duration_seconds_count{${l}} ${h.n}`);
    }
    const counter = (name: string, help: string, rows: Array<[string, number]>): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} counter`);
      for (const [labels, v] of rows) out.push(`${name}${labels} ${v}`);
    };
    const gauge = (name: string, help: string, rows: Array<[string, number]>): void => {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`);
      for (const [labels, v] of rows) out.push(`${name}${labels} ${v}`);
    };
    const lanes = Object.values(broker.lanes);
    counter("hive_gateway_lane_requests_total", "Jobs dispatched per lane.", lanes.map((l) => [`{lane="${l.name}"}`, l.counters.requests]));
    counter("hive_gateway_lane_rejections_total", "Requests refused with 429 because the lane's queue was full.", lanes.map((l) => [`{lane="${l.name}"}`, l.counters.rejected]));
    gauge("hive_gateway_lane_waiters", "Requests waiting for a session.", lanes.map((l) => [`{lane="${l.name}"}`, l.counters.waiters]));
    gauge("hive_gateway_lane_waiters_high_water", "Most requests ever waiting at once.", lanes.map((l) => [`{lane="${l.name}"}`, l.counters.waiters_high_water]));
    for (const [k, v] of Object.entries(broker.counters)) counter(`hive_gateway_broker_${k}_total`, `Broker counter ${k}.`, [["", v]]);
    counter("hive_gateway_cache_hits_total", "Reads served from the single-flight cache.", [["", cache.counters.hits]]);
    counter("hive_gateway_cache_misses_total", "Reads that went upstream.", [["", cache.counters.misses]]);
    counter("hive_gateway_cache_evictions_total", "Cache entries evicted by the size bound.", [["", cache.counters.evictions]]);
    gauge("hive_gateway_upstream_up", "1 when the upstream session is attached.", broker.sessions.map((s, i) => [`{session="${i}"}`, s.state === "up" ? 1 : 0]));
    counter("hive_gateway_upstream_reconnects_total", "Transitions of an upstream session to disconnected.", broker.sessions.map((s, i) => [`{session="${i}"}`, s.reconnects]));
    return out.join("\n") + "\n";
  }
}

function esc(s: string): string {
  return s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');
}
