// One byte-bounded ring of text lines, for every retained log that is bounded by bytes rather
// than by count: worker telemetry rings, /audit/journal, /audit/decisions. Each line costs its
// UTF-8 bytes plus one for its newline in the file view; the oldest lines go first when a new
// one does not fit, and sequence numbers say what was dropped (base) and what comes next.

export class LineRing {
  lines: string[] = [];
  private sizes: i32[] = [];
  /** Bytes held (the file view's size). */
  bytes: i32 = 0;
  /** Sequence number of the oldest line kept (= lines dropped so far). */
  base: u64 = 0;
  /** Sequence number the next line gets. */
  next: u64 = 0;
  /** Pushes that had to drop older lines. */
  wraps: u64 = 0;

  constructor(public cap: i32) {}

  /**
   * Appends `line`; returns how many of the oldest lines were dropped to make room. A line
   * larger than the whole ring is kept alone (the ring is never left empty by a write).
   */
  push(line: string): i32 {
    const n = String.UTF8.byteLength(line) + 1;
    let dropped = 0;
    while (this.lines.length > 0 && this.bytes + n > this.cap) {
      this.lines.shift();
      this.bytes -= this.sizes.shift();
      this.base++;
      dropped++;
    }
    this.lines.push(line);
    this.sizes.push(n);
    this.bytes += n;
    this.next++;
    if (dropped > 0) this.wraps++;
    return dropped;
  }
}
