// The JSON the swarmui server and the browser app exchange (the reference's bootstrap and poll
// batch shapes, §5.3), shared by both sides. Browser-safe: types and pure helpers only.

export type Role = "queen" | "worker-gpu" | "worker-lora" | "worker-bus" | "worker-heartbeat" | "worker";

export interface Agent {
  id: string;
  role: Role;
  namespace: string;
}

/** The Live Hive's bounds, from the generated manifest (fractions as numbers here). */
export interface HiveConfig {
  frame_cap_fps: number;
  step_ms: number;
  lod_zoom_out: number;
  lod_zoom_in: number;
  lod_event_budget: number;
  snapshot_max_events: number;
  overlay_lines: number;
  detail_lines: number;
  line_cap_bytes: number;
  per_worker_bytes: number;
  pending_lines_per_worker: number;
  pending_event_cap: number;
  poll_workers_per_tick: number;
  status_poll_ms: number;
  degrade_pressure: number;
}

export interface Bootstrap {
  agents: Agent[];
  namespace_roots: string[];
  hive: HiveConfig;
  replay: boolean;
  /** live | replay | offline: where batches come from. */
  mode: "live" | "replay" | "offline";
  /** The server's session: role and ticket subject (never a token). */
  session: { role: string; subject: string | null; transport: string };
}

export interface HiveEvent {
  seq: number;
  kind: "telemetry" | "error";
  reason: string | null;
  agent: string;
  role: string | null;
  namespace: string;
  detail: string | null;
}

export interface ScheduleEntry {
  id: string;
  role: string;
  priority: number;
  ticks: number;
  budget_ms: number;
  seq: number;
}

export interface LeaseEntry {
  id: string;
  subject: string;
  resource: string;
  ttl_s: number;
  priority: number;
  state: string;
  seq: number;
}

export interface PollBatch {
  events: HiveEvent[];
  pressure: number;
  backlog: number;
  dropped: number;
  root: { reachable: boolean; cut_reason: string | null } | null;
  sessions: { active: number; draining: number } | null;
  pressure_counters: { busy: number; quota: number; cut: number; policy: number } | null;
  overlays: Array<{ agent: string; lines: string[] }>;
  detail: { agent: string; lines: string[] } | null;
  done: boolean;
  schedule: { summary: { queue: number; max_entries: number; dequeued: number; dropped: number }; queue: ScheduleEntry[] } | null;
  lease: {
    summary: { active: number; preemptions: number; quotas: number; max_active: number };
    active: LeaseEntry[];
    preemptions: Array<{ id: string; subject: string; resource: string; reason: string; seq: number }>;
  } | null;
  /** Ours, beside the reference's fields: the agent set when it changed since the last batch (a worker spawned or killed). */
  agents: Agent[] | null;
  /** Ours: batch number (SSE id) and server time. */
  batch: number;
  at_ms: number;
}

/** JSON error body of every API refusal. */
export interface ApiError {
  error: string;
  reason: string;
  detail: string;
}

/**
 * The role of a worker from its id prefix (reference §5.3); anything else is a heartbeat. Ids
 * holding a GPU lease are forced to worker-gpu by the caller.
 */
export function roleOf(id: string): Role {
  if (id === "queen") return "queen";
  for (const r of ["worker-gpu", "worker-lora", "worker-bus", "worker-heart"] as const) {
    if (id.startsWith(r)) return r === "worker-heart" ? "worker-heartbeat" : r;
  }
  return "worker-heartbeat";
}
