// Level of detail (reference §5.4): pressure past degrade gives `degraded`; zoom below
// lod_zoom_out `cluster`; above lod_zoom_in `detail`; otherwise `balanced`. Pure.

export type Lod = "cluster" | "balanced" | "detail" | "degraded";

export const ZOOM_MIN = 0.45;
export const ZOOM_MAX = 2.4;

export function lodOf(zoom: number, pressure: number, cfg: { lod_zoom_out: number; lod_zoom_in: number; degrade_pressure: number }): Lod {
  if (pressure > cfg.degrade_pressure) return "degraded";
  if (zoom < cfg.lod_zoom_out) return "cluster";
  if (zoom > cfg.lod_zoom_in) return "detail";
  return "balanced";
}

/** Workers are drawn in detail and balanced (the queen always). */
export function agentsVisible(lod: Lod): boolean {
  return lod === "detail" || lod === "balanced";
}

export function clampZoom(z: number): number {
  return Math.min(ZOOM_MAX, Math.max(ZOOM_MIN, z));
}

/** Renders allowed at `fps`: true when at least one frame interval has passed since the last. */
export function frameDue(now: number, lastRender: number, fps: number): boolean {
  // 1 ms of slack: rAF ticks at ~16.7 ms, so a 33.3 ms interval lands every second tick.
  return now - lastRender >= 1000 / fps - 1;
}

/**
 * Most workers whose labels show in `balanced`: past it the digits overlap into a blur and each
 * costs a text draw per frame. In `detail` labels show at any count (only those on screen are
 * drawn); in `cluster` and `degraded` never.
 */
export const LABELS_MAX = 256;

export function labelsShown(lod: Lod, workers: number): boolean {
  return lod === "detail" || (lod === "balanced" && workers <= LABELS_MAX);
}

