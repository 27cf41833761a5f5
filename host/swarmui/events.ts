// Telemetry lines to Live Hive events (reference §5.3): what is dropped, what is an error, how
// long a detail may be, and the two bounded stores — a worker's line buffer and the event queue.

import type { HiveEvent } from "./shared/types.js";

const enc = new TextEncoder();
const bytes = (s: string): number => enc.encode(s).length;

/** Cuts a line to `max` UTF-8 bytes without splitting a character. */
export function clipBytes(s: string, max: number): string {
  if (bytes(s) <= max) return s;
  let out = "";
  let n = 0;
  for (const ch of s) {
    const b = bytes(ch);
    if (n + b > max) break;
    out += ch;
    n += b;
  }
  return out;
}

/** Console framing, not telemetry: empty lines, acks and the stream's END. */
export function isNoise(line: string): boolean {
  return line.trim() === "" || line.startsWith("OK ") || line === "END";
}

export interface LineSource {
  agent: string;
  role: string | null;
  namespace: string;
}

/** One telemetry line as an event, or null for framing noise. `ERR … reason=x` is an error event. */
export function classify(line: string, seq: number, t: LineSource, lineCap: number): HiveEvent | null {
  if (isNoise(line)) return null;
  const detail = clipBytes(line, lineCap);
  if (line.startsWith("ERR")) {
    const m = /(?:^|\s)reason=(\S+)/.exec(line);
    return { seq, kind: "error", reason: m ? m[1] : "error", agent: t.agent, role: t.role, namespace: t.namespace, detail };
  }
  return { seq, kind: "telemetry", reason: null, agent: t.agent, role: t.role, namespace: t.namespace, detail };
}

/** The last lines of one worker, bounded by count and by bytes (oldest dropped first). */
export class LineBuffer {
  private lines: string[] = [];
  private size = 0;

  constructor(
    readonly maxLines: number,
    readonly maxBytes: number,
  ) {}

  push(line: string): void {
    const b = bytes(line);
    this.lines.push(line);
    this.size += b;
    while (this.lines.length > this.maxLines || (this.size > this.maxBytes && this.lines.length > 1)) {
      this.size -= bytes(this.lines.shift() as string);
    }
  }

  last(n: number): string[] {
    return this.lines.slice(Math.max(0, this.lines.length - n));
  }

  get length(): number {
    return this.lines.length;
  }

  get byteLength(): number {
    return this.size;
  }
}

/** Events waiting for the next batch: at most `cap`; past it the oldest go and are counted. */
export class EventQueue {
  private q: HiveEvent[] = [];
  dropped = 0;

  constructor(readonly cap: number) {}

  push(e: HiveEvent): void {
    this.q.push(e);
    if (this.q.length > this.cap) {
      const over = this.q.length - this.cap;
      this.q.splice(0, over);
      this.dropped += over;
    }
  }

  /** Takes up to `n` events, oldest first. */
  take(n: number): HiveEvent[] {
    return this.q.splice(0, Math.max(0, n));
  }

  get length(): number {
    return this.q.length;
  }
}
