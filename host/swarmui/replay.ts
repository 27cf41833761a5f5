// Replays a decoded snapshot as poll batches (reference §5.5): each batch carries
// min(lod_event_budget, snapshot_max_events) events, pressure = remaining / budget, done at the end.
// Also what offline mode serves (a stored hive:<key> snapshot): it never touches the network.

import { MANIFEST } from "../generated/manifest.js";
import { LineBuffer } from "./events.js";
import type { SwarmSection } from "./settings.js";
import type { HiveSnapshot } from "./snapshot.js";
import { emptyBatch, type HiveSource } from "./source.js";
import type { Agent, HiveEvent, PollBatch } from "./shared/types.js";

export class ReplaySource implements HiveSource {
  private next = 0;
  private sentAgents = false;
  private readonly buffers = new Map<string, LineBuffer>();

  constructor(
    private readonly snap: HiveSnapshot,
    readonly mode: "replay" | "offline" = "replay",
    private readonly s: SwarmSection = MANIFEST.swarmui,
  ) {}

  async bootstrap(): Promise<{ agents: Agent[]; replay: boolean }> {
    return { agents: this.agents(), replay: true };
  }

  private agents(): Agent[] {
    const a = [...this.snap.agents];
    if (!a.some((x) => x.role === "queen")) a.unshift({ id: "queen", role: "queen", namespace: "/queen" });
    return a;
  }

  async poll(): Promise<Omit<PollBatch, "batch" | "at_ms">> {
    const b = emptyBatch();
    const budget = Math.min(this.s.lod_event_budget, this.s.snapshot_max_events);
    b.events = this.snap.events.slice(this.next, this.next + budget);
    this.next += b.events.length;
    const remaining = this.snap.events.length - this.next;
    b.backlog = remaining;
    b.pressure = remaining / this.s.lod_event_budget;
    b.done = remaining === 0;
    const touched = new Set<string>();
    for (const e of b.events) {
      let buf = this.buffers.get(e.agent);
      if (!buf) this.buffers.set(e.agent, (buf = new LineBuffer(this.s.detail_lines, this.s.per_worker_bytes)));
      buf.push(e.detail ?? "");
      touched.add(e.agent);
    }
    b.overlays = [...touched].map((agent) => ({ agent, lines: (this.buffers.get(agent) as LineBuffer).last(this.s.overlay_lines) }));
    if (!this.sentAgents) {
      b.agents = this.agents();
      this.sentAgents = true;
    }
    return b;
  }

  detail(agent: string, lines: number): { agent: string; lines: string[] } | null {
    const buf = this.buffers.get(agent);
    if (buf) return { agent, lines: buf.last(lines) };
    return this.snap.agents.some((a) => a.id === agent) ? { agent, lines: [] } : null;
  }

  recorded(): { agents: Agent[]; events: HiveEvent[] } {
    return { agents: this.agents(), events: [...this.snap.events] };
  }

  /** Starts over (the UI's Start after a replay completed). */
  reset(): void {
    this.next = 0;
    this.sentAgents = false;
    this.buffers.clear();
  }

  async close(): Promise<void> {}
}
