// A TCP console client: frames lines out, collects each command's reply (payload lines, the
// OK/ERR acknowledgement, and for streamed verbs everything up to END).
//
// The console has no tags: replies come back in order, so request() runs one at a time (a
// second call waits for the first). Callers that want concurrency open more sessions (pool).

import type { BytePipe } from "../pipe.js";
import { STREAMED, type Reply } from "./grammar.js";
import { encodeFrame, FrameError, FrameReader } from "./frame.js";

export type { Reply } from "./grammar.js";

export class ConsoleClosedError extends Error {
  override readonly name = "ConsoleClosedError";
}
export class ConsoleTimeoutError extends Error {
  override readonly name = "ConsoleTimeoutError";
}

export class ConsoleClient {
  private reader = new FrameReader();
  private queue: string[] = [];
  private wake: (() => void) | null = null;
  private closedReason: string | null = null;
  private closeWaiters: Array<(reason: string) => void> = [];
  private inFlight: Promise<unknown> = Promise.resolve();

  constructor(private readonly pipe: BytePipe) {
    pipe.onData((b) => {
      try {
        this.queue.push(...this.reader.push(b));
      } catch (e) {
        this.closedReason = e instanceof FrameError ? e.message : String(e);
        pipe.end();
      }
      this.wake?.();
    });
    pipe.onClose((r) => {
      this.closedReason ??= r;
      this.wake?.();
      for (const w of this.closeWaiters.splice(0)) w(this.closedReason);
    });
  }

  get closed(): string | null {
    return this.queue.length === 0 ? this.closedReason : null;
  }

  /** Resolves with the reason once the connection is gone. */
  whenClosed(): Promise<string> {
    if (this.closedReason !== null) return Promise.resolve(this.closedReason);
    return new Promise((res) => this.closeWaiters.push(res));
  }

  send(line: string): void {
    this.pipe.write(encodeFrame(line));
  }

  /** The next line from the server; rejects on close or after `timeoutMs`. */
  async next(timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const l = this.queue.shift();
      if (l !== undefined) return l;
      if (this.closedReason !== null) throw new ConsoleClosedError(`console connection closed: ${this.closedReason}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new ConsoleTimeoutError(`no reply from the console within ${timeoutMs} ms`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.wake = () => {
          clearTimeout(t);
          this.wake = null;
          res();
        };
      });
    }
  }

  /** Sends one line and gathers its whole reply (after any request still in flight). */
  request(line: string, timeoutMs = 5000): Promise<Reply> {
    const run = (): Promise<Reply> => {
      this.send(line);
      return this.collect(timeoutMs);
    };
    const p = this.inFlight.then(run, run);
    this.inFlight = p.catch(() => undefined);
    return p;
  }

  /** Gathers one reply: lines up to an OK/ERR, then up to END for streamed verbs. */
  async collect(timeoutMs = 5000): Promise<Reply> {
    const lines: string[] = [];
    for (;;) {
      const l = await this.next(timeoutMs);
      if (l.startsWith("ERR ")) return { lines, ack: l, ok: false };
      if (l.startsWith("OK ") || l === "OK") {
        const label = l.split(" ")[1] ?? "";
        if (STREAMED.has(label)) {
          for (;;) {
            const body = await this.next(timeoutMs);
            if (body === "END") break;
            lines.push(body);
          }
        }
        return { lines, ack: l, ok: true };
      }
      lines.push(l);
    }
  }

  close(): void {
    this.pipe.end();
  }
}
