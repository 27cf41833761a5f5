// Packing and checking CAS bundles on disk: DIR/manifest.cbor + DIR/chunks/<sha256 hex>, the
// original's layout. Packing is deterministic (fixed-size chunks, canonical CBOR, Ed25519 is
// deterministic), so two packs of the same input with the same key are byte-identical.

import { createHash, sign, verify as edVerify } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CasToolError, EXIT_REFUSED, EXIT_USAGE } from "./errors.js";
import { fingerprint, privateKeyFromSeed, publicKeyFromRaw, rawPublicKey, readSigningKey } from "./keys.js";
import { EPOCH_RE, type CasLimits } from "./limits.js";
import { CAS_SCHEMA, decodeManifest, encodeManifest, hex, ManifestError, signingPayload, type CasManifest } from "./manifest.js";

const sha256 = (b: Uint8Array): Buffer => createHash("sha256").update(b).digest();
const CHUNK_NAME = /^[0-9a-f]{64}$/;

export interface Chunk {
  digest: Buffer;
  data: Buffer;
}

export function checkEpoch(epoch: string): void {
  if (!EPOCH_RE.test(epoch)) throw new CasToolError(`epoch ${JSON.stringify(epoch)} must be 1..20 ASCII digits`, EXIT_USAGE);
}

/** Fixed-size chunks, the original's rule: no padding, so the payload must be a whole number of them. */
export function chunkPayload(payload: Buffer, chunkBytes: number): Chunk[] {
  if (!Number.isInteger(chunkBytes) || chunkBytes <= 0) throw new CasToolError("chunk_bytes must be > 0", EXIT_USAGE);
  if (payload.length % chunkBytes !== 0) {
    throw new CasToolError(`payload length ${payload.length} is not a multiple of chunk_bytes ${chunkBytes}`, EXIT_USAGE);
  }
  const out: Chunk[] = [];
  for (let off = 0; off < payload.length; off += chunkBytes) {
    const data = payload.subarray(off, off + chunkBytes);
    out.push({ digest: sha256(data), data });
  }
  return out;
}

export interface LoadedBundle {
  dir: string;
  manifestBytes: Buffer;
  manifest: CasManifest;
  signedPrefix: number;
  /** Chunk data in manifest order, each checked against its digest and chunk_bytes. */
  chunks: Chunk[];
}

/** Reads a bundle and checks every chunk's length and hash before anything else uses it. */
export function loadBundle(dir: string, limits: CasLimits, what = "bundle"): LoadedBundle {
  const mpath = join(dir, "manifest.cbor");
  if (!existsSync(mpath)) throw new CasToolError(`manifest not found at ${mpath}`, EXIT_USAGE);
  if (!existsSync(join(dir, "chunks"))) throw new CasToolError(`chunks dir not found at ${join(dir, "chunks")}`, EXIT_USAGE);
  const manifestBytes = readFileSync(mpath);
  if (manifestBytes.length > limits.manifestBytesMax) {
    throw new CasToolError(`${what} manifest ${mpath} is ${manifestBytes.length} bytes (limit ${limits.manifestBytesMax})`, EXIT_REFUSED);
  }
  let decoded;
  try {
    decoded = decodeManifest(manifestBytes, limits.chunksMax);
  } catch (e) {
    if (e instanceof ManifestError) throw new CasToolError(`decode ${what} manifest ${mpath}: ${e.message}`, EXIT_REFUSED);
    throw e;
  }
  const m = decoded.manifest;
  const chunks: Chunk[] = [];
  for (const d of m.chunks) {
    const p = join(dir, "chunks", hex(d));
    let data: Buffer;
    try {
      data = readFileSync(p);
    } catch {
      throw new CasToolError(`read ${what} chunk ${p}: missing`, EXIT_REFUSED);
    }
    if (data.length !== m.chunkBytes) throw new CasToolError(`chunk ${p} has len ${data.length} (expected ${m.chunkBytes})`, EXIT_REFUSED);
    if (!sha256(data).equals(d)) throw new CasToolError(`${what === "bundle" ? "" : what + " "}chunk ${p} hash mismatch`, EXIT_REFUSED);
    chunks.push({ digest: Buffer.from(d), data });
  }
  return { dir, manifestBytes, manifest: m, signedPrefix: decoded.signedPrefix, chunks };
}

export interface BuiltBundle {
  manifest: CasManifest;
  bytes: Buffer;
  chunks: Chunk[];
  publicKey: Buffer;
}

/** The bundle in memory (pack writes it; tests and benches use it as is). */
export function buildBundle(epoch: string, payload: Buffer, chunkBytes: number, base: Pick<LoadedBundle, "manifest" | "chunks"> | null, seed: Uint8Array, limits: CasLimits): BuiltBundle {
  const chunks = chunkPayload(payload, chunkBytes);
  if (chunks.length === 0) throw new CasToolError("payload produced zero chunks", EXIT_USAGE);
  if (chunks.length > limits.chunksMax) {
    throw new CasToolError(`CAS manifest capacity exceeded: ${chunks.length} chunks > ${limits.chunksMax} (use larger --chunk-bytes)`, EXIT_USAGE);
  }
  const h = createHash("sha256");
  if (base) for (const c of base.chunks) h.update(c.data);
  h.update(payload);
  const manifest: CasManifest = {
    epoch,
    chunkBytes,
    payloadBytes: chunks.length * chunkBytes,
    payloadSha256: h.digest(),
    chunks: chunks.map((c) => c.digest),
    delta: base ? { baseEpoch: base.manifest.epoch, baseSha256: base.manifest.payloadSha256 } : null,
    signature: null,
  };
  const key = privateKeyFromSeed(seed);
  manifest.signature = sign(null, signingPayload(manifest), key);
  const bytes = Buffer.from(encodeManifest(manifest));
  if (bytes.length > limits.manifestBytesMax) {
    throw new CasToolError(`CAS manifest capacity exceeded: ${bytes.length} bytes > ${limits.manifestBytesMax}`, EXIT_USAGE);
  }
  return { manifest, bytes, chunks, publicKey: rawPublicKey(key) };
}

export interface PackOptions {
  epoch: string;
  input: string;
  outDir: string;
  chunkBytes?: number;
  deltaBase?: string;
  /** A path, file:/abs/path or env:NAME (see keys.ts). */
  signingKey?: string;
  /** Zero-pad the input to a whole number of chunks instead of refusing it. */
  pad?: boolean;
  force?: boolean;
  limits: CasLimits;
  onProgress?: (done: number, total: number) => void;
}

export interface PackResult {
  dir: string;
  epoch: string;
  kind: "base" | "delta";
  chunkBytes: number;
  chunks: number;
  payloadBytes: number;
  paddedBytes: number;
  payloadSha256: string;
  manifestBytes: number;
  deltaBaseEpoch: string | null;
  publicKey: string;
  keyFingerprint: string;
}

export function pack(o: PackOptions): PackResult {
  checkEpoch(o.epoch);
  if (o.signingKey === undefined) throw new CasToolError("signing key required by template", EXIT_USAGE);
  const chunkBytes = o.chunkBytes ?? o.limits.chunkBytesDefault;
  if (!Number.isInteger(chunkBytes) || chunkBytes <= 0) throw new CasToolError("chunk_bytes must be > 0", EXIT_USAGE);
  if (chunkBytes > o.limits.chunkBytesMax) {
    throw new CasToolError(`--chunk-bytes ${chunkBytes} is over the guest's limit of ${o.limits.chunkBytesMax}`, EXIT_USAGE);
  }
  const seed = readSigningKey(o.signingKey);
  let payload: Buffer;
  try {
    payload = readFileSync(o.input);
  } catch (e) {
    throw new CasToolError(`read input ${o.input}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, EXIT_USAGE);
  }
  let paddedBytes = 0;
  if (o.pad && payload.length % chunkBytes !== 0) {
    paddedBytes = chunkBytes - (payload.length % chunkBytes);
    payload = Buffer.concat([payload, Buffer.alloc(paddedBytes)]);
  }
  const base = o.deltaBase === undefined ? null : loadBundle(o.deltaBase, o.limits, "base");
  if (base) {
    if (base.manifest.delta !== null) {
      throw new CasToolError(`delta base ${o.deltaBase} is itself a delta (epoch ${base.manifest.epoch}); the guest only takes deltas on a base`, EXIT_USAGE);
    }
    if (base.manifest.chunkBytes !== chunkBytes) {
      throw new CasToolError(`delta base chunk_bytes ${base.manifest.chunkBytes} does not match template ${chunkBytes}`, EXIT_USAGE);
    }
  }
  const built = buildBundle(o.epoch, payload, chunkBytes, base, seed, o.limits);
  seed.fill(0);
  const { manifest, bytes, chunks } = built;
  writeBundle(o.outDir, bytes, chunks, o.force === true, o.onProgress);
  const pub = built.publicKey;
  return {
    dir: o.outDir,
    epoch: o.epoch,
    kind: base ? "delta" : "base",
    chunkBytes,
    chunks: chunks.length,
    payloadBytes: manifest.payloadBytes,
    paddedBytes,
    payloadSha256: hex(manifest.payloadSha256),
    manifestBytes: bytes.length,
    deltaBaseEpoch: base ? base.manifest.epoch : null,
    publicKey: pub.toString("hex"),
    keyFingerprint: fingerprint(pub),
  };
}

function writeBundle(dir: string, manifest: Buffer, chunks: Chunk[], force: boolean, onProgress?: (d: number, t: number) => void): void {
  const mpath = join(dir, "manifest.cbor");
  const cdir = join(dir, "chunks");
  if (existsSync(mpath) && !readFileSync(mpath).equals(manifest)) {
    if (!force) throw new CasToolError(`out dir ${dir} holds a different bundle (use --force to replace it)`, EXIT_USAGE);
    // Drop the old bundle's chunk files (only names shaped like digests: nothing else is ours).
    const keep = new Set(chunks.map((c) => c.digest.toString("hex")));
    if (existsSync(cdir)) for (const f of readdirSync(cdir)) if (CHUNK_NAME.test(f) && !keep.has(f)) rmSync(join(cdir, f));
  }
  mkdirSync(cdir, { recursive: true });
  chunks.forEach((c, i) => {
    writeFileSync(join(cdir, c.digest.toString("hex")), c.data);
    onProgress?.(i + 1, chunks.length);
  });
  // The manifest last: a bundle dir with a manifest is a complete one.
  writeFileSync(mpath, manifest);
}

export interface VerifyOptions {
  publicKeys: Buffer[];
  /** For a delta: the base bundle (default: the sibling directory named by the base epoch). */
  baseDir?: string;
  limits: CasLimits;
}

export interface VerifyResult {
  dir: string;
  epoch: string;
  kind: "base" | "delta";
  chunks: number;
  chunkBytes: number;
  payloadBytes: number;
  payloadSha256: string;
  deltaBaseEpoch: string | null;
  keyFingerprint: string;
}

/** The guest's acceptance checks, offline; throws CasToolError (EXIT_REFUSED) on the first failure. */
export function verifyBundle(dir: string, o: VerifyOptions): VerifyResult {
  const b = loadBundle(dir, o.limits);
  const m = b.manifest;
  const refuse = (msg: string): never => {
    throw new CasToolError(`bundle ${dir}: ${msg}`, EXIT_REFUSED);
  };
  if (!EPOCH_RE.test(m.epoch)) refuse(`epoch ${JSON.stringify(m.epoch)} is not 1..20 ASCII digits`);
  if (m.chunkBytes === 0 || m.chunkBytes > o.limits.chunkBytesMax) refuse(`chunk_bytes ${m.chunkBytes} outside 1..${o.limits.chunkBytesMax}`);
  if (m.chunks.length === 0) refuse("manifest lists no chunks");
  if (m.payloadBytes !== m.chunks.length * m.chunkBytes) refuse(`payload_bytes ${m.payloadBytes} != ${m.chunks.length} chunks x ${m.chunkBytes}`);
  if (m.signature === null) refuse("reason=missing-signature");
  const signed = Buffer.concat([b.manifestBytes.subarray(0, b.signedPrefix), Buffer.from([0xf6])]);
  const key = o.publicKeys.find((k) => edVerify(null, signed, publicKeyFromRaw(k), m.signature!));
  if (key === undefined) refuse(`reason=signature-failed (tried ${o.publicKeys.map(fingerprint).join(", ")})`);
  const h = createHash("sha256");
  if (m.delta !== null) {
    const baseDir = o.baseDir ?? join(dir, "..", m.delta.baseEpoch);
    const base = loadBundle(baseDir, o.limits, "base");
    if (base.manifest.epoch !== m.delta.baseEpoch) refuse(`delta base ${baseDir} is epoch ${base.manifest.epoch}, manifest names ${m.delta.baseEpoch}`);
    if (base.manifest.delta !== null) refuse(`delta base epoch ${m.delta.baseEpoch} is itself a delta`);
    if (!Buffer.from(base.manifest.payloadSha256).equals(m.delta.baseSha256)) refuse(`delta base_sha256 does not match base epoch ${m.delta.baseEpoch}'s payload_sha256`);
    for (const c of base.chunks) h.update(c.data);
  }
  for (const c of b.chunks) h.update(c.data);
  const actual = h.digest();
  if (!actual.equals(m.payloadSha256)) refuse(`assembled payload sha256 ${actual.toString("hex")} != manifest ${hex(m.payloadSha256)}`);
  return {
    dir,
    epoch: m.epoch,
    kind: m.delta ? "delta" : "base",
    chunks: m.chunks.length,
    chunkBytes: m.chunkBytes,
    payloadBytes: m.payloadBytes,
    payloadSha256: hex(m.payloadSha256),
    deltaBaseEpoch: m.delta ? m.delta.baseEpoch : null,
    keyFingerprint: fingerprint(key!),
  };
}

export { CAS_SCHEMA };
