// What bench/tickets and bench/federation share: when each ticket's terminal receipt lands, and
// percentiles of the latencies that gives.

import type { AppendResult, NamespaceClient } from "../host/sdk/ns.js";

export function pct(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return Number(s[Math.min(s.length - 1, Math.floor(q * (s.length - 1)))].toFixed(1));
}

/** `ns` with every append of a terminal receipt time-stamped into `done` (by ticket id). */
export function watched(ns: NamespaceClient, done: Map<string, number>): NamespaceClient {
  return new Proxy(ns, {
    get(t, k, r) {
      if (k !== "append") return Reflect.get(t, k, r);
      return async (path: string, record: string): Promise<AppendResult> => {
        const out = await t.append(path, record);
        if (/"state":"(succeeded|failed|expired)"/.test(record)) done.set((JSON.parse(record) as { id: string }).id, performance.now());
        return out;
      };
    },
  });
}
