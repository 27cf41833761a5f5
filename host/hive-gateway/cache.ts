// Single-flight read cache: concurrent misses for one key share one upstream read, and hits are
// served for `ttlMs`. A successful write removes the keys its path can have changed (the
// reference's invalidation table), so a reader never sees its own write missing.

export interface CacheCounters {
  hits: number;
  misses: number;
  evictions: number;
  invalidations: number;
}

interface Entry<T> {
  at: number;
  value: T;
}

/** Reads of these paths may be served from the cache (the reference's rule). */
export function cacheable(verb: "LS" | "CAT" | "TAIL", path: string): boolean {
  if (verb === "LS" && ["/", "/proc", "/queen", "/shard", "/worker", "/gpu", "/host"].includes(path)) return true;
  if (verb === "LS" && path.startsWith("/shard/")) return true;
  return (path.startsWith("/proc/") || path.startsWith("/host/") || path.startsWith("/gpu/")) && !path.startsWith("/host/tickets/admission/");
}

/** Path prefixes a write to `path` (with record `line`) invalidates; "" clears everything. */
export function invalidatedBy(path: string, line: string): string[] {
  if (path === "/queen/schedule/ctl") return ["/proc/schedule"];
  if (path === "/queen/lease/ctl") {
    const op = /"op"\s*:\s*"([a-z]+)"/.exec(line)?.[1];
    if (op === "grant") return ["/proc/lease/summary", "/proc/lease/active", "/proc/lease/by-id"];
    if (op === "renew") return ["/proc/lease/active", "/proc/lease/by-id"];
    if (op === "preempt") return ["/proc/lease/summary", "/proc/lease/active", "/proc/lease/by-id", "/proc/lease/preemptions"];
    if (op === "quota") return ["/proc/lease/summary"];
    return ["/proc/lease"];
  }
  if (path.startsWith("/queen/telemetry/")) return ["/queen/telemetry"];
  if (path === "/policy/ctl") return ["/proc/pressure/policy", "/policy"];
  for (const f of ["spec", "status", "deadletter"]) {
    if (path === `/host/tickets/${f}`) return [`/host/tickets/${f}`, "/host/tickets/retention"];
  }
  // Everything under /proc is derived from queen state (workers, lifecycle, ctl journal).
  if (path.startsWith("/queen/") || path.startsWith("/actions/")) return ["/proc", "/queen", "/shard", "/worker", "/gpu", "/"];
  if (path.startsWith("/host/")) return ["/host"];
  if (path.startsWith("/gpu/")) return ["/gpu"];
  return [""];
}

export class ReadCache<T> {
  private entries = new Map<string, Entry<T>>();
  private inflight = new Map<string, Promise<T>>();
  readonly counters: CacheCounters = { hits: 0, misses: 0, evictions: 0, invalidations: 0 };

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** The cached value for `key` if fresh, else one shared `fill()`; failures are not cached. */
  async get(key: string, path: string, fill: () => Promise<T>, keep: (v: T) => boolean = () => true): Promise<T> {
    if (this.ttlMs <= 0 || this.maxEntries <= 0) return fill();
    const e = this.entries.get(key);
    if (e && Date.now() - e.at < this.ttlMs) {
      this.counters.hits++;
      return e.value;
    }
    const running = this.inflight.get(key);
    if (running) {
      this.counters.hits++;
      return running;
    }
    this.counters.misses++;
    const startedAt = Date.now();
    const p = fill().then((v) => {
      // A write that invalidated this key while the read was in flight wins: do not store.
      if (keep(v) && this.inflight.get(key) === p && !this.staleSince(path, startedAt)) this.store(key, { at: startedAt, value: v });
      return v;
    });
    this.inflight.set(key, p);
    try {
      return await p;
    } finally {
      if (this.inflight.get(key) === p) this.inflight.delete(key);
    }
  }

  private lastInvalidation = new Map<string, number>();

  private staleSince(path: string, t: number): boolean {
    for (const [prefix, at] of this.lastInvalidation) if (at >= t && covers(prefix, path)) return true;
    return false;
  }

  private store(key: string, e: Entry<T>): void {
    this.entries.delete(key);
    this.entries.set(key, e);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.counters.evictions++;
    }
  }

  /** Drops every key whose path lies under one of `prefixes` ("" = all). */
  invalidate(prefixes: string[]): void {
    const now = Date.now();
    for (const p of prefixes) this.lastInvalidation.set(p, now);
    if (this.lastInvalidation.size > 256) this.lastInvalidation = new Map([...this.lastInvalidation].slice(-128));
    for (const key of [...this.entries.keys(), ...this.inflight.keys()]) {
      const path = key.slice(key.indexOf(" ") + 1);
      if (prefixes.some((p) => covers(p, path))) {
        this.entries.delete(key);
        this.inflight.delete(key);
        this.counters.invalidations++;
      }
    }
  }
}

function covers(prefix: string, path: string): boolean {
  // "/" names the root listing only; "" is the whole cache.
  if (prefix === "" || path === prefix) return true;
  return prefix !== "/" && path.startsWith(prefix + "/");
}
