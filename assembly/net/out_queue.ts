// Per-connection outbound queue. The platform may accept fewer bytes than offered
// (back-pressure); what it refuses waits here, up to a fixed bound. A peer that stops reading
// long enough to fill the bound is cut, rather than the core buffering without limit.

import { stream_send } from "../platform/abi";

export class OutQueue {
  private buf: Uint8Array;
  private start: i32 = 0;
  private end: i32 = 0;
  /** Set once the peer's socket is gone; further sends are dropped. */
  dead: bool = false;
  /** While set, writes only queue: the reply to one batch of input leaves in one send. */
  hold: bool = false;

  constructor(private conn: u32, readonly cap: i32) {
    this.buf = new Uint8Array(cap);
  }

  get pending(): i32 {
    return this.end - this.start;
  }

  /** Queues bytes and tries to send; false if they do not fit (the caller cuts the peer). */
  write(ptr: usize, len: i32): bool {
    if (this.dead) return true;
    if (len > this.cap - this.pending) {
      this.flush();
      if (len > this.cap - this.pending) return false;
    }
    if (this.end + len > this.cap) this.compact();
    memory.copy(this.buf.dataStart + <usize>this.end, ptr, <usize>len);
    this.end += len;
    if (!this.hold) this.flush();
    return true;
  }

  /**
   * Queues one console frame (u32 LE length incl. header + UTF-8), encoding straight into the
   * queue: no intermediate buffers on the reply path. False if it does not fit.
   */
  writeFrame(line: string): bool {
    if (this.dead) return true;
    const n = <i32>String.UTF8.byteLength(line) + 4;
    if (n > this.cap - this.pending) {
      this.flush();
      if (n > this.cap - this.pending) return false;
    }
    if (this.end + n > this.cap) this.compact();
    const at = this.buf.dataStart + <usize>this.end;
    store<u32>(at, <u32>n);
    String.UTF8.encodeUnsafe(changetype<usize>(line), line.length, at + 4);
    this.end += n;
    if (!this.hold) this.flush();
    return true;
  }

  /** Offers everything queued to the platform; keeps what it does not take. */
  flush(): void {
    while (!this.dead && this.pending > 0) {
      const n = stream_send(this.conn, this.buf.dataStart + <usize>this.start, <u32>this.pending);
      if (n < 0) {
        this.dead = true;
        this.start = this.end = 0;
        return;
      }
      if (n == 0) return;
      this.start += n;
    }
    if (this.pending == 0) this.start = this.end = 0;
  }

  private compact(): void {
    const n = this.pending;
    memory.copy(this.buf.dataStart, this.buf.dataStart + <usize>this.start, <usize>n);
    this.start = 0;
    this.end = n;
  }
}
