// Garbage collection at quiet points. The core uses AssemblyScript's minimal runtime (TCMS): no
// write barriers or incremental steps on the request path (they cost ~10x a PING's own work),
// and a full collection only between events, when no managed reference is on the stack. Three
// triggers bound the garbage that can pile up: the heap had to grow, gc_interval_ms passed, or
// GC_EVERY_CALLS events were handled (each event's allocation is bounded by its input size).

import { EVENT_PUMP_GC_INTERVAL_MS } from "../generated/manifest";

const GC_EVERY_CALLS: i32 = 256;

let lastCollect: u64 = 0;
let lastPages: i32 = 0;
let calls: i32 = 0;

/** Call only at the very end of an export, after all work: nothing may be live on the stack. */
export function collectIfDue(now: u64): void {
  const pages = memory.size();
  calls++;
  if (pages > lastPages || calls >= GC_EVERY_CALLS || now - lastCollect >= <u64>EVENT_PUMP_GC_INTERVAL_MS) {
    __collect();
    calls = 0;
    lastCollect = now;
    lastPages = memory.size();
  }
}
