// coh gpu list | status | lease (reference §2.2): the GPUs under /gpu, one GPU's last status
// line, and a GPU lease requested through /queen/ctl (a worker-gpu spawn).

import { CohError, type Ctx } from "./context.js";
import { clipError, procLease, RECEIPT_SCHEMA, writeReceipt } from "./receipt.js";

const INFO_MAX = 16 * 1024;
const STATUS_MAX = 64 * 1024;
const INFO_KEYS = ["id", "name", "memory_mb", "sm_count", "driver_version", "runtime_version"];
const NOT_GPUS = new Set(["bridge", "models", "telemetry"]);

export interface GpuRow {
  id: string;
  name: string;
  memory_mb: number;
  sm_count: number;
  driver_version: string;
  runtime_version: string;
}

/** The info JSON, strictly: exactly the six keys with their types. */
export function parseInfo(path: string, text: string): GpuRow {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new CohError(`${path}: not JSON`);
  }
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw new CohError(`${path}: not a JSON object`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!INFO_KEYS.includes(k)) throw new CohError(`${path}: unknown field ${k}`);
  for (const k of INFO_KEYS) {
    const num = k === "memory_mb" || k === "sm_count";
    if (num ? typeof o[k] !== "number" : typeof o[k] !== "string") throw new CohError(`${path}: ${k} must be a ${num ? "number" : "string"}`);
  }
  return o as unknown as GpuRow;
}

export async function gpuList(ctx: Ctx): Promise<GpuRow[]> {
  const ids = (await ctx.ls("/gpu")).filter((n) => !NOT_GPUS.has(n));
  const rows: GpuRow[] = [];
  for (const id of ids) {
    const path = `/gpu/${id}/info`;
    const g = parseInfo(path, (await ctx.cat(path, INFO_MAX)).join("\n"));
    rows.push(g);
    ctx.out.line(`gpu id=${g.id} name=${g.name} mem_mb=${g.memory_mb} sm=${g.sm_count} driver=${g.driver_version} runtime=${g.runtime_version}`);
  }
  if (rows.length === 0) ctx.out.line("gpu: none");
  return rows;
}

export async function gpuStatus(ctx: Ctx, gpu: string): Promise<{ gpu: string; status: string }> {
  const lines = await ctx.cat(`/gpu/${gpu}/status`, STATUS_MAX);
  const last = [...lines].reverse().find((l) => l.trim()) ?? "EMPTY";
  ctx.out.line(`gpu id=${gpu} status=${last}`);
  return { gpu, status: last };
}

export interface LeaseArgs {
  gpu: string;
  memMb: number;
  streams: number;
  ttlS: number;
  priority: number;
  budgetTtlS?: number;
  budgetOps?: number;
  receiptOut?: string;
}

/** The /queen/ctl request: `priority` always sent, `budget` only when given. */
export function leaseRequest(a: LeaseArgs): string {
  const req: Record<string, unknown> = { spawn: "gpu", lease: { gpu_id: a.gpu, mem_mb: a.memMb, streams: a.streams, ttl_s: a.ttlS, priority: a.priority } };
  if (a.budgetTtlS !== undefined || a.budgetOps !== undefined) {
    const b: Record<string, number> = {};
    if (a.budgetTtlS !== undefined) b.ttl_s = a.budgetTtlS;
    if (a.budgetOps !== undefined) b.ops = a.budgetOps;
    req.budget = b;
  }
  return JSON.stringify(req);
}

export async function gpuLease(ctx: Ctx, a: LeaseArgs): Promise<{ ack: string }> {
  let ack: string | undefined;
  let error: string | undefined;
  try {
    ack = await ctx.echo("/queen/ctl", leaseRequest(a));
    ctx.out.line(`lease requested gpu_id=${a.gpu} mem_mb=${a.memMb} streams=${a.streams} ttl_s=${a.ttlS}`);
    return { ack };
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
    const line = (e as { line?: string }).line;
    if (line) ack = line;
    throw e;
  } finally {
    if (a.receiptOut) {
      const request = { gpu_id: a.gpu, mem_mb: a.memMb, streams: a.streams, ttl_s: a.ttlS, priority: a.priority, budget_ttl_s: a.budgetTtlS ?? null, budget_ops: a.budgetOps ?? null };
      const receipt: Record<string, unknown> = { schema: RECEIPT_SCHEMA, kind: "gpu-lease", manifest_sha256: ctx.manifestSha256, request, status: error ? "err" : "ok" };
      if (error) receipt.error = clipError(error);
      if (ack) receipt.ack = ack;
      receipt.proc_lease = await procLease(ctx, true).catch(() => null);
      writeReceipt(a.receiptOut, receipt);
    }
  }
}
