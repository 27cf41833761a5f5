// The Live Hive's state, apart from drawing (reference §5.4): agents with heat and error,
// pending events consumed at most lod_event_budget per fixed step, flows per cluster to the
// queen, error pulses and pollen. Pure (no DOM, no PixiJS), so vitest checks it directly.

import type { Agent, HiveConfig, HiveEvent } from "../../shared/types.js";
import { anchorOf, type Anchor } from "./layout.js";
import { clusterKey, labelsFor } from "./labels.js";

export interface AgentState {
  id: string;
  role: string;
  namespace: string;
  label: string;
  anchor: Anchor;
  cluster: string;
  heat: number;
  error: number;
  events: number;
  lastDetail: string | null;
}

export interface Pulse {
  agent: string;
  age: number;
}

export interface Pollen {
  agent: string;
  age: number;
  speed: number;
}

export const HEAT_DECAY = 0.22;
export const ERROR_DECAY = 1.4;
export const FLOW_DECAY = 0.65;
export const FLOW_MAX = 6;
export const PULSE_LIFE = 1.2;
export const PULSE_MAX = 80;
export const POLLEN_LIFE = 1.6;
export const POLLEN_MAX = 240;

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

export class HiveModel {
  readonly agents = new Map<string, AgentState>();
  readonly flows = new Map<string, number>();
  readonly pulses: Pulse[] = [];
  readonly pollen: Pollen[] = [];
  readonly collapsed = new Set<string>();
  private pending: HiveEvent[] = [];
  /** Events dropped here because pending_event_cap was reached (beside the server's `dropped`). */
  droppedPending = 0;
  consumed = 0;
  pressure = 0;
  pollenOn = false;
  /** Bumped when the agent set changes (the view's cached clusters follow it). */
  version = 0;
  private readonly lines = new Map<string, string[]>();

  constructor(readonly cfg: HiveConfig) {}

  setAgents(list: Agent[]): void {
    this.version += 1;
    const keep = new Set(list.map((a) => a.id));
    for (const id of [...this.agents.keys()]) if (!keep.has(id)) this.agents.delete(id);
    const labels = labelsFor(list.filter((a) => a.role !== "queen").map((a) => a.id));
    for (const a of list) {
      const s = this.agents.get(a.id);
      const label = a.role === "queen" ? "" : (labels.get(a.id) ?? "");
      if (s) {
        s.role = a.role;
        s.namespace = a.namespace;
        s.label = label;
        s.cluster = clusterKey(a.namespace);
      } else {
        this.agents.set(a.id, { id: a.id, role: a.role, namespace: a.namespace, label, anchor: anchorOf(a.id), cluster: clusterKey(a.namespace), heat: 0, error: 0, events: 0, lastDetail: null });
      }
    }
  }

  /** Queues a batch's events; past pending_event_cap the oldest are dropped and counted. */
  enqueue(events: HiveEvent[]): void {
    // Lines are kept at once (the detail pane shows them before the simulation reaches them).
    for (const e of events) if (this.agents.has(e.agent)) this.remember(e.agent, e.detail ?? "");
    this.pending.push(...events);
    const over = this.pending.length - this.cfg.pending_event_cap;
    if (over > 0) {
      this.pending.splice(0, over);
      this.droppedPending += over;
    }
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** One fixed simulation step of `dt` seconds: up to lod_event_budget events, then decay. */
  step(dt: number): void {
    const take = this.pending.splice(0, this.cfg.lod_event_budget);
    for (const e of take) this.apply(e);
    this.consumed += take.length;
    for (const s of this.agents.values()) {
      s.heat = Math.max(0, s.heat - HEAT_DECAY * dt);
      s.error = Math.max(0, s.error - ERROR_DECAY * dt);
    }
    for (const [k, v] of this.flows) {
      const n = v - FLOW_DECAY * dt;
      if (n < 0.05) this.flows.delete(k);
      else this.flows.set(k, n);
    }
    age(this.pulses, dt, PULSE_LIFE);
    age(this.pollen, dt, POLLEN_LIFE);
  }

  intensity(): number {
    return clamp(1 - this.pressure * 0.4, 0.35, 1);
  }

  apply(e: HiveEvent): void {
    const s = this.agents.get(e.agent);
    if (!s) return;
    s.events += 1;
    s.lastDetail = e.detail;
    const i = this.intensity();
    if (e.kind === "error") {
      s.error = 1;
      this.flows.set(s.cluster, Math.min(FLOW_MAX, (this.flows.get(s.cluster) ?? 0) + 1.4));
      this.pulses.push({ agent: s.id, age: 0 });
      if (this.pulses.length > PULSE_MAX) this.pulses.splice(0, this.pulses.length - PULSE_MAX);
    } else {
      s.heat = clamp(s.heat + i, 0, 1);
      this.flows.set(s.cluster, Math.min(FLOW_MAX, (this.flows.get(s.cluster) ?? 0) + i));
      if (this.pollenOn && this.pressure < 1) {
        this.pollen.push({ agent: s.id, age: 0, speed: 120 + 80 * i });
        if (this.pollen.length > POLLEN_MAX) this.pollen.splice(0, this.pollen.length - POLLEN_MAX);
      }
    }
  }

  private remember(agent: string, line: string): void {
    let l = this.lines.get(agent);
    if (!l) this.lines.set(agent, (l = []));
    l.push(line);
    let bytes = l.reduce((n, x) => n + x.length, 0);
    while (l.length > this.cfg.detail_lines || (bytes > this.cfg.per_worker_bytes && l.length > 1)) bytes -= (l.shift() as string).length;
  }

  /** The last `n` lines seen for an agent (overlay: overlay_lines; detail: detail_lines). */
  linesOf(agent: string, n: number): string[] {
    const l = this.lines.get(agent) ?? [];
    return l.slice(Math.max(0, l.length - n));
  }

  seedLines(agent: string, lines: string[]): void {
    this.lines.set(agent, lines.slice(-this.cfg.detail_lines));
  }

  /** Members per cluster (workers only). */
  clusters(): Map<string, AgentState[]> {
    const out = new Map<string, AgentState[]>();
    for (const s of this.agents.values()) {
      if (s.role === "queen") continue;
      const l = out.get(s.cluster);
      if (l) l.push(s);
      else out.set(s.cluster, [s]);
    }
    return out;
  }

  toggleCluster(key: string): boolean {
    if (this.collapsed.has(key)) this.collapsed.delete(key);
    else this.collapsed.add(key);
    return this.collapsed.has(key);
  }
}

function age<T extends { age: number }>(list: T[], dt: number, life: number): void {
  for (const p of list) p.age += dt;
  let k = 0;
  while (k < list.length && list[k].age >= life) k++;
  if (k) list.splice(0, k);
}
