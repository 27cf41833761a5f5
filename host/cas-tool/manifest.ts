// The CAS manifest `cohesix-cas/manifest-v1` on the host: encoding with cbor2's deterministic
// (CDE) mode, and a strict decoder that mirrors the guest's (assembly/cas/manifest.ts) rule for
// rule and message for message — tests/cas_cbor.test.ts fuzzes the two against each other.
//
// Wire layout (the original Cohesix's, unchanged): a CBOR array of exactly 8 items
//   [schema text, epoch text, chunk_bytes uint, payload_bytes uint, payload_sha256 bytes(32),
//    [bytes(32)…] chunk digests, delta null | [base_epoch text, base_sha256 bytes(32)],
//    signature null | bytes(64)]
// The Ed25519 signature covers the same encoding with item 7 = null.

import { encode } from "cbor2";

export const CAS_SCHEMA = "cohesix-cas/manifest-v1";
/** The longest epoch text (the guest's path rule: 1..20 ASCII digits). */
export const CAS_EPOCH_MAX = 20;
const SCHEMA_MAX = 64;

export interface CasDelta {
  baseEpoch: string;
  baseSha256: Uint8Array;
}

export interface CasManifest {
  epoch: string;
  chunkBytes: number;
  payloadBytes: number;
  payloadSha256: Uint8Array;
  chunks: Uint8Array[];
  delta: CasDelta | null;
  signature: Uint8Array | null;
}

export type ManifestErrorKind = "eof" | "schema" | "cbor" | "utf8" | "field";

/** A refused manifest; `message` is the original's text (e.g. "invalid manifest field: …"). */
export class ManifestError extends Error {
  constructor(readonly kind: ManifestErrorKind, message: string) {
    super(message);
  }
}

// cbor2 encodes a Node Buffer through its toJSON ({type, data}); a plain Uint8Array is a byte string.
const plain = (b: Uint8Array): Uint8Array => Uint8Array.from(b);

/** Canonical CBOR of the manifest (item 7 as given, or null when `signature` is null). */
export function encodeManifest(m: CasManifest): Uint8Array {
  return encode(
    [
      CAS_SCHEMA,
      m.epoch,
      m.chunkBytes,
      m.payloadBytes,
      plain(m.payloadSha256),
      m.chunks.map(plain),
      m.delta === null ? null : [m.delta.baseEpoch, plain(m.delta.baseSha256)],
      m.signature === null ? null : plain(m.signature),
    ],
    { cde: true },
  );
}

/** The bytes Ed25519 signs: the manifest with item 7 = null. */
export function signingPayload(m: CasManifest): Uint8Array {
  return encodeManifest({ ...m, signature: null });
}

// ---- strict decoder (the guest's rules) -----------------------------------------------------------

class Reader {
  pos = 0;
  constructor(private readonly b: Uint8Array) {}

  atEnd(): boolean {
    return this.pos >= this.b.length;
  }

  peek(): number {
    if (this.pos >= this.b.length) throw new ManifestError("eof", "unexpected end of manifest payload");
    return this.b[this.pos];
  }

  /** One head of `major` in shortest form; returns its argument (a uint64, hence bigint). */
  head(major: number): bigint {
    const byte = this.peek();
    if (byte === 0xf6) throw cborError("unexpected null");
    if (byte >> 5 !== major) throw cborError("unexpected major type");
    const info = byte & 31;
    if (info < 24) {
      this.pos += 1;
      return BigInt(info);
    }
    if (info > 27) throw cborError("invalid additional value");
    const w = 1 << (info - 24);
    if (this.b.length - this.pos - 1 < w) throw new ManifestError("eof", "unexpected end of manifest payload");
    let v = 0n;
    for (let k = 1; k <= w; k++) v = (v << 8n) | BigInt(this.b[this.pos + k]);
    const shortest = v < 24n ? 0 : v <= 0xffn ? 1 : v <= 0xffffn ? 2 : v <= 0xffffffffn ? 4 : 8;
    if (shortest !== w) throw cborError("non-canonical length");
    this.pos += 1 + w;
    return v;
  }

  take(n: number): Uint8Array {
    if (this.b.length - this.pos < n) throw new ManifestError("eof", "unexpected end of manifest payload");
    const out = this.b.slice(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  text(max: number, tooLong: () => ManifestError): string {
    const n = this.head(3);
    if (n > BigInt(max)) throw tooLong();
    const bytes = this.take(Number(n));
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      throw new ManifestError("utf8", "manifest contains invalid utf-8");
    }
  }

  fixed(n: number, what: string): Uint8Array {
    const len = this.head(2);
    if (len !== BigInt(n)) throw fieldError(what);
    return this.take(n);
  }

  /** The original's peek: null, or major type 0, 2, 3 or 4. */
  kind(): number {
    const byte = this.peek();
    if (byte === 0xf6) return 7;
    const m = byte >> 5;
    if (m !== 0 && m !== 2 && m !== 3 && m !== 4) throw cborError("unexpected major type");
    return m;
  }
}

function cborError(reason: string): ManifestError {
  return new ManifestError("cbor", `invalid manifest cbor: ${reason}`);
}

function fieldError(reason: string): ManifestError {
  return new ManifestError("field", `invalid manifest field: ${reason}`);
}

export interface DecodedManifest {
  manifest: CasManifest;
  /** Offset of item 7: the signed bytes are bytes[0, signedPrefix) followed by a CBOR null. */
  signedPrefix: number;
}

/** Decodes (throws ManifestError); at most `maxChunks` digests are admitted. */
export function decodeManifest(bytes: Uint8Array, maxChunks: number): DecodedManifest {
  const r = new Reader(bytes);
  if (r.head(4) !== 8n) throw fieldError("manifest array length");
  const schema = r.text(SCHEMA_MAX, () => new ManifestError("schema", "unsupported cas manifest schema"));
  if (schema !== CAS_SCHEMA) throw new ManifestError("schema", "unsupported cas manifest schema");
  const epoch = r.text(CAS_EPOCH_MAX, () => fieldError(`epoch longer than ${CAS_EPOCH_MAX} bytes`));
  // Sizes past 2^53 cannot be right; as numbers they only ever fail the checks that follow.
  const chunkBytes = Number(r.head(0));
  const payloadBytes = Number(r.head(0));
  const payloadSha256 = r.fixed(32, "expected 32-byte digest");
  const count = r.head(4);
  if (count > BigInt(maxChunks)) throw fieldError(`chunk count ${count} over the limit of ${maxChunks}`);
  const chunks: Uint8Array[] = [];
  for (let i = 0n; i < count; i++) chunks.push(r.fixed(32, "expected 32-byte digest"));
  let delta: CasDelta | null = null;
  const dk = r.kind();
  if (dk === 7) r.pos += 1;
  else if (dk === 4) {
    if (r.head(4) !== 2n) throw fieldError("delta array length");
    const baseEpoch = r.text(CAS_EPOCH_MAX, () => fieldError(`delta base epoch longer than ${CAS_EPOCH_MAX} bytes`));
    delta = { baseEpoch, baseSha256: r.fixed(32, "expected 32-byte digest") };
  } else throw fieldError("delta field type");
  const signedPrefix = r.pos;
  let signature: Uint8Array | null = null;
  const sk = r.kind();
  if (sk === 7) r.pos += 1;
  else if (sk === 2) signature = r.fixed(64, "expected 64-byte signature");
  else throw fieldError("signature field type");
  if (!r.atEnd()) throw cborError("trailing bytes");
  return { manifest: { epoch, chunkBytes, payloadBytes, payloadSha256, chunks, delta, signature }, signedPrefix };
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
