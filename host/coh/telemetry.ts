// coh telemetry pull --out DIR (reference §2.7): every device's segments under /queen/telemetry,
// each saved as <out>/<device>/seg/<segment> through .partial + rename. An existing file is never
// overwritten (a resumed pull skips it); every bound is the pinned policy's.

import { join } from "node:path";
import { bound, CohError, policyString, type Ctx } from "./context.js";
import { component, writeOnce } from "../sdk/files.js";

export interface Pulled {
  device: string;
  segment: string;
  bytes: number;
  saved: boolean;
}

export async function telemetryPull(ctx: Ctx, out: string): Promise<Pulled[]> {
  const P = ctx.policy;
  const root = policyString(P, "telemetry", "root");
  const devices = await ctx.ls(root);
  if (devices.length > bound(P, "telemetry", "max_devices")) throw new CohError(`telemetry devices ${devices.length} exceeds max_devices ${bound(P, "telemetry", "max_devices")}`);
  const pulled: Pulled[] = [];
  for (const d of devices) {
    if (!component(d)) throw new CohError(`device name '${d}' is not a path component`);
    const segs = await ctx.ls(`${root}/${d}/seg`);
    if (segs.length > bound(P, "telemetry", "max_segments_per_device")) throw new CohError(`telemetry segments ${segs.length} exceeds max_segments_per_device ${bound(P, "telemetry", "max_segments_per_device")} for device ${d}`);
    let total = 0;
    for (const s of segs) {
      if (!component(s)) throw new CohError(`segment name '${s}' is not a path component`);
      const b = await ctx.catBytes(`${root}/${d}/seg/${s}`, bound(P, "telemetry", "max_bytes_per_segment"));
      total += b.length;
      const max = bound(P, "telemetry", "max_total_bytes_per_device");
      if (total > max) throw new CohError(`telemetry bytes ${total} exceeds max_total_bytes_per_device ${max} for device ${d}`);
      const saved = writeOnce(join(out, d, "seg", s), b);
      ctx.out.line(`telemetry device=${d} segment=${s} bytes=${b.length} saved=${d}/seg/${s}`);
      pulled.push({ device: d, segment: s, bytes: b.length, saved });
    }
  }
  if (devices.length === 0) ctx.out.line("telemetry: none");
  return pulled;
}
