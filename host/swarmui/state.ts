// The running SwarmUI: its hive link (or none offline), the batch source, the poll loop that
// feeds server-sent-event clients, the snapshot store, and mode switches. app.ts maps HTTP onto it.

import { MANIFEST } from "../generated/manifest.js";
import type { SwarmConfig } from "./config.js";
import { connect, type Link, type MockHive } from "./hive.js";
import { LiveSource } from "./poller.js";
import { ReplaySource } from "./replay.js";
import { hiveConfig, NAMESPACE_ROOTS } from "./settings.js";
import { decodeReplay, encodeSnapshot, type HiveSnapshot } from "./snapshot.js";
import type { HiveSource } from "./source.js";
import { SnapshotStore, StoreError } from "./store.js";
import type { Bootstrap, PollBatch } from "./shared/types.js";

const RING = 64;

export class SwarmState {
  link: Link | null = null;
  source: HiveSource;
  readonly store: SnapshotStore;
  private readonly ring: PollBatch[] = [];
  private batchNo = 0;
  private timer: NodeJS.Timeout | null = null;
  private polling: Promise<PollBatch> | null = null;
  private readonly listeners = new Set<(b: PollBatch) => void>();
  /** Hive requests made by the live source (offline mode must leave it unchanged). */
  hiveRequests = 0;
  lastError: string | null = null;

  constructor(
    readonly cfg: SwarmConfig,
    readonly mock: MockHive | null,
    initial: HiveSource,
  ) {
    this.source = initial;
    this.store = new SnapshotStore({ dir: `${cfg.dataDir}/snapshots`, ttlS: MANIFEST.swarmui.cache_ttl_s, maxBytes: MANIFEST.swarmui.cache_max_bytes });
  }

  get mode(): Bootstrap["mode"] {
    return this.source.mode;
  }

  liveSource(link: Link): LiveSource {
    return new LiveSource({ ns: link.ns, role: link.role, subject: link.subject, onRequest: () => (this.hiveRequests += 1) });
  }

  /** (Re)attaches SwarmUI's session and goes live. */
  async goOnline(role: string, ticket?: string): Promise<void> {
    const link = await connect(this.cfg, role, ticket, this.mock);
    await this.dropLink();
    this.link = link;
    await this.swap(this.liveSource(link));
  }

  /** Offline: drop the hive session and serve the stored hive:<key> snapshot. */
  async goOffline(key: string): Promise<void> {
    const snap = this.loadStored(key);
    await this.dropLink();
    await this.swap(new ReplaySource(snap, "offline"));
  }

  loadStored(key: string): HiveSnapshot {
    const bytes = this.store.get(`hive:${key}`);
    const d = decodeReplay(bytes, MANIFEST.swarmui.snapshot_max_events, MANIFEST.swarmui.line_cap_bytes);
    if (!d.ok) throw new StoreError("invalid", d.error);
    return d.value;
  }

  saveSnapshot(key: string): { path: string; bytes: number; events: number } {
    const r = this.source.recorded();
    const payload = encodeSnapshot({ version: 1, created_ms: Date.now(), agents: r.agents.filter((a) => a.role !== "queen"), events: r.events });
    return { ...this.store.put(`hive:${key}`, payload), events: r.events.length };
  }

  private async dropLink(): Promise<void> {
    const l = this.link;
    this.link = null;
    if (this.source) await this.source.close().catch(() => undefined);
    if (l) await l.close().catch(() => undefined);
  }

  private async swap(s: HiveSource): Promise<void> {
    if (this.polling) await this.polling.catch(() => undefined);
    this.source = s;
    this.ring.length = 0;
  }

  async bootstrap(): Promise<Bootstrap> {
    const b = await this.source.bootstrap();
    return {
      agents: b.agents,
      namespace_roots: [...NAMESPACE_ROOTS],
      hive: hiveConfig(),
      replay: b.replay,
      mode: this.source.mode,
      session: { role: this.link?.role ?? this.cfg.role, subject: this.link?.subject ?? null, transport: this.mock ? "mock" : this.cfg.transport },
    };
  }

  /** One batch from the source (polls never overlap). */
  pollOnce(): Promise<PollBatch> {
    if (this.polling) return this.polling;
    const src = this.source;
    this.polling = (async () => {
      try {
        const b = await src.poll();
        this.lastError = null;
        const batch: PollBatch = { ...b, batch: ++this.batchNo, at_ms: Date.now() };
        this.ring.push(batch);
        if (this.ring.length > RING) this.ring.shift();
        for (const l of this.listeners) l(batch);
        return batch;
      } finally {
        this.polling = null;
      }
    })();
    return this.polling;
  }

  /** Batches after `after` still in the ring; if none, a fresh one. */
  async batchesAfter(after: number): Promise<PollBatch[]> {
    const have = this.ring.filter((b) => b.batch > after);
    if (have.length && (this.timer || have.length > 0)) return have;
    return [await this.pollOnce()];
  }

  subscribe(f: (b: PollBatch) => void): () => void {
    this.listeners.add(f);
    this.ensureLoop();
    return () => {
      this.listeners.delete(f);
      if (this.listeners.size === 0 && this.timer) {
        clearInterval(this.timer);
        this.timer = null;
      }
    };
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  private ensureLoop(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.polling) return;
      this.pollOnce().catch((e: unknown) => {
        this.lastError = e instanceof Error ? e.message : String(e);
      });
    }, MANIFEST.swarmui.status_poll_ms);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.listeners.clear();
    await this.dropLink();
    await this.mock?.stop().catch(() => undefined);
  }
}
