// cohesix-receipt-v1 (--receipt-out): what a gpu lease or a run asked, how it ended, the acks,
// and /proc/lease as it stood. Written atomically; never holds a token or a raw ticket (the
// caller's inputs never reach it, and the text is scrubbed of ticket-shaped strings anyway).

import { bound, type Ctx } from "./context.js";
import { writeAtomic } from "../sdk/files.js";

export const RECEIPT_SCHEMA = "cohesix-receipt-v1";

export interface ProcLease {
  summary: string | null;
  active: string | null;
  preemptions: string | null;
  active_entries?: Record<string, string>[];
}

async function tryCat(ctx: Ctx, path: string, max: number): Promise<string | null> {
  try {
    return (await (await ctx.ns()).read(path)).join("\n").slice(0, max);
  } catch {
    return null;
  }
}

/** /proc/lease/{summary,active,preemptions}; each null when it cannot be read. */
export async function procLease(ctx: Ctx, entries: boolean): Promise<ProcLease> {
  const max = bound(ctx.policy, "run", "lease_max_bytes") * 16;
  const active = await tryCat(ctx, "/proc/lease/active", max);
  const p: ProcLease = { summary: await tryCat(ctx, "/proc/lease/summary", max), active, preemptions: await tryCat(ctx, "/proc/lease/preemptions", max) };
  if (entries) {
    p.active_entries = (active ?? "").split("\n").filter((l) => l.trim()).map((l) => {
      const [id, ...kv] = l.trim().split(" ");
      return { id, ...Object.fromEntries(kv.map((x) => [x.slice(0, x.indexOf("=")), x.slice(x.indexOf("=") + 1)])) };
    });
  }
  return p;
}

const SECRETISH = /cohesix-ticket-[0-9a-zA-Z._-]+/g;

export function writeReceipt(path: string, receipt: Record<string, unknown>): void {
  const text = JSON.stringify(receipt, null, 2).replace(SECRETISH, "[ticket]") + "\n";
  writeAtomic(path, text);
}

export function clipError(e: string): string {
  return e.length > 256 ? e.slice(0, 256) : e;
}
