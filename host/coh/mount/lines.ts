// The append-only write rule: the hive takes records (lines), not bytes at offsets. Each write(2)
// hands its bytes here; whole lines come out as records, a partial line waits for its newline or
// for close (flush). A trailing CR is dropped and empty lines are skipped, as the guest's Twrite
// does. A line longer than the transport's record bound is refused (EMSGSIZE) and dropped whole.

import { E, MountError } from "./errno.js";

export class LineBuffer {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly maxRecord: number) {}

  /** Bytes waiting for their newline. */
  get pendingBytes(): number {
    return this.pending.length;
  }

  /** The whole lines `data` completes, in order; the rest is kept. Throws before keeping anything bad. */
  push(data: Buffer): string[] {
    const all = this.pending.length ? Buffer.concat([this.pending, data]) : Buffer.from(data);
    const out: Buffer[] = [];
    let start = 0;
    for (let i = all.indexOf(10); i >= 0; i = all.indexOf(10, start)) {
      out.push(all.subarray(start, i));
      start = i + 1;
    }
    const rest = all.subarray(start);
    const lines = out.map((b) => this.record(b)).filter((l) => l.length > 0);
    if (rest.length > this.maxRecord) throw new MountError(E.EMSGSIZE, `a line of more than ${this.maxRecord} bytes (the largest record this mount carries)`);
    this.pending = Buffer.from(rest);
    return lines;
  }

  /** The partial line at close, as a record (null when there is none). */
  takeRest(): string | null {
    const b = this.pending;
    this.pending = Buffer.alloc(0);
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
