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

/**
 * Render pacing at `fps` on a fixed grid of 1000/fps ms: a render that lands late does not push
 * the grid back, so an irregular rAF (50/s under load instead of 60) still averages the cap
 * instead of rendering only every other tick; and two renders are never closer than half an
 * interval, so a stall is not followed by a burst. Over any window of T ms there are at most
 * T·fps/1000 + 2 renders: the cap is never exceeded. Pure (the caller passes the clock).
 */
export class FramePacer {
  private next = -Infinity;

  constructor(readonly fps: number) {}

  /** True when a render is due at `now` (and then counts it). */
  due(now: number): boolean {
    const iv = 1000 / this.fps;
    // 1 ms of slack: rAF ticks at ~16.7 ms, so a 33.3 ms grid lands on every second tick.
    if (now < this.next - 1) return false;
    this.next = this.next === -Infinity ? now + iv : Math.max(this.next + iv, now + iv / 2);
    return true;
  }
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

