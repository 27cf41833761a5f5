// The guest's CAS update store behind /updates (docs/CAS.md): a content-addressed chunk store
// shared by all epochs, and per epoch a manifest that is checked in the original's order
// (schema, epoch, chunk size, counts, delta base, signature, assembled payload hash), then held
// immutable. Every bound comes from [cas] in the manifest; a refused write changes nothing
// except what the original also drops (a pending chunk that overflows or hashes wrong, a pending
// manifest that fails to decode or verify).
//
// What differs from the original on purpose: only public keys are held (cas.signing keys);
// chunk sizes are the manifest's (≤ the bound), so a chunk commits the moment its bytes hash to
// its name; a verified manifest whose chunks are not all there yet waits for them (state
// chunks_pending) instead of being refused; epochs must rise (rollback protection).

import { sha256 } from "../crypto/sha256";
import { ed25519Verify } from "../crypto/ed25519";
import { CasManifest, decodeManifest, ManifestErr } from "./manifest";
import { Sha256Stream } from "./sha256_stream";

export const CE_INVALID_PATH: i32 = 1;
export const CE_PERMISSION: i32 = 2;
export const CE_BUFFER_FULL: i32 = 3;
export const CE_INVALID: i32 = 4;
export const CE_STORE_FULL: i32 = 5;

/** A refused write: `kind` picks the console/9P wording, `message` says what happened. */
export class CasError {
  constructor(public kind: i32, public message: string) {}
}

export class CasConfig {
  chunkBytesMax: i32 = 65536;
  chunksMax: i32 = 64;
  manifestBytesMax: i32 = 4096;
  storeBytes: i32 = 4 << 20;
  epochsMax: i32 = 16;
  deltaEnabled: bool = true;
  allowReinstall: bool = false;
  quarantineMax: i32 = 8;
  /** Ed25519 public keys, 32 bytes each; any one may sign (rotation). */
  keys: Uint8Array[] = [];
}

const HEX = "0123456789abcdef";

export function hexOf(p: usize, n: i32): string {
  let s = "";
  for (let i = 0; i < n; i++) {
    const b = load<u8>(p + <usize>i);
    s += HEX.charAt(b >> 4) + HEX.charAt(b & 15);
  }
  return s;
}

/** The guest's epoch rule: 1..20 ASCII digits. */
export function validEpoch(s: string): bool {
  if (s.length < 1 || s.length > 20) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** A chunk id: 64 lower-case hex characters. */
export function validChunkName(s: string): bool {
  if (s.length != 64) return false;
  for (let i = 0; i < 64; i++) {
    const c = s.charCodeAt(i);
    if (!((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66))) return false;
  }
  return true;
}

/** Numeric order of digit strings of any length (leading zeros ignored). */
export function compareEpochs(a: string, b: string): i32 {
  let i = 0;
  while (i < a.length - 1 && a.charCodeAt(i) == 0x30) i++;
  let j = 0;
  while (j < b.length - 1 && b.charCodeAt(j) == 0x30) j++;
  const la = a.length - i;
  const lb = b.length - j;
  if (la != lb) return la < lb ? -1 : 1;
  for (let k = 0; k < la; k++) {
    const x = a.charCodeAt(i + k);
    const y = b.charCodeAt(j + k);
    if (x != y) return x < y ? -1 : 1;
  }
  return 0;
}

/** The first 8 bytes of SHA-256(key), hex: how logs and status name a key. */
export function keyFingerprint(key: Uint8Array): string {
  const d = new Uint8Array(32);
  sha256(key.dataStart, <usize>key.length, d.dataStart);
  return hexOf(d.dataStart, 8);
}

export class Chunk {
  data: Uint8Array = new Uint8Array(0);
  len: i32 = 0;
  committed: bool = false;
  hash: Sha256Stream | null = null;
  /** Where an identical re-send of a committed chunk has got to. */
  resend: i32 = 0;
  constructor(public name: string) {}
}

export class Quarantined {
  constructor(public epoch: string, public expected: string, public actual: string, public bytes: i32) {}
}

export class Epoch {
  /** Manifest bytes received but not yet a whole manifest. */
  pending: Uint8Array = new Uint8Array(0);
  pendingLen: i32 = 0;
  /** The verified manifest (waiting for chunks or accepted) and its bytes. */
  manifest: CasManifest | null = null;
  manifestBytes: Uint8Array | null = null;
  accepted: bool = false;
  resend: i32 = 0;
  /** Chunk ids written under this epoch, in first-write order. */
  written: string[] = [];
  lastError: string = "none";
  constructor(public name: string) {}
}

const NULL_BYTE: u8 = 0xf6;

export class CasStore {
  chunks: Map<string, Chunk> = new Map<string, Chunk>();
  epochs: Map<string, Epoch> = new Map<string, Epoch>();
  /** Bytes held: chunk bytes (committed and pending) plus manifest bytes (held and pending). */
  used: i32 = 0;
  highest: string = "";
  quarantine: Quarantined[] = [];
  quarantinedTotal: i32 = 0;
  /** Log lines for the provider to pass on (kmesg / queen log), oldest first. */
  logs: string[] = [];

  constructor(public cfg: CasConfig) {}

  epoch(name: string): Epoch | null {
    return this.epochs.has(name) ? this.epochs.get(name) : null;
  }

  /** Accepted-or-not epochs in numeric order. */
  epochNames(): string[] {
    const names = this.epochs.keys();
    for (let i = 1; i < names.length; i++) {
      for (let j = i; j > 0 && compareEpochs(names[j - 1], names[j]) > 0; j--) {
        const t = names[j - 1];
        names[j - 1] = names[j];
        names[j] = t;
      }
    }
    return names;
  }

  /** A committed chunk's bytes, or null (pending or unknown). */
  chunkData(name: string): Uint8Array | null {
    if (!this.chunks.has(name)) return null;
    const c = this.chunks.get(name);
    return c.committed ? c.data : null;
  }

  pendingBytes(name: string): i32 {
    if (!this.chunks.has(name)) return 0;
    const c = this.chunks.get(name);
    return c.committed ? 0 : c.len;
  }

  private epochFor(name: string): Epoch | null {
    if (this.epochs.has(name)) return this.epochs.get(name);
    if (this.epochs.size >= this.cfg.epochsMax) return null;
    const e = new Epoch(name);
    this.epochs.set(name, e);
    return e;
  }

  private room(n: i32): CasError | null {
    if (this.used + n > this.cfg.storeBytes) {
      return new CasError(CE_STORE_FULL, "store full: " + this.used.toString() + " of " + this.cfg.storeBytes.toString() + " bytes held, " + n.toString() + " more refused");
    }
    return null;
  }

  // ---- chunks ---------------------------------------------------------------------------------

  /** Appends `len` bytes at `ptr` to chunk `name` under epoch `en`. */
  writeChunk(en: string, name: string, ptr: usize, len: i32): CasError | null {
    if (!validEpoch(en) || !validChunkName(name)) return new CasError(CE_INVALID_PATH, "invalid path");
    const known = this.chunks.has(name) ? this.chunks.get(name) : null;
    if (!this.epochs.has(en) && this.epochs.size >= this.cfg.epochsMax) return this.epochsFull();
    if (known != null && known.committed) {
      // Chunks are shared: one another epoch committed is this epoch's too.
      const err = this.resendChunk(known, ptr, len);
      if (err == null) this.noteWritten(this.epochFor(en)!, name);
      return err;
    }
    const have = known == null ? 0 : known.len;
    if (have + len > this.cfg.chunkBytesMax) {
      if (known != null) this.dropChunk(known);
      return new CasError(CE_BUFFER_FULL, "chunk " + name + " over " + this.cfg.chunkBytesMax.toString() + " bytes; pending bytes dropped");
    }
    const full = this.room(len);
    if (full != null) return full;
    // Past every refusal: only now may the write create anything.
    const e = this.epochFor(en)!;
    this.noteWritten(e, name);
    let c = known;
    if (c == null) {
      c = new Chunk(name);
      c.hash = new Sha256Stream();
      this.chunks.set(name, c);
    }
    if (c.len + len > c.data.length) {
      let cap = max<i32>(256, c.data.length);
      while (cap < c.len + len) cap *= 2;
      const grown = new Uint8Array(min<i32>(cap, this.cfg.chunkBytesMax));
      memory.copy(grown.dataStart, c.data.dataStart, <usize>c.len);
      c.data = grown;
    }
    memory.copy(c.data.dataStart + <usize>c.len, ptr, <usize>len);
    c.len += len;
    this.used += len;
    c.hash!.update(ptr, len);
    const d = new Uint8Array(32);
    c.hash!.digest(d.dataStart);
    if (hexOf(d.dataStart, 32) == name) {
      this.commit(c);
      return null;
    }
    const expect = this.expectedSize(name);
    if (c.len == expect || c.len == this.cfg.chunkBytesMax) return this.quarantineChunk(en, c, hexOf(d.dataStart, 32));
    return null;
  }

  private noteWritten(e: Epoch, name: string): void {
    if (e.written.indexOf(name) < 0) e.written.push(name);
  }

  private epochsFull(): CasError {
    return new CasError(CE_STORE_FULL, "store full: " + this.cfg.epochsMax.toString() + " epochs held");
  }

  private resendChunk(c: Chunk, ptr: usize, len: i32): CasError | null {
    if (c.resend + len > c.len || memory.compare(c.data.dataStart + <usize>c.resend, ptr, <usize>len) != 0) {
      c.resend = 0;
      return new CasError(CE_PERMISSION, "chunk " + c.name + " is committed with different bytes");
    }
    c.resend = (c.resend + len) % c.len;
    return null;
  }

  private commit(c: Chunk): void {
    // Trim to the exact size: a committed chunk never grows again.
    if (c.data.length != c.len) c.data = c.data.slice(0, c.len);
    c.committed = true;
    c.hash = null;
    for (let i = 0, names = this.epochNames(); i < names.length; i++) {
      const e = this.epochs.get(names[i]);
      if (!e.accepted && e.manifest != null) this.complete(e);
    }
  }

  private dropChunk(c: Chunk): void {
    this.used -= c.len;
    this.chunks.delete(c.name);
  }

  /** The chunk size a waiting manifest expects for chunk `name`, or −1 when none names it. */
  private expectedSize(name: string): i32 {
    for (let i = 0, names = this.epochNames(); i < names.length; i++) {
      const m = this.epochs.get(names[i]).manifest;
      if (m == null) continue;
      for (let k = 0; k < m.chunkCount; k++) if (hexOf(m.chunks.dataStart + <usize>(k * 32), 32) == name) return <i32>m.chunkBytes;
    }
    return -1;
  }

  private quarantineChunk(en: string, c: Chunk, actual: string): CasError {
    const bytes = c.len;
    this.dropChunk(c);
    if (this.quarantine.length >= this.cfg.quarantineMax) this.quarantine.shift();
    this.quarantine.push(new Quarantined(en, c.name, actual, bytes));
    this.quarantinedTotal++;
    this.logs.push("cas-chunk quarantined epoch=" + en + " expected=" + c.name + " actual=" + actual + " bytes=" + bytes.toString());
    return new CasError(CE_INVALID, "chunk " + c.name + " quarantined: " + bytes.toString() + " bytes hash to " + actual);
  }

  // ---- manifests ------------------------------------------------------------------------------

  /** Appends manifest bytes for epoch `en`; decodes and checks once they make a whole manifest. */
  writeManifest(en: string, ptr: usize, len: i32): CasError | null {
    if (!validEpoch(en)) return new CasError(CE_INVALID_PATH, "invalid path");
    const held = this.epoch(en);
    if (held != null && held.manifestBytes != null) return this.resendManifest(held, ptr, len);
    if (held == null && this.epochs.size >= this.cfg.epochsMax) return this.epochsFull();
    const pendingLen = held == null ? 0 : held.pendingLen;
    if (pendingLen + len > this.cfg.manifestBytesMax) {
      if (held != null) {
        this.dropPending(held);
        held.lastError = "manifest-too-big";
      }
      return new CasError(CE_BUFFER_FULL, "manifest over " + this.cfg.manifestBytesMax.toString() + " bytes; pending bytes dropped");
    }
    const full = this.room(len);
    if (full != null) return full;
    const e = this.epochFor(en)!;
    if (e.pendingLen + len > e.pending.length) {
      const grown = new Uint8Array(min<i32>(max<i32>(256, (e.pendingLen + len) * 2), this.cfg.manifestBytesMax));
      memory.copy(grown.dataStart, e.pending.dataStart, <usize>e.pendingLen);
      e.pending = grown;
    }
    memory.copy(e.pending.dataStart + <usize>e.pendingLen, ptr, <usize>len);
    e.pendingLen += len;
    this.used += len;

    const res = decodeManifest(e.pending.dataStart, e.pendingLen, this.cfg.chunksMax);
    if (res.err == ManifestErr.Eof) return null; // a prefix: wait for more
    if (res.manifest == null) return this.reject(e, "decode", CE_INVALID, res.message);
    const m = res.manifest!;
    const bytes = e.pending.slice(0, e.pendingLen);
    const err = this.check(e, m, bytes);
    if (err != null) return err;
    // Verified: the bytes move from pending to held (same count, so `used` is unchanged).
    e.manifest = m;
    e.manifestBytes = bytes;
    e.pending = new Uint8Array(0);
    e.pendingLen = 0;
    this.complete(e);
    return null;
  }

  private resendManifest(e: Epoch, ptr: usize, len: i32): CasError | null {
    const b = e.manifestBytes!;
    if (e.resend + len > b.length || memory.compare(b.dataStart + <usize>e.resend, ptr, <usize>len) != 0) {
      e.resend = 0;
      return new CasError(CE_PERMISSION, "manifest of epoch " + e.name + (e.accepted ? " is accepted" : " is verified and waiting for chunks") + " and immutable");
    }
    e.resend = (e.resend + len) % b.length;
    return null;
  }

  private dropPending(e: Epoch): void {
    this.used -= e.pendingLen;
    e.pending = new Uint8Array(0);
    e.pendingLen = 0;
  }

  private reject(e: Epoch, reason: string, kind: i32, message: string): CasError {
    this.dropPending(e);
    e.lastError = reason;
    this.logs.push("cas-manifest rejected epoch=" + e.name + " reason=" + reason);
    return new CasError(kind, "manifest refused: reason=" + reason + " " + message);
  }

  /** Acceptance steps 1–5 (everything but the chunks themselves). */
  private check(e: Epoch, m: CasManifest, bytes: Uint8Array): CasError | null {
    const cfg = this.cfg;
    if (m.epoch != e.name) return this.reject(e, "epoch-mismatch", CE_INVALID, "manifest epoch " + m.epoch + " is not the path's " + e.name);
    if (!cfg.allowReinstall && this.highest.length > 0 && compareEpochs(m.epoch, this.highest) <= 0) {
      return this.reject(e, "rollback", CE_PERMISSION, "epoch " + m.epoch + " is not above the highest accepted epoch " + this.highest);
    }
    if (m.chunkBytes < 1 || m.chunkBytes > <u64>cfg.chunkBytesMax) {
      return this.reject(e, "chunk-bytes", CE_INVALID, "chunk_bytes " + m.chunkBytes.toString() + " outside 1.." + cfg.chunkBytesMax.toString());
    }
    if (m.chunkCount < 1 || m.payloadBytes != <u64>m.chunkCount * m.chunkBytes) {
      return this.reject(e, "counts", CE_INVALID, "payload_bytes " + m.payloadBytes.toString() + " != " + m.chunkCount.toString() + " chunks x " + m.chunkBytes.toString());
    }
    if (m.hasDelta) {
      if (!cfg.deltaEnabled) return this.reject(e, "delta-disabled", CE_PERMISSION, "deltas are disabled (cas.delta_enable = 0)");
      const base = this.epoch(m.deltaEpoch);
      if (base == null || !base.accepted) return this.reject(e, "delta-base-missing", CE_INVALID_PATH, "delta base epoch " + m.deltaEpoch + " has no accepted manifest");
      const bm = base.manifest!;
      if (bm.hasDelta) return this.reject(e, "delta-base-is-delta", CE_INVALID, "delta base epoch " + m.deltaEpoch + " is itself a delta");
      if (memory.compare(bm.payloadSha.dataStart, m.deltaSha.dataStart, 32) != 0) {
        return this.reject(e, "delta-base-mismatch", CE_INVALID, "delta base_sha256 is not epoch " + m.deltaEpoch + "'s payload_sha256");
      }
      if (bm.chunkBytes != m.chunkBytes) return this.reject(e, "delta-chunk-bytes", CE_INVALID, "delta chunk_bytes differs from its base's");
    }
    if (!m.hasSignature) return this.reject(e, "missing-signature", CE_PERMISSION, "the manifest is not signed");
    if (cfg.keys.length == 0) return this.reject(e, "signing-key-missing", CE_PERMISSION, "no cas.signing public key configured");
    // The signed bytes: the manifest with item 7 = null (its prefix is canonical by decoding rule).
    const signed = new Uint8Array(m.signedPrefix + 1);
    memory.copy(signed.dataStart, bytes.dataStart, <usize>m.signedPrefix);
    signed[m.signedPrefix] = NULL_BYTE;
    let ok = false;
    for (let i = 0; i < cfg.keys.length && !ok; i++) ok = ed25519Verify(cfg.keys[i].dataStart, m.signature.dataStart, signed.dataStart, <usize>signed.length);
    if (!ok) return this.reject(e, "signature-failed", CE_PERMISSION, "no configured key verifies the signature");
    return null;
  }

  /** Step 6 for a verified manifest: accept once every chunk is there and the payload hashes right. */
  private complete(e: Epoch): void {
    const m = e.manifest!;
    for (let k = 0; k < m.chunkCount; k++) {
      const name = hexOf(m.chunks.dataStart + <usize>(k * 32), 32);
      if (!this.chunks.has(name)) continue;
      const c = this.chunks.get(name);
      // A pending chunk already at the manifest's size can only be wrong: quarantine it now.
      if (!c.committed && c.len == <i32>m.chunkBytes) {
        const d = new Uint8Array(32);
        c.hash!.digest(d.dataStart);
        this.quarantineChunk(e.name, c, hexOf(d.dataStart, 32));
      }
    }
    let missing = 0;
    for (let k = 0; k < m.chunkCount; k++) if (this.chunkData(hexOf(m.chunks.dataStart + <usize>(k * 32), 32)) == null) missing++;
    if (missing > 0) {
      if (e.lastError != "waiting") this.logs.push("cas-manifest waiting epoch=" + e.name + " chunks_missing=" + missing.toString());
      e.lastError = "waiting";
      return;
    }
    // Rollback again: another epoch may have been accepted while this one waited.
    if (!this.cfg.allowReinstall && this.highest.length > 0 && compareEpochs(e.name, this.highest) <= 0) {
      this.unhold(e, "rollback");
      return;
    }
    for (let k = 0; k < m.chunkCount; k++) {
      const c = this.chunks.get(hexOf(m.chunks.dataStart + <usize>(k * 32), 32));
      if (c.len != <i32>m.chunkBytes) {
        this.unhold(e, "chunk-size");
        this.logs.push("cas-manifest chunk-size epoch=" + e.name + " chunk=" + c.name + " bytes=" + c.len.toString() + " chunk_bytes=" + m.chunkBytes.toString());
        return;
      }
    }
    const digest = this.payloadDigest(m);
    if (memory.compare(digest.dataStart, m.payloadSha.dataStart, 32) != 0) {
      this.unhold(e, "payload-hash-mismatch");
      return;
    }
    e.accepted = true;
    e.lastError = "none";
    if (this.highest.length == 0 || compareEpochs(e.name, this.highest) > 0) this.highest = e.name;
    this.logs.push(
      "cas-manifest accepted epoch=" + e.name + " kind=" + (m.hasDelta ? "delta" : "base") + " payload_sha256=" + hexOf(m.payloadSha.dataStart, 32) +
      " chunks=" + m.chunkCount.toString(),
    );
  }

  /** A verified manifest that cannot be accepted after all: drop it (the epoch may be re-sent). */
  private unhold(e: Epoch, reason: string): void {
    this.used -= e.manifestBytes!.length;
    e.manifest = null;
    e.manifestBytes = null;
    e.resend = 0;
    e.lastError = reason;
    this.logs.push("cas-manifest rejected epoch=" + e.name + " reason=" + reason);
  }

  /** SHA-256 of the assembled payload: the base's chunks (for a delta), then this manifest's. */
  private payloadDigest(m: CasManifest): Uint8Array {
    const s = new Sha256Stream();
    if (m.hasDelta) {
      const bm = this.epochs.get(m.deltaEpoch).manifest!;
      for (let k = 0; k < bm.chunkCount; k++) {
        const c = this.chunkData(hexOf(bm.chunks.dataStart + <usize>(k * 32), 32))!;
        s.update(c.dataStart, c.length);
      }
    }
    for (let k = 0; k < m.chunkCount; k++) {
      const c = this.chunkData(hexOf(m.chunks.dataStart + <usize>(k * 32), 32))!;
      s.update(c.dataStart, c.length);
    }
    const d = new Uint8Array(32);
    s.digest(d.dataStart);
    return d;
  }
}
