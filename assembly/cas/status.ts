// What /updates shows: the original's 5-line status and 11-key status.cbor per epoch (plus our
// extra lines after them), the chunk list, and the store-wide /updates/status.

import { writeHead } from "../cbor/cbor";
import { CasManifest } from "./manifest";
import { CasStore, Epoch, hexOf, keyFingerprint } from "./store";

function manifestOf(e: Epoch | null): CasManifest | null {
  if (e == null) return null;
  return e.manifest;
}

export function stateOf(e: Epoch | null): string {
  if (e == null) return "empty";
  if (e.accepted) return "ready";
  if (e.manifest != null) return "chunks_pending";
  if (e.pendingLen > 0) return "manifest_pending";
  return "empty";
}

class Counts {
  expected: i32 = 0;
  committed: i32 = 0;
  pending: i32 = 0;
  missing: i32 = 0;
}

/** The chunk ids an epoch is about: its manifest's once known, else those written under it. */
export function chunkIds(e: Epoch | null): string[] {
  const out: string[] = [];
  if (e == null) return out;
  const m = e.manifest;
  if (m != null) {
    for (let k = 0; k < m.chunkCount; k++) out.push(hexOf(m.chunks.dataStart + <usize>(k * 32), 32));
  } else {
    for (let i = 0; i < e.written.length; i++) out.push(e.written[i]);
  }
  return out;
}

function counts(s: CasStore, e: Epoch | null): Counts {
  const c = new Counts();
  const ids = chunkIds(e);
  if (e != null && e.manifest != null) c.expected = e.manifest!.chunkCount;
  for (let i = 0; i < ids.length; i++) {
    if (s.chunkData(ids[i]) != null) c.committed++;
    else if (s.pendingBytes(ids[i]) > 0) c.pending++;
  }
  c.missing = max<i32>(0, c.expected - c.committed - c.pending);
  return c;
}

/** /updates/<e>/chunks: the committed chunk ids of the epoch, sorted. */
export function committedChunks(s: CasStore, en: string): string[] {
  const ids = chunkIds(s.epoch(en));
  const out: string[] = [];
  for (let i = 0; i < ids.length; i++) if (s.chunkData(ids[i]) != null) out.push(ids[i]);
  out.sort();
  return out;
}

/** /updates/<e>/status. */
export function statusLines(s: CasStore, en: string): string[] {
  const e = s.epoch(en);
  const m = manifestOf(e);
  const c = counts(s, e);
  const out: string[] = [
    "status epoch=" + en + " state=" + stateOf(e),
    "manifest_bytes=" + (e != null && e.manifestBytes != null ? e.manifestBytes!.length : 0).toString() + " manifest_pending_bytes=" + (e == null ? 0 : e.pendingLen).toString(),
    "chunks_expected=" + c.expected.toString() + " chunks_committed=" + c.committed.toString() + " chunks_pending=" + c.pending.toString() + " chunks_missing=" + c.missing.toString(),
    "payload_bytes=" + (m == null ? "0" : m.payloadBytes.toString()) + " payload_sha256=" + (m == null ? "none" : hexOf(m.payloadSha.dataStart, 32)),
    "delta_base_epoch=" + (m != null && m.hasDelta ? m.deltaEpoch : "none") + " delta_base_sha256=" + (m != null && m.hasDelta ? hexOf(m.deltaSha.dataStart, 32) : "none"),
    // Ours, after the original's five: why the last manifest was refused, and where partial chunks are.
    "last_error=" + (e == null ? "none" : e.lastError),
  ];
  const ids = chunkIds(e);
  for (let i = 0; i < ids.length; i++) {
    const p = s.pendingBytes(ids[i]);
    if (p > 0) out.push("pending chunk=" + ids[i] + " bytes=" + p.toString());
  }
  return out;
}

/** A tiny deterministic-CBOR builder (heads from cbor.ts; nulls, which CborWriter has no call for). */
class Out {
  b: Uint8Array = new Uint8Array(512);
  n: i32 = 0;
  head(major: u8, v: u64): Out {
    this.n += writeHead(this.b.dataStart + <usize>this.n, major, v);
    return this;
  }
  text(s: string): Out {
    const k = String.UTF8.byteLength(s);
    this.head(3, <u64>k);
    String.UTF8.encodeUnsafe(changetype<usize>(s), s.length, this.b.dataStart + <usize>this.n);
    this.n += k;
    return this;
  }
  bytes(p: usize, k: i32): Out {
    this.head(2, <u64>k);
    memory.copy(this.b.dataStart + <usize>this.n, p, <usize>k);
    this.n += k;
    return this;
  }
  nil(): Out {
    this.b[this.n++] = 0xf6;
    return this;
  }
}

/** /updates/<e>/status.cbor: the original's 11 keys, in deterministic (encoded-bytes) key order. */
export function statusCbor(s: CasStore, en: string): Uint8Array {
  const e = s.epoch(en);
  const m = manifestOf(e);
  const c = counts(s, e);
  const o = new Out();
  o.head(5, 11);
  o.text("delta");
  if (m != null && m.hasDelta) o.head(5, 2).text("base_epoch").text(m.deltaEpoch).text("base_sha256").bytes(m.deltaSha.dataStart, 32);
  else o.nil();
  o.text("epoch").text(en);
  o.text("state").text(stateOf(e));
  o.text("payload_bytes").head(0, m == null ? 0 : m.payloadBytes);
  o.text("chunks_missing").head(0, <u64>c.missing);
  o.text("chunks_pending").head(0, <u64>c.pending);
  o.text("manifest_bytes").head(0, <u64>(e != null && e.manifestBytes != null ? e.manifestBytes!.length : 0));
  o.text("payload_sha256");
  if (m == null) o.nil();
  else o.bytes(m.payloadSha.dataStart, 32);
  o.text("chunks_expected").head(0, <u64>c.expected);
  o.text("chunks_committed").head(0, <u64>c.committed);
  o.text("manifest_pending_bytes").head(0, <u64>(e == null ? 0 : e.pendingLen));
  return o.b.slice(0, o.n);
}

/** /updates/status: rollback floor, keys, store use, quarantine. */
export function storeStatus(s: CasStore): string[] {
  const cfg = s.cfg;
  const out: string[] = [
    "updates highest_accepted=" + (s.highest.length > 0 ? s.highest : "none") + " epochs=" + s.epochs.size.toString() + "/" + cfg.epochsMax.toString() +
      " store_bytes=" + s.used.toString() + "/" + cfg.storeBytes.toString() + " quarantined=" + s.quarantinedTotal.toString(),
    "limits chunk_bytes_max=" + cfg.chunkBytesMax.toString() + " chunks_max=" + cfg.chunksMax.toString() + " manifest_bytes_max=" + cfg.manifestBytesMax.toString() +
      " delta=" + (cfg.deltaEnabled ? "on" : "off") + " reinstall=" + (cfg.allowReinstall ? "allowed" : "refused"),
  ];
  for (let i = 0; i < cfg.keys.length; i++) out.push("key fingerprint=" + keyFingerprint(cfg.keys[i]));
  for (let i = 0; i < s.quarantine.length; i++) {
    const q = s.quarantine[i];
    out.push("quarantine epoch=" + q.epoch + " expected=" + q.expected + " actual=" + q.actual + " bytes=" + q.bytes.toString());
  }
  return out;
}
