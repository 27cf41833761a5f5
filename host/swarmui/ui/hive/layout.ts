// Deterministic positions (reference §5.4): the FNV-1a 32-bit hash of an id gives an anchor
// (x = bits 0-7 / 255, y = bits 8-15 / 255), mapped to (anchor - 0.5) * size * 0.8, plus a
// sine/cosine drift of 10 px at rates 0.35 and 0.28 with phase seed % 360 degrees. Pure.

export function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  const b = new TextEncoder().encode(s);
  for (const x of b) {
    h ^= x;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

export interface Anchor {
  ax: number;
  ay: number;
  seed: number;
}

export function anchorOf(id: string): Anchor {
  const seed = fnv1a(id);
  return { ax: (seed & 0xff) / 255, ay: ((seed >>> 8) & 0xff) / 255, seed };
}

export const DRIFT_PX = 10;

/** World position (origin at the hive's centre) of an agent at time `t` seconds in a w x h view. */
export function positionAt(a: Anchor, w: number, h: number, t: number): { x: number; y: number } {
  const phase = ((a.seed % 360) * Math.PI) / 180;
  return {
    x: (a.ax - 0.5) * w * 0.8 + DRIFT_PX * Math.sin(t * 0.35 + phase),
    y: (a.ay - 0.5) * h * 0.8 + DRIFT_PX * Math.cos(t * 0.28 + phase),
  };
}
