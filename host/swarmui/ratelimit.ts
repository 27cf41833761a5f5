// The embedded console's rate limit (reference §5.6: `reason=rate-limited delay_ms=<n>`): at
// most `limit` commands in any window of `windowMs`, server-wide, because every page's console
// shares SwarmUI's one hive session. A sliding log of the last `limit` accept times (so memory
// is bounded by the limit); past it the caller learns how long until the oldest leaves the window.

export type Take = { ok: true } | { ok: false; delayMs: number };

export class RateLimit {
  private readonly at: number[] = [];

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError(`rate limit must be a positive integer (got ${limit})`);
  }

  /** Accepts one command now, or says how many milliseconds until one would be accepted. */
  take(): Take {
    const t = this.now();
    while (this.at.length && t - this.at[0] >= this.windowMs) this.at.shift();
    if (this.at.length >= this.limit) return { ok: false, delayMs: Math.max(1, this.at[0] + this.windowMs - t) };
    this.at.push(t);
    return { ok: true };
  }
}
