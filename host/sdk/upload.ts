// Uploading bytes through a line-oriented ctl file: `begin bytes=<n> sha256=<hex>`, then `b64:<…>`
// records, then `end` (the guest's ninedoor/upload.ts assembles and checks them), or bare `b64:`
// records where the file takes no envelope. Each record is sized to fit one append on the
// connection (caps.maxRecord: 128 bytes on the console, msize-bound on 9P).

import { createHash } from "node:crypto";
import type { NamespaceClient, NsCaps } from "./ns.js";
import type { Result } from "./ticket/index.js";

const PREFIX = "b64:";

/** Raw bytes per `b64:` record that fit `maxRecord` (base64 of 3 bytes is 4 characters). */
export function b64ChunkBytes(maxRecord: number): number {
  return Math.floor((maxRecord - PREFIX.length) / 4) * 3;
}

export interface UploadPlan {
  records: string[];
  bytes: number;
  sha256: string;
}

/** The records for `data`; `framed` adds the begin/end envelope. Pure. */
export function uploadRecords(data: Uint8Array, caps: Pick<NsCaps, "maxRecord">, framed = true): Result<UploadPlan, string> {
  const per = b64ChunkBytes(caps.maxRecord);
  if (per < 3) return { ok: false, error: `records of ${caps.maxRecord} bytes cannot carry base64 data` };
  const sha256 = createHash("sha256").update(data).digest("hex");
  const records: string[] = [];
  if (framed) {
    const begin = `begin bytes=${data.length} sha256=${sha256}`;
    if (begin.length > caps.maxRecord) return { ok: false, error: `the begin record (${begin.length} bytes) exceeds ${caps.maxRecord}` };
    records.push(begin);
  }
  for (let i = 0; i < data.length; i += per) records.push(PREFIX + Buffer.from(data.subarray(i, i + per)).toString("base64"));
  if (framed) records.push("end");
  return { ok: true, value: { records, bytes: data.length, sha256 } };
}

/** Appends every record of the plan to `path`; a refusal (NsRefusal) stops it where it happened. */
export async function upload(ns: NamespaceClient, path: string, data: Uint8Array, framed = true): Promise<UploadPlan> {
  const plan = uploadRecords(data, ns.caps, framed);
  if (!plan.ok) throw new RangeError(plan.error);
  for (const r of plan.value.records) await ns.append(path, r);
  return plan.value;
}
