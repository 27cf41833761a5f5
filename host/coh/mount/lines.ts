// The append-only write rule: the hive takes records (lines), not bytes at offsets. Each write(2)
// hands its bytes here; whole lines come out as records, a partial line waits for its newline or
// for close (flush). A trailing CR is dropped and empty lines are skipped, as the guest's Twrite
// does. A write(2) that is refused changes nothing, with one exception: a partial line that grows
// past the transport's record bound (EMSGSIZE) is dropped whole — what was buffered of it, and
// every byte up to its newline (the writes carrying them fail EMSGSIZE too) — so no fragment of a
// refused line ever lands as a record.

import { E, MountError } from "./errno.js";

export class LineBuffer {
  private pending: Buffer = Buffer.alloc(0);
  /** Inside a refused over-long line: bytes are dropped until its newline. */
  private dropping = false;

  constructor(private readonly maxRecord: number) {}

  /** Bytes waiting for their newline. */
  get pendingBytes(): number {
    return this.pending.length;
  }

  /** The whole lines `data` completes, in order; the rest is kept. Throws before keeping anything bad. */
  push(data: Buffer): string[] {
    if (this.dropping) {
      const nl = data.indexOf(10);
      if (nl < 0) throw new MountError(E.EMSGSIZE, `still inside a line of more than ${this.maxRecord} bytes (dropped up to its newline)`);
      this.dropping = false;
      data = data.subarray(nl + 1);
      if (data.length === 0) throw new MountError(E.EMSGSIZE, `the end of a line of more than ${this.maxRecord} bytes (dropped)`);
    }
    const all = this.pending.length ? Buffer.concat([this.pending, data]) : Buffer.from(data);
    const out: Buffer[] = [];
    let start = 0;
    for (let i = all.indexOf(10); i >= 0; i = all.indexOf(10, start)) {
      out.push(all.subarray(start, i));
      start = i + 1;
    }
    const rest = all.subarray(start);
    const lines = out.map((b) => this.record(b)).filter((l) => l.length > 0);
    if (rest.length > this.maxRecord) {
      // Lines completed before it in this write are refused with it (the write changes nothing
      // else); the over-long line itself is dropped whole.
      this.pending = Buffer.alloc(0);
      this.dropping = true;
      throw new MountError(E.EMSGSIZE, `a line of more than ${this.maxRecord} bytes (the largest record this mount carries): dropped up to its newline`);
    }
    this.pending = Buffer.from(rest);
    return lines;
  }

  /** The partial line at close, as a record (null when there is none). */
  takeRest(): string | null {
    const b = this.pending;
    this.pending = Buffer.alloc(0);
    this.dropping = false;
    if (b.length === 0) return null;
    const l = this.record(b);
    return l.length ? l : null;
  }

  private record(b: Buffer): string {
    const line = b.length && b[b.length - 1] === 13 ? b.subarray(0, b.length - 1) : b;
    if (line.length > this.maxRecord) throw new MountError(E.EMSGSIZE, `line of ${line.length} bytes > ${this.maxRecord} (the largest record this mount carries)`);
    const s = new TextDecoder("utf-8", { fatal: true });
    try {
      return s.decode(line);
    } catch {
      throw new MountError(E.EINVAL, "records must be UTF-8");
    }
  }
}
