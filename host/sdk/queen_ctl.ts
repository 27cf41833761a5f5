// `/queen/ctl` request builders (reference §2.6): the JSON lines the guest's queen_ctl.ts reads
// (strict: unknown fields refused). Pure: each builder returns a Result, never throws.
// Integer bounds come from the generated spec (QUEEN_CTL_BOUNDS), so a value the guest would
// refuse is refused here first, with the same range.

import { QUEEN_CTL_BOUNDS } from "../generated/protocol.js";
import type { Result } from "./ticket/index.js";

export const QUEEN_CTL = "/queen/ctl";

type Built = Result<string, string>;
const ok = (value: object): Built => ({ ok: true, value: JSON.stringify(value) });
const no = (error: string): Built => ({ ok: false, error });

/** Splits `key=value` words; returns an error text for anything else or a repeated key. */
function keyValues(words: string[], allowed: string[]): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (const w of words) {
    const i = w.indexOf("=");
    if (i <= 0) return `expected key=value, got '${w}'`;
    const k = w.slice(0, i);
    if (!allowed.includes(k)) return `unknown option '${k}' (allowed: ${allowed.join(", ")})`;
    if (k in out) return `option '${k}' given twice`;
    out[k] = w.slice(i + 1);
  }
  return out;
}

function uint(v: string | undefined, name: string): number | string {
  if (v === undefined) return `missing ${name}=`;
  if (!/^\d{1,10}$/.test(v)) return `${name} must be a non-negative integer, got '${v}'`;
  const field = name.replace(/^budget_/, "") as keyof typeof QUEEN_CTL_BOUNDS;
  const bound = QUEEN_CTL_BOUNDS[field] as readonly [number, number] | undefined;
  const n = Number(v);
  if (bound && (n < bound[0] || n > bound[1])) return `${name} must be ${bound[0]}..${bound[1]}, got ${n}`;
  return n;
}

/** `spawn heartbeat|gpu k=v…` words to the /queen/ctl JSON line. */
export function spawnRequest(args: string[]): Built {
  const kind = args[0];
  if (kind === "heartbeat") {
    const kv = keyValues(args.slice(1), ["ticks", "ttl_s", "ops"]);
    if (typeof kv === "string") return no(kv);
    const ticks = uint(kv.ticks, "ticks");
    if (typeof ticks === "string") return no(ticks);
    const budget: Record<string, number> = {};
    for (const k of ["ttl_s", "ops"]) {
      if (kv[k] === undefined) continue;
      const v = uint(kv[k], k);
      if (typeof v === "string") return no(v);
      budget[k] = v;
    }
    return ok(Object.keys(budget).length ? { spawn: "heartbeat", ticks, budget } : { spawn: "heartbeat", ticks });
  }
  if (kind === "gpu") {
    const kv = keyValues(args.slice(1), ["gpu_id", "mem_mb", "streams", "ttl_s", "priority", "budget_ttl_s", "budget_ops"]);
    if (typeof kv === "string") return no(kv);
    if (!kv.gpu_id || !/^[A-Za-z0-9_-]{1,32}$/.test(kv.gpu_id)) return no("gpu_id must be 1-32 characters of [A-Za-z0-9_-]");
    const lease: Record<string, string | number> = { gpu_id: kv.gpu_id };
    for (const k of ["mem_mb", "streams", "ttl_s"]) {
      const v = uint(kv[k], k);
      if (typeof v === "string") return no(v);
      lease[k] = v;
    }
    if (kv.priority !== undefined) {
      const v = uint(kv.priority, "priority");
      if (typeof v === "string") return no(v);
      lease.priority = v;
    }
    const budget: Record<string, number> = {};
    for (const [k, key] of [
      ["budget_ttl_s", "ttl_s"],
      ["budget_ops", "ops"],
    ] as const) {
      if (kv[k] === undefined) continue;
      const v = uint(kv[k], k);
      if (typeof v === "string") return no(v);
      budget[key] = v;
    }
    return ok(Object.keys(budget).length ? { spawn: "gpu", lease, budget } : { spawn: "gpu", lease });
  }
  return no(`spawn needs 'heartbeat' or 'gpu', got '${kind ?? ""}'`);
}

/** The JSON line of `spawn …`, throwing the error text (the shell's older entry point). */
export function spawnJson(args: string[]): string {
  const r = spawnRequest(args);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

export function killRequest(worker: string): Built {
  if (!worker || /\s/.test(worker)) return no("usage: kill <worker>");
  return ok({ kill: worker });
}

export function bindRequest(from: string, to: string): Built {
  return ok({ bind: { from, to } });
}

export function mountRequest(service: string, at: string): Built {
  return ok({ mount: { service, at } });
}
