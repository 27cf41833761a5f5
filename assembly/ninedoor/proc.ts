// /proc providers: read-only views of counters the rest of the core keeps. One small class per
// kind of file; each read renders the current value.

import { pressure } from "../net/stats";
import { now_ms } from "../platform/abi";
import { File, MODE_RO } from "./node";
import { memoryLines } from "../platform/gc";

/** /proc/pressure/<reason>: refusals counted by reason since boot. */
export class PressureFile extends File {
  constructor(name: string) {
    super(name, MODE_RO);
  }

  read(): string[] {
    let v: u64 = 0;
    if (this.name == "busy") v = pressure.busy;
    else if (this.name == "quota") v = pressure.quota;
    else if (this.name == "cut") v = pressure.cut;
    else v = pressure.policy;
    return [this.name + "=" + v.toString()];
  }
}

/** Session counts the consoles report (active and draining). */
export class SessionCounter {
  active: i32 = 0;
  draining: i32 = 0;
}

export const sessions = new SessionCounter();

export class SessionActiveFile extends File {
  constructor() {
    super("active", MODE_RO);
  }

  read(): string[] {
    return ["active=" + sessions.active.toString() + " draining=" + sessions.draining.toString()];
  }
}

/** /proc/root/*: the root task is this process, so it is always reachable from itself. */
export class RootFile extends File {
  constructor(name: string) {
    super(name, MODE_RO);
  }

  read(): string[] {
    if (this.name == "reachable") return ["reachable=yes"];
    if (this.name == "last_seen_ms") return ["last_seen_ms=" + now_ms().toString()];
    return ["cut_reason=none"];
  }
}

/** Telemetry-ingest counters behind /proc/ingest/*. */
export class IngestStats {
  p50: u32 = 0;
  p95: u32 = 0;
  backpressure: u64 = 0;
  dropped: u64 = 0;
  queued: u32 = 0;
}

export const ingest = new IngestStats();

export class IngestFile extends File {
  constructor(name: string) {
    super(name, MODE_RO);
  }

  read(): string[] {
    if (this.name == "p50_ms") return ["p50_ms=" + ingest.p50.toString()];
    if (this.name == "p95_ms") return ["p95_ms=" + ingest.p95.toString()];
    if (this.name == "backpressure") return ["backpressure=" + ingest.backpressure.toString()];
    if (this.name == "dropped") return ["dropped=" + ingest.dropped.toString()];
    return ["queued=" + ingest.queued.toString()];
  }
}

/** /proc/memory: the core's linear memory (all of the guest's dynamic state lives there). */
export class MemoryFile extends File {
  constructor() {
    super("memory", MODE_RO);
  }

  read(): string[] {
    return memoryLines();
  }
}
