// The broker: two lanes of upstream sessions, each with a bounded queue. Writes go to the control
// lane and reads to the telemetry lane, on separate sessions, so a write never waits behind a
// flood of reads. A full queue answers 429 at once, with Retry-After from the lane's measured
// drain rate; a lane with no live session answers 503.

import { GatewayError } from "./errors.js";
import { type UpstreamReply, UpstreamError, UpstreamSession, type UpstreamOptions } from "./upstream.js";

export type LaneName = "control" | "telemetry";

type Job<T> = (s: UpstreamSession) => Promise<T>;

interface Waiting {
  run: Job<unknown>;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  enqueuedAt: number;
}

export interface LaneCounters {
  requests: number;
  checkouts: number;
  waiters: number;
  waiters_high_water: number;
  rejected: number;
  completed: number;
}

class Lane {
  readonly queue: Waiting[] = [];
  readonly counters: LaneCounters = { requests: 0, checkouts: 0, waiters: 0, waiters_high_water: 0, rejected: 0, completed: 0 };
  /** Completions per second, smoothed; 0 until measured. */
  private rate = 0;
  private lastDone = 0;

  constructor(
    readonly name: LaneName,
    readonly sessions: UpstreamSession[],
    readonly max: number,
  ) {}

  get live(): boolean {
    return this.sessions.some((s) => s.state === "up");
  }

  /** Seconds until a new arrival would find room: queue length over the drain rate, at least 1. */
  retryAfterS(): number {
    const rate = this.rate > 0 ? this.rate : this.sessions.length;
    return Math.max(1, Math.ceil((this.queue.length + 1) / rate));
  }

  noteDone(): void {
    const now = performance.now();
    if (this.lastDone > 0) {
      const dt = Math.max(1e-3, (now - this.lastDone) / 1000);
      const inst = 1 / dt;
      this.rate = this.rate === 0 ? inst : 0.9 * this.rate + 0.1 * inst;
    }
    this.lastDone = now;
    this.counters.completed++;
  }
}

export interface BrokerOptions {
  controlSessions: number;
  telemetrySessions: number;
  controlQueueMax: number;
  telemetryQueueMax: number;
  session: Omit<UpstreamOptions, "name" | "onState">;
}

export class Broker {
  readonly lanes: Record<LaneName, Lane>;
  readonly counters = { pool_exhausted: 0, timeout_rejections: 0, checkout_retries: 0, uncertain_writes: 0, read_retries: 0 };

  constructor(o: BrokerOptions) {
    const make = (lane: LaneName, n: number): UpstreamSession[] =>
      Array.from({ length: n }, (_, i) => new UpstreamSession({ ...o.session, name: `${lane}-${i}`, onState: () => this.pumpAll() }));
    this.lanes = {
      control: new Lane("control", make("control", o.controlSessions), o.controlQueueMax),
      telemetry: new Lane("telemetry", make("telemetry", o.telemetrySessions), o.telemetryQueueMax),
    };
  }

  get sessions(): UpstreamSession[] {
    return [...this.lanes.control.sessions, ...this.lanes.telemetry.sessions];
  }

  get connected(): boolean {
    return this.lanes.control.live && this.lanes.telemetry.live;
  }

  start(): void {
    for (const s of this.sessions) s.start();
  }

  async stop(): Promise<void> {
    for (const l of Object.values(this.lanes)) {
      for (const w of l.queue.splice(0)) w.reject(new GatewayError(503, "gateway broker is shutting down"));
    }
    await Promise.all(this.sessions.map((s) => s.stop()));
  }

  /** Resolves once every session is attached (start-up and tests), or rejects after `ms`. */
  async waitUp(ms: number): Promise<void> {
    await Promise.all(this.sessions.map((s) => s.waitUp(ms)));
  }

  /** Runs `job` on a free session of `lane`, queueing within the lane's bound. */
  submit<T>(lane: LaneName, job: Job<T>): Promise<T> {
    const l = this.lanes[lane];
    if (!l.live) {
      const why = l.sessions.map((s) => s.lastError).find((e) => e) ?? "connecting";
      return Promise.reject(new GatewayError(503, `gateway transport unavailable: backend is not connected (${why})`, { retryAfterS: 1, uncertain: false }));
    }
    if (l.queue.length >= l.max) {
      this.counters.pool_exhausted++;
      l.counters.rejected++;
      return Promise.reject(new GatewayError(429, `gateway backpressure: ${lane} queue full (${l.max} waiting)`, { retryAfterS: l.retryAfterS() }));
    }
    return new Promise<T>((resolve, reject) => {
      l.queue.push({ run: job as Job<unknown>, resolve: resolve as (v: unknown) => void, reject, enqueuedAt: Date.now() });
      l.counters.waiters = l.queue.length;
      l.counters.waiters_high_water = Math.max(l.counters.waiters_high_water, l.queue.length);
      this.pump(l);
    });
  }

  /** One console line on `lane`; reads that failed before any reply are retried once. */
  async line(lane: LaneName, line: string, retryRead: boolean): Promise<UpstreamReply> {
    try {
      return await this.submit(lane, (s) => s.request(line));
    } catch (e) {
      if (retryRead && e instanceof UpstreamError && e.kind !== "timeout") {
        this.counters.read_retries++;
        return this.submit(lane, (s) => s.request(line));
      }
      throw e;
    }
  }

  private pumpAll(): void {
    this.pump(this.lanes.control);
    this.pump(this.lanes.telemetry);
  }

  private pump(l: Lane): void {
    for (const s of l.sessions) {
      if (l.queue.length === 0) break;
      if (!s.idle) continue;
      const w = l.queue.shift() as Waiting;
      l.counters.waiters = l.queue.length;
      s.leased = true;
      l.counters.checkouts++;
      l.counters.requests++;
      void w.run(s).then(
        (v) => {
          s.leased = false;
          l.noteDone();
          w.resolve(v);
          this.pump(l);
        },
        (e: unknown) => {
          s.leased = false;
          if (e instanceof UpstreamError && e.kind === "timeout") this.counters.timeout_rejections++;
          l.noteDone();
          w.reject(e);
          this.pump(l);
        },
      );
    }
    // Nothing live any more: waiting requests fail now rather than at their timeout.
    if (!l.live && l.queue.length > 0 && l.sessions.every((s) => s.state === "down")) {
      for (const w of l.queue.splice(0)) w.reject(new GatewayError(503, "gateway broker disconnected", { retryAfterS: 1, uncertain: false }));
      l.counters.waiters = 0;
    }
  }
}
