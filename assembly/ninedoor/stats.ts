// Counters the namespace's files show and every surface writes: refusals by reason
// (/proc/pressure), sessions (/proc/9p/session/active) and telemetry ingest (/proc/ingest).
// Plain globals: the core is single-threaded and each counter has one meaning.

/** Refusals counted by reason since boot; every surface counts each refusal it answers. */
export class Pressure {
  busy: u64 = 0;
  quota: u64 = 0;
  cut: u64 = 0;
  policy: u64 = 0;

  count(reason: string): void {
    if (reason == "busy") this.busy++;
    else if (reason == "quota") this.quota++;
    else if (reason == "cut") this.cut++;
    else this.policy++;
  }
}

/** Session counts the consoles report (active and draining). */
export class SessionCounter {
  active: i32 = 0;
  draining: i32 = 0;
}

/** Telemetry-ingest counters behind /proc/ingest/*. */
export class IngestStats {
  p50: u32 = 0;
  p95: u32 = 0;
  backpressure: u64 = 0;
  dropped: u64 = 0;
  queued: u32 = 0;
}

export const pressure = new Pressure();
export const sessions = new SessionCounter();
export const ingest = new IngestStats();
