// The CAS manifest `cohesix-cas/manifest-v1`, as the original Cohesix writes it: a CBOR array of
// exactly 8 items [schema, epoch, chunk_bytes, payload_bytes, payload_sha256, [chunk digests…],
// delta (null | [base_epoch, base_sha256]), signature (null | 64 bytes)].
//
// Decoded in the original's order with the original's error texts, so a bundle is refused for the
// same reason here, in cas-tool (host/cas-tool/manifest.ts mirrors this file) and in the original.
// Two deliberate tightenings: heads must be in shortest form (one value, one encoding — so the
// signed bytes are exactly the received prefix), and the chunk count and epoch length are bounded
// before anything is stored.

import { CborErr, CborReader, MAJOR_ARRAY, MAJOR_BYTES, MAJOR_TEXT, MAJOR_UINT } from "../cbor/read";

export const CAS_SCHEMA = "cohesix-cas/manifest-v1";
/** The longest epoch text a manifest may carry (the path rule is 1..20 ASCII digits). */
export const CAS_EPOCH_MAX: i32 = 20;
const SCHEMA_MAX: i32 = 64;

export enum ManifestErr {
  None = 0,
  /** The bytes so far are a prefix of a manifest: wait for more. */
  Eof = 1,
  Schema = 2,
  Cbor = 3,
  Utf8 = 4,
  Field = 5,
}

export class CasManifest {
  epoch: string = "";
  chunkBytes: u64 = 0;
  payloadBytes: u64 = 0;
  payloadSha: Uint8Array = new Uint8Array(32);
  /** Chunk digests, 32 bytes each, in manifest order. */
  chunks: Uint8Array = new Uint8Array(0);
  chunkCount: i32 = 0;
  hasDelta: bool = false;
  deltaEpoch: string = "";
  deltaSha: Uint8Array = new Uint8Array(32);
  hasSignature: bool = false;
  signature: Uint8Array = new Uint8Array(64);
  /** Offset of item 7: the signed bytes are input[0, signedPrefix) followed by a CBOR null. */
  signedPrefix: i32 = 0;

  /** The 32-byte digest of chunk i (a view, no copy). */
  chunk(i: i32): Uint8Array {
    return this.chunks.subarray(i * 32, i * 32 + 32);
  }
}

export class ManifestResult {
  err: ManifestErr = ManifestErr.None;
  /** The original's error text, e.g. "invalid manifest field: expected 32-byte digest". */
  message: string = "";
  manifest: CasManifest | null = null;
}

function fromReader(res: ManifestResult, r: CborReader): ManifestResult {
  if (r.err == CborErr.Eof) {
    res.err = ManifestErr.Eof;
    res.message = "unexpected end of manifest payload";
  } else if (r.err == CborErr.Utf8) {
    res.err = ManifestErr.Utf8;
    res.message = "manifest contains invalid utf-8";
  } else {
    res.err = ManifestErr.Cbor;
    res.message = "invalid manifest cbor: " + r.reason;
  }
  return res;
}

function field(res: ManifestResult, reason: string): ManifestResult {
  res.err = ManifestErr.Field;
  res.message = "invalid manifest field: " + reason;
  return res;
}

/** A byte string that must be exactly `n` bytes long, copied into `dst` at `at`. */
function fixedBytes(r: CborReader, n: i32, dst: Uint8Array, at: i32): i32 {
  const len = r.head(MAJOR_BYTES);
  if (!r.ok()) return -1;
  if (len != <u64>n) return 0;
  if (!r.take(n)) return -1;
  memory.copy(dst.dataStart + <usize>at, r.itemPtr, <usize>n);
  return 1;
}

/** The original's peek: null, or one of the major types 0, 2, 3, 4; anything else is a CBOR error. */
function peekKind(r: CborReader): i32 {
  if (r.atEnd()) {
    r.fail(CborErr.Eof, "unexpected end");
    return -1;
  }
  if (r.peekNull()) return 7;
  const m = r.peekMajor();
  if (m != MAJOR_UINT && m != MAJOR_BYTES && m != MAJOR_TEXT && m != MAJOR_ARRAY) {
    r.fail(CborErr.Invalid, "unexpected major type");
    return -1;
  }
  return m;
}

/** Decodes `len` bytes at `ptr`; at most `maxChunks` digests are admitted. */
export function decodeManifest(ptr: usize, len: i32, maxChunks: i32): ManifestResult {
  const res = new ManifestResult();
  const r = new CborReader(ptr, len, 4, true);
  const items = r.head(MAJOR_ARRAY);
  if (!r.ok()) return fromReader(res, r);
  if (items != 8) return field(res, "manifest array length");

  // Schema: a longer text cannot be ours, so it is refused as the wrong schema without waiting.
  let at = r.pos;
  const schemaLen = r.head(MAJOR_TEXT);
  if (!r.ok()) return fromReader(res, r);
  if (schemaLen > <u64>SCHEMA_MAX) {
    res.err = ManifestErr.Schema;
    res.message = "unsupported cas manifest schema";
    return res;
  }
  r.pos = at; // read it again through text(), which also checks UTF-8
  const schema = r.text(SCHEMA_MAX);
  if (!r.ok()) return fromReader(res, r);
  if (schema != CAS_SCHEMA) {
    res.err = ManifestErr.Schema;
    res.message = "unsupported cas manifest schema";
    return res;
  }

  const m = new CasManifest();
  at = r.pos;
  const epochLen = r.head(MAJOR_TEXT);
  if (!r.ok()) return fromReader(res, r);
  if (epochLen > <u64>CAS_EPOCH_MAX) return field(res, "epoch longer than " + CAS_EPOCH_MAX.toString() + " bytes");
  r.pos = at;
  m.epoch = r.text(CAS_EPOCH_MAX);
  if (!r.ok()) return fromReader(res, r);

  m.chunkBytes = r.uint();
  m.payloadBytes = r.uint();
  if (!r.ok()) return fromReader(res, r);
  const ps = fixedBytes(r, 32, m.payloadSha, 0);
  if (ps < 0) return fromReader(res, r);
  if (ps == 0) return field(res, "expected 32-byte digest");

  const count = r.head(MAJOR_ARRAY);
  if (!r.ok()) return fromReader(res, r);
  if (count > <u64>maxChunks) return field(res, "chunk count " + count.toString() + " over the limit of " + maxChunks.toString());
  m.chunkCount = <i32>count;
  m.chunks = new Uint8Array(m.chunkCount * 32);
  for (let i = 0; i < m.chunkCount; i++) {
    const c = fixedBytes(r, 32, m.chunks, i * 32);
    if (c < 0) return fromReader(res, r);
    if (c == 0) return field(res, "expected 32-byte digest");
  }

  const dk = peekKind(r);
  if (dk < 0) return fromReader(res, r);
  if (dk == 7) {
    r.null();
  } else if (dk == MAJOR_ARRAY) {
    const dl = r.head(MAJOR_ARRAY);
    if (!r.ok()) return fromReader(res, r);
    if (dl != 2) return field(res, "delta array length");
    at = r.pos;
    const bl = r.head(MAJOR_TEXT);
    if (!r.ok()) return fromReader(res, r);
    if (bl > <u64>CAS_EPOCH_MAX) return field(res, "delta base epoch longer than " + CAS_EPOCH_MAX.toString() + " bytes");
    r.pos = at;
    m.deltaEpoch = r.text(CAS_EPOCH_MAX);
    if (!r.ok()) return fromReader(res, r);
    const ds = fixedBytes(r, 32, m.deltaSha, 0);
    if (ds < 0) return fromReader(res, r);
    if (ds == 0) return field(res, "expected 32-byte digest");
    m.hasDelta = true;
  } else {
    return field(res, "delta field type");
  }

  m.signedPrefix = r.pos;
  const sk = peekKind(r);
  if (sk < 0) return fromReader(res, r);
  if (sk == 7) {
    r.null();
  } else if (sk == MAJOR_BYTES) {
    const s = fixedBytes(r, 64, m.signature, 0);
    if (s < 0) return fromReader(res, r);
    if (s == 0) return field(res, "expected 64-byte signature");
    m.hasSignature = true;
  } else {
    return field(res, "signature field type");
  }
  r.finish();
  if (!r.ok()) return fromReader(res, r);
  res.manifest = m;
  return res;
}
