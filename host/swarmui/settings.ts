// The Live Hive's bounds from the generated manifest ([swarmui] in configs/root_task.toml):
// thousandths become fractions here, so the browser never sees the manifest's integer encoding.

import { MANIFEST } from "../generated/manifest.js";
import type { HiveConfig } from "./shared/types.js";

/** The [swarmui] section with its values widened to number (tests pass other bounds). */
export type SwarmSection = { readonly [K in keyof typeof MANIFEST.swarmui]: number };

export function hiveConfig(s: SwarmSection = MANIFEST.swarmui): HiveConfig {
  return {
    frame_cap_fps: s.frame_cap_fps,
    step_ms: s.step_ms,
    lod_zoom_out: s.lod_zoom_out_milli / 1000,
    lod_zoom_in: s.lod_zoom_in_milli / 1000,
    lod_event_budget: s.lod_event_budget,
    snapshot_max_events: s.snapshot_max_events,
    overlay_lines: s.overlay_lines,
    detail_lines: s.detail_lines,
    line_cap_bytes: s.line_cap_bytes,
    per_worker_bytes: s.per_worker_bytes,
    pending_lines_per_worker: s.pending_lines_per_worker,
    pending_event_cap: s.pending_event_cap,
    poll_workers_per_tick: s.poll_workers_per_tick,
    status_poll_ms: s.status_poll_ms,
    degrade_pressure: s.degrade_pressure_milli / 1000,
  };
}

/** The reference's namespace roots (the browser's root select); the GPU and host trees when served. */
export const NAMESPACE_ROOTS = ["/proc", "/queen", "/worker", "/log", "/gpu"] as const;

/** Where workers and ingest figures live (reference swarmui.paths.*). */
export const PATHS = { workerRoot: "/worker", procIngestRoot: "/proc/ingest", telemetryRoot: "/worker" } as const;

/** Per-worker tail interval: the cohsh tail policy, clamped to the manifest's bounds. */
export function tailIntervalMs(s: SwarmSection = MANIFEST.swarmui, pollMs: number = MANIFEST.cohsh.tail_poll_ms): number {
  return Math.min(s.tail_max_ms, Math.max(s.tail_min_ms, pollMs));
}
