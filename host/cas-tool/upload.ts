// `cas-tool upload`: a bundle to a hive's /updates over any NamespaceClient (console, 9P, REST).
// The original's order — every chunk first (manifest order), then the manifest — sent as `b64:`
// records on the console and through the gateway (93 bytes a record on the console), and as raw
// bytes in Twrites of up to msize over Secure9P. Resumable:
// a status read first says which chunks the guest holds and how far a partial chunk or manifest
// got, and only the rest is sent, so a re-run after a crash (kill -9 included) duplicates nothing.

import { NsRefusal, type NamespaceClient } from "../sdk/ns.js";
import { b64ChunkBytes } from "../sdk/upload.js";
import { type LoadedBundle } from "./bundle.js";
import { CasToolError, EXIT_REFUSED } from "./errors.js";
import { hex } from "./manifest.js";

/** The guest's largest record it splits 9P writes into (telemetry_ingest.max_record_bytes). */
export interface UploadOptions {
  /** Upper bound of one record, below the connection's own (the guest's per-line bound). */
  maxRecord: number;
  onProgress?: (sentBytes: number, totalBytes: number) => void;
}

export interface GuestView {
  state: string;
  committed: Set<string>;
  /** Partial chunk bytes the guest holds, by chunk id. */
  pending: Map<string, number>;
  manifestPendingBytes: number;
  lastError: string;
}

/** Parses /updates/<e>/status and the chunk listing. */
export async function guestView(ns: NamespaceClient, epoch: string): Promise<GuestView> {
  const status = await ns.read(`/updates/${epoch}/status`);
  const field = (name: string): string => {
    for (const l of status) {
      const m = new RegExp(`(?:^| )${name}=(\\S+)`).exec(l);
      if (m) return m[1];
    }
    return "";
  };
  const pending = new Map<string, number>();
  for (const l of status) {
    const m = /^pending chunk=([0-9a-f]{64}) bytes=(\d+)$/.exec(l);
    if (m) pending.set(m[1], Number(m[2]));
  }
  const committed = new Set((await ns.ls(`/updates/${epoch}/chunks`)).filter((n) => /^[0-9a-f]{64}$/.test(n)));
  return { state: field("state"), committed, pending, manifestPendingBytes: Number(field("manifest_pending_bytes") || 0), lastError: field("last_error") };
}

export interface UploadResult {
  epoch: string;
  state: string;
  chunksSent: number;
  chunksSkipped: number;
  bytesSent: number;
  resumedBytes: number;
  records: number;
  ms: number;
}

async function sendRecords(ns: NamespaceClient, path: string, data: Uint8Array, per: number, tick: (n: number) => void): Promise<number> {
  if (ns.appendBytes && ns.caps.binary) {
    // Secure9P: the bytes go as they are (Twrites of up to msize), a third fewer bytes than base64.
    let writes = 0;
    try {
      await ns.appendBytes(path, data, (n) => {
        writes++;
        tick(n);
      });
    } catch (e) {
      if (e instanceof NsRefusal) throw new CasToolError(`refused at ${path}: ${e.line ?? e.message}`, EXIT_REFUSED);
      throw e;
    }
    return writes;
  }
  let records = 0;
  for (let off = 0; off < data.length; off += per) {
    const piece = data.subarray(off, Math.min(data.length, off + per));
    try {
      await ns.append(path, "b64:" + Buffer.from(piece).toString("base64"));
    } catch (e) {
      // The guest's word on this bundle: final for this run (a re-run resends only what is missing).
      if (e instanceof NsRefusal) throw new CasToolError(`refused at ${path}: ${e.line ?? e.message}`, EXIT_REFUSED);
      throw e;
    }
    records++;
    tick(piece.length);
  }
  return records;
}

export async function uploadBundle(ns: NamespaceClient, b: LoadedBundle, o: UploadOptions): Promise<UploadResult> {
  const t0 = Date.now();
  const epoch = b.manifest.epoch;
  const per = b64ChunkBytes(Math.min(ns.caps.maxRecord, o.maxRecord));
  const before = await guestView(ns, epoch);
  const result: UploadResult = { epoch, state: before.state, chunksSent: 0, chunksSkipped: 0, bytesSent: 0, resumedBytes: 0, records: 0, ms: 0 };
  if (before.state === "ready") {
    result.chunksSkipped = b.chunks.length;
    result.ms = Date.now() - t0;
    return result;
  }
  const manifestHeld = before.state === "chunks_pending";
  const todo = b.chunks.filter((c) => !before.committed.has(hex(c.digest)));
  result.chunksSkipped = b.chunks.length - todo.length;
  const total = todo.reduce((n, c) => n + c.data.length - (before.pending.get(hex(c.digest)) ?? 0), 0) + (manifestHeld ? 0 : b.manifestBytes.length - before.manifestPendingBytes);
  const tick = (n: number): void => {
    result.bytesSent += n;
    o.onProgress?.(result.bytesSent, total);
  };
  for (const c of todo) {
    const id = hex(c.digest);
    const from = before.pending.get(id) ?? 0;
    result.resumedBytes += from;
    result.records += await sendRecords(ns, `/updates/${epoch}/chunks/${id}`, c.data.subarray(from), per, tick);
    result.chunksSent++;
  }
  if (!manifestHeld) {
    result.resumedBytes += before.manifestPendingBytes;
    try {
      result.records += await sendRecords(ns, `/updates/${epoch}/manifest.cbor`, b.manifestBytes.subarray(before.manifestPendingBytes), per, tick);
    } catch (e) {
      // 9P carries only an errno: the guest's reason is in the epoch's status.
      if (e instanceof CasToolError) throw new CasToolError(`${e.message} (last_error=${(await guestView(ns, epoch)).lastError})`, e.exitCode);
      throw e;
    }
  }
  const after = await guestView(ns, epoch);
  result.state = after.state;
  result.ms = Date.now() - t0;
  if (after.state !== "ready") {
    throw new CasToolError(`epoch ${epoch} not accepted: state=${after.state} last_error=${after.lastError} (see /updates/${epoch}/status and the queen log)`, EXIT_REFUSED);
  }
  return result;
}
