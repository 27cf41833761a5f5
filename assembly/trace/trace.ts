// The governance trace: a bounded ring of structured events that the core's surfaces (console
// sessions, Secure9P attach, control writes, lifecycle, workers, network bring-up) emit, behind
// a level + category filter the queen sets through /trace/ctl (ninedoor/providers/trace.ts).
// The ring belongs to one Namespace, so a replay's scratch namespace traces into its own ring
// and cannot touch the live filter. Emitting never fails and never changes what the caller does
// next.

import { TRACE_DEFAULT_CATS, TRACE_DEFAULT_LEVEL, TRACE_EVENTS_MAX, TRACE_MSG_MAX } from "../generated/manifest";
import { TRACE_CATS } from "../generated/protocol";
import { jsonString } from "../json/string";
import { now_ms } from "../platform/abi";
import { clipBytes } from "../text/clip";

// Severity: lower is more severe; an event is kept when its level <= the threshold.
export const ERROR: i32 = 0;
export const WARN: i32 = 1;
export const INFO: i32 = 2;
export const DEBUG: i32 = 3;
export const LEVELS: string[] = ["error", "warn", "info", "debug"];

// Categories come from the protocol spec (bit i of the mask = TRACE_CATS[i]): console (TCP
// console sessions: open, AUTH, lockout, attach, close), p9 (Secure9P attach allowed / refused),
// ns (control writes: path, outcome, role, never the payload), lifecycle (transitions and
// refused commands), workers (spawn, exit, ring wraps), net (listen / bind failures at boot).
export { CAT_CONSOLE, CAT_LIFECYCLE, CAT_NET, CAT_NS, CAT_P9, CAT_WORKERS } from "../generated/protocol";
export const CATS: string[] = TRACE_CATS;

class TraceEvent {
  seq: u64 = 0;
  ms: u64 = 0;
  level: i32 = 0;
  cat: i32 = 0;
  msg: string = "";
}

export function maskOf(csv: string): u32 {
  let m: u32 = 0;
  const names = csv.split(",");
  for (let i = 0; i < names.length; i++) {
    const c = CATS.indexOf(names[i]);
    if (c >= 0) m |= (<u32>1) << <u32>c;
  }
  return m;
}

export class Trace {
  level: i32 = LEVELS.indexOf(TRACE_DEFAULT_LEVEL);
  mask: u32 = maskOf(TRACE_DEFAULT_CATS);
  recorded: u64 = 0; // events kept since boot (the next event's seq)
  filtered: u64 = 0; // events the filter turned away
  dropped: u64 = 0; // kept events pushed out of the full ring
  // Ring slots are allocated once and reused: a full ring costs no allocation per event.
  private ring: TraceEvent[] = [];
  private head: i32 = 0; // oldest slot once the ring is full

  constructor(public capacity: i32 = TRACE_EVENTS_MAX) {}

  /** Whether an event of this level and category would be kept (callers may skip building msg). */
  wants(level: i32, cat: i32): bool {
    return level <= this.level && (this.mask & ((<u32>1) << <u32>cat)) != 0;
  }

  emit(level: i32, cat: i32, msg: string): void {
    if (!this.wants(level, cat)) {
      this.filtered++;
      return;
    }
    let e: TraceEvent;
    if (this.ring.length < this.capacity) {
      e = new TraceEvent();
      this.ring.push(e);
    } else {
      e = this.ring[this.head];
      this.head = (this.head + 1) % this.capacity;
      this.dropped++;
    }
    e.seq = this.recorded++;
    e.ms = now_ms();
    e.level = level;
    e.cat = cat;
    e.msg = clipBytes(msg, TRACE_MSG_MAX);
  }

  get held(): i32 {
    return this.ring.length;
  }

  /** The kept events, oldest first, as JSON lines. */
  lines(): string[] {
    const out: string[] = [];
    const n = this.ring.length;
    for (let i = 0; i < n; i++) {
      const e = this.ring[(this.head + i) % n];
      out.push(
        '{"seq":' + e.seq.toString() + ',"ms":' + e.ms.toString() + ',"level":"' + LEVELS[e.level] + '","cat":"' + CATS[e.cat] +
          '","msg":' + jsonString(e.msg) + "}",
      );
    }
    return out;
  }

  catList(): string {
    let s = "";
    for (let i = 0; i < CATS.length; i++) {
      if ((this.mask & ((<u32>1) << <u32>i)) == 0) continue;
      if (s.length > 0) s += ",";
      s += CATS[i];
    }
    return s.length > 0 ? s : "none";
  }

  status(): string {
    return (
      "level=" + LEVELS[this.level] + " cats=" + this.catList() + " capacity=" + this.capacity.toString() + " recorded=" +
      this.recorded.toString() + " filtered=" + this.filtered.toString() + " dropped=" + this.dropped.toString()
    );
  }
}
