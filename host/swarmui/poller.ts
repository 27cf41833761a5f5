// The live Live Hive source (reference §5.3): agents from /worker (roles from id prefixes and GPU
// leases), per poll a round robin of TAILs over due workers (rate-limited per worker), new lines
// turned into events on a bounded queue, and the status files. Talks to the hive only through an
// SDK NamespaceClient, so console, Secure9P and the gateway look the same from here.

import { MANIFEST } from "../generated/manifest.js";
import { newLines, NsClosed, NsRefusal, type NamespaceClient } from "../sdk/ns.js";
import { classify, EventQueue, LineBuffer } from "./events.js";
import { hiveConfig, PATHS, tailIntervalMs, type SwarmSection } from "./settings.js";
import { workerNamespace } from "./shard.js";
import { emptyBatch, type HiveSource } from "./source.js";
import { parseLease, parsePressure, parseRoot, parseSchedule, parseSessions } from "./status.js";
import { roleOf, type Agent, type HiveEvent, type PollBatch } from "./shared/types.js";

export interface LiveOptions {
  ns: NamespaceClient;
  /** The attached role; a non-queen sees only its ticket subject's worker. */
  role: string;
  subject?: string | null;
  now?: () => number;
  section?: SwarmSection;
  /** Counts every request made to the hive (tests and the bench read it). */
  onRequest?: () => void;
}

interface Tracked {
  agent: Agent;
  buffer: LineBuffer;
  seen: string[];
  lastTail: number;
}

const GPU_EVERY = 10;

const QUEEN: Agent = { id: "queen", role: "queen", namespace: "/queen" };

/** True for failures that mean the hive cannot be reached (as opposed to a refusal). */
export function unreachable(e: unknown): boolean {
  return e instanceof NsClosed || (e instanceof Error && (e.name === "ConnectError" || e.name === "SessionError" || e.name === "RestUnavailableError"));
}

export class LiveSource implements HiveSource {
  readonly mode = "live" as const;
  private readonly s: SwarmSection;
  private readonly cfg = hiveConfig();
  private readonly workers = new Map<string, Tracked>();
  private readonly queue: EventQueue;
  private readonly history: HiveEvent[] = [];
  private order: string[] = [];
  private cursor = 0;
  private seq = 0;
  private changed = true;
  private polls = 0;
  private gpu = new Set<string>();
  private readonly now: () => number;
  requests = 0;

  constructor(private readonly o: LiveOptions) {
    this.s = o.section ?? MANIFEST.swarmui;
    this.cfg = hiveConfig(this.s);
    this.queue = new EventQueue(this.s.snapshot_max_events);
    this.now = o.now ?? Date.now;
  }

  private async call<T>(f: (ns: NamespaceClient) => Promise<T>): Promise<T> {
    this.requests += 1;
    this.o.onRequest?.();
    return f(this.o.ns);
  }

  agents(): Agent[] {
    return [QUEEN, ...this.order.map((id) => (this.workers.get(id) as Tracked).agent)];
  }

  async bootstrap(): Promise<{ agents: Agent[]; replay: boolean }> {
    await this.refreshAgents();
    return { agents: this.agents(), replay: false };
  }

  /** Re-lists workers; returns true when the set changed. */
  private async refreshAgents(): Promise<boolean> {
    let ids: string[];
    if (this.o.role === "queen") ids = await this.call((ns) => ns.ls(PATHS.workerRoot));
    else ids = this.o.subject ? [this.o.subject] : [];
    // GPU leases (which force a worker's role) are re-read when the set changes and every
    // GPU_EVERY polls, not on every poll: they are several requests per GPU.
    const newSet = ids.length !== this.workers.size || ids.some((id) => !this.workers.has(id));
    if (this.o.role === "queen" && (newSet || this.polls % GPU_EVERY === 0)) this.gpu = await this.gpuWorkers();
    const gpu = this.gpu;
    let changed = false;
    for (const id of ids) {
      const t = this.workers.get(id);
      const role = gpu.has(id) ? "worker-gpu" : roleOf(id);
      if (!t) {
        this.workers.set(id, { agent: { id, role, namespace: workerNamespace(id) }, buffer: new LineBuffer(this.s.detail_lines, this.s.per_worker_bytes), seen: [], lastTail: -Infinity });
        changed = true;
      } else if (t.agent.role !== role) {
        t.agent = { ...t.agent, role };
        changed = true;
      }
    }
    const keep = new Set(ids);
    for (const id of [...this.workers.keys()]) {
      if (!keep.has(id)) {
        this.workers.delete(id);
        changed = true;
      }
    }
    this.order = ids.filter((id) => this.workers.has(id));
    if (changed) this.changed = true;
    return changed;
  }

  /** Worker ids named as `worker_id` in a /gpu/<id>/lease line: those are GPU workers. */
  private async gpuWorkers(): Promise<Set<string>> {
    const out = new Set<string>();
    let gpus: string[];
    try {
      gpus = (await this.call((ns) => ns.ls("/gpu"))).filter((g) => g.startsWith("GPU-"));
    } catch (e) {
      if (e instanceof NsRefusal) return out; // no /gpu on this hive
      throw e;
    }
    for (const g of gpus) {
      const lines = await this.call((ns) => ns.read(`/gpu/${g}/lease`)).catch((e: unknown) => {
        if (e instanceof NsRefusal) return [] as string[];
        throw e;
      });
      for (const l of lines) {
        const m = /"worker_id":"([^"]+)"/.exec(l);
        if (m && /"state":"ACTIVE"/.test(l)) out.add(m[1]);
      }
    }
    return out;
  }

  private push(t: Tracked, line: string): void {
    const e = classify(line, this.seq + 1, { agent: t.agent.id, role: t.agent.role, namespace: t.agent.namespace }, this.s.line_cap_bytes);
    if (!e) return;
    this.seq += 1;
    t.buffer.push(e.detail ?? "");
    this.queue.push(e);
    this.history.push(e);
    if (this.history.length > this.s.snapshot_max_events) this.history.splice(0, this.history.length - this.s.snapshot_max_events);
  }

  /** Tails up to poll_workers_per_tick due workers, round robin; a vanished worker is dropped. */
  private async tailDue(): Promise<Set<string>> {
    const touched = new Set<string>();
    const every = tailIntervalMs(this.s);
    const n = this.order.length;
    let taken = 0;
    for (let k = 0; k < n && taken < this.s.poll_workers_per_tick; k++) {
      const id = this.order[(this.cursor + k) % n];
      const t = this.workers.get(id);
      if (!t || this.now() - t.lastTail < every) continue;
      taken += 1;
      t.lastTail = this.now();
      let lines: string[];
      try {
        lines = await this.call((ns) => ns.tail(`${t.agent.namespace}/telemetry`));
      } catch (e) {
        if (e instanceof NsRefusal && e.detail === "not-found") {
          this.workers.delete(id);
          this.changed = true;
          continue;
        }
        if (e instanceof NsRefusal) {
          this.push(t, e.line ?? `ERR TAIL reason=${e.reason} detail=${e.detail}`);
          touched.add(id);
          continue;
        }
        throw e;
      }
      const fresh = newLines(t.seen, lines).slice(-this.s.pending_lines_per_worker);
      t.seen = lines;
      for (const l of fresh) this.push(t, l);
      if (fresh.length) touched.add(id);
    }
    this.cursor = n ? (this.cursor + Math.max(1, taken)) % n : 0;
    this.order = this.order.filter((id) => this.workers.has(id));
    return touched;
  }

  async poll(): Promise<Omit<PollBatch, "batch" | "at_ms">> {
    const b = emptyBatch();
    this.polls += 1;
    try {
      await this.refreshAgents();
      const touched = await this.tailDue();
      const one = async (p: string): Promise<string> => (await this.call((ns) => ns.read(p)))[0] ?? "";
      b.root = parseRoot(await one("/proc/root/reachable"), await one("/proc/root/cut_reason"));
      b.sessions = parseSessions(await one("/proc/9p/session/active"));
      b.pressure_counters = parsePressure({ busy: await one("/proc/pressure/busy"), quota: await one("/proc/pressure/quota"), cut: await one("/proc/pressure/cut"), policy: await one("/proc/pressure/policy") });
      if (this.o.role === "queen") {
        const now = Number((await one("/proc/root/last_seen_ms")).replace(/^\D*/, "")) || 0;
        b.schedule = parseSchedule(await one("/proc/schedule/summary"), await this.call((ns) => ns.read("/proc/schedule/queue")), MANIFEST.governance.schedule_queue_max);
        b.lease = parseLease(await one("/proc/lease/summary"), await this.call((ns) => ns.read("/proc/lease/active")), MANIFEST.governance.lease_max, now);
      }
      b.overlays = [...touched].filter((id) => this.workers.has(id)).map((id) => ({ agent: id, lines: (this.workers.get(id) as Tracked).buffer.last(this.s.overlay_lines) }));
    } catch (e) {
      if (!unreachable(e)) throw e;
      // The hive did not answer: say so (the header shows CUT) and keep what is queued.
      b.root = { reachable: false, cut_reason: "unreachable" };
    }
    b.events = this.queue.take(this.s.lod_event_budget);
    b.backlog = this.queue.length;
    b.pressure = this.queue.length / this.s.lod_event_budget;
    b.dropped = this.queue.dropped;
    if (this.changed) {
      b.agents = this.agents();
      this.changed = false;
    }
    return b;
  }

  detail(agent: string, lines: number): { agent: string; lines: string[] } | null {
    const t = this.workers.get(agent);
    return t ? { agent, lines: t.buffer.last(lines) } : null;
  }

  recorded(): { agents: Agent[]; events: HiveEvent[] } {
    return { agents: this.agents(), events: [...this.history] };
  }

  async close(): Promise<void> {
    await this.o.ns.close().catch(() => undefined);
  }

  get config() {
    return this.cfg;
  }
}
