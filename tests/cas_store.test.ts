// The guest's /updates store (assembly/cas/store.ts + status.ts), driven directly through the
// test entry: the original's cas_roundtrip flow, the acceptance order, quarantine, waiting
// manifests, rollback, idempotent re-sends, and every [cas] bound at and past its edge.

import { decode } from "cbor2";
import { createHash as nodeHash, generateKeyPairSync, sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildBundle, type BuiltBundle } from "../host/cas-tool/bundle.js";
import { privateKeyFromSeed, rawPublicKey, readSigningKey } from "../host/cas-tool/keys.js";
import { DEFAULT_LIMITS } from "../host/cas-tool/limits.js";
import { encodeManifest, hex, signingPayload } from "../host/cas-tool/manifest.js";
import { decodeCbor } from "./helpers/cbor.js";
import { loadCasWasm, type CasStoreWasm, type StoreLimits } from "./helpers/cas_wasm.js";
import { xorshift } from "./helpers/rng.js";

const FIX = resolve(import.meta.dirname, "fixtures/cas");
const SEED = readSigningKey(join(FIX, "cas_signing_key.hex"));
const PUB = Buffer.from((JSON.parse(readFileSync(join(FIX, "vectors.json"), "utf8")) as { publicKey: string }).publicKey, "hex");
const OTHER_SEED = Buffer.alloc(32, 7);
// CE_* in assembly/cas/store.ts.
const CE = { OK: 0, INVALID_PATH: 1, PERMISSION: 2, BUFFER_FULL: 3, INVALID: 4, STORE_FULL: 5 } as const;

const LIMITS: StoreLimits = { chunkBytesMax: 1024, chunksMax: 8, manifestBytesMax: 1024, storeBytes: 16384, epochsMax: 6, delta: true, reinstall: false };

let s: CasStoreWasm;
beforeAll(async () => {
  s = (await loadCasWasm("store")).store;
}, 120_000);
beforeEach(() => s.reset(LIMITS, [PUB]));

const fixture = (e: string) => ({
  manifest: readFileSync(join(FIX, "bundles", e, "manifest.cbor")),
  chunk: readFileSync(join(FIX, `payload_${e}.bin`)),
});

function bundle(epoch: string, payload: Buffer, chunkBytes: number, base: BuiltBundle | null = null, seed: Uint8Array = SEED): BuiltBundle {
  return buildBundle(epoch, payload, chunkBytes, base, seed, { ...DEFAULT_LIMITS, chunkBytesMax: 1 << 20 });
}

function payload(bytes: number, seed: number): Buffer {
  const rnd = xorshift(seed);
  return Buffer.from(Uint8Array.from({ length: bytes }, () => rnd(256)));
}

/** Uploads chunks first, then the manifest in `seg`-byte pieces; returns the manifest write's outcome and all logs. */
function upload(b: BuiltBundle, seg = 1 << 20) {
  const logs: string[] = [];
  for (const c of b.chunks) {
    for (let off = 0; off < c.data.length; off += seg) {
      const w = s.chunk(b.manifest.epoch, c.digest.toString("hex"), c.data.subarray(off, off + seg));
      expect(w.err, w.message).toBe(0);
      logs.push(...w.logs);
    }
  }
  let last = { err: 0, message: "", logs: [] as string[] };
  for (let off = 0; off < b.bytes.length; off += seg) {
    last = s.manifest(b.manifest.epoch, b.bytes.subarray(off, off + seg));
    logs.push(...last.logs);
    if (last.err !== 0) break;
  }
  return { ...last, logs };
}

const state = (e: string): string => s.view(e).status[0];

describe("the original's cas_roundtrip flow (epochs 100, 102, 101)", () => {
  it("base in two raw halves, a bad signature refused, the delta accepted", () => {
    const f100 = fixture("100");
    const id100 = "b6ac3cc10386331c765f04f041c147d0f278f2aed8eaa021e2d0057fc6f6ff9e";
    expect(s.chunk("100", id100, f100.chunk.subarray(0, 64)).err).toBe(0);
    expect(s.view("100").chunks).toEqual([]); // half a chunk: not readable yet
    expect(s.chunk("100", id100, f100.chunk.subarray(64)).err).toBe(0);
    expect(s.view("100").chunks).toEqual([id100]);
    // The manifest in the script's three b64 segments (the guest decodes each; here: raw pieces).
    const m = f100.manifest;
    expect(s.manifest("100", m.subarray(0, 69)).err).toBe(0);
    expect(state("100")).toBe("status epoch=100 state=manifest_pending");
    expect(s.manifest("100", m.subarray(69, 138)).err).toBe(0);
    const w = s.manifest("100", m.subarray(138));
    expect(w).toEqual({ err: 0, message: "", logs: [`cas-manifest accepted epoch=100 kind=base payload_sha256=${id100} chunks=1`] });
    expect(s.view("100").status).toEqual([
      "status epoch=100 state=ready",
      `manifest_bytes=${m.length} manifest_pending_bytes=0`,
      "chunks_expected=1 chunks_committed=1 chunks_pending=0 chunks_missing=0",
      `payload_bytes=128 payload_sha256=${id100}`,
      "delta_base_epoch=none delta_base_sha256=none",
      "last_error=none",
    ]);

    // Epoch 102: epoch 100's manifest relabelled — its signature no longer verifies.
    const b102 = bundle("102", f100.chunk, 128);
    const forged = Buffer.from(encodeManifest({ ...b102.manifest, signature: fixture("100").manifest.subarray(-64) }));
    const r102 = s.manifest("102", forged);
    expect(r102.err).toBe(CE.PERMISSION);
    expect(r102.logs).toEqual(["cas-manifest rejected epoch=102 reason=signature-failed"]);
    expect(s.view("102").status[0]).toBe("status epoch=102 state=empty");

    const f101 = fixture("101");
    const id101 = "7abaa701a6f4bb8d9ea3872a315597eb6f2ccfd03392d8d10560837f6136d06a";
    expect(s.chunk("101", id101, f101.chunk.subarray(0, 64)).err).toBe(0);
    expect(s.chunk("101", id101, f101.chunk.subarray(64)).err).toBe(0);
    const w101 = s.manifest("101", f101.manifest);
    expect(w101.logs).toEqual(["cas-manifest accepted epoch=101 kind=delta payload_sha256=0c83e86d51bbb5d44bf9c0fb8a0deae7295d90e7c5d289b431b0996dcb5ced11 chunks=1"]);
    expect(s.view("101").status[4]).toBe(`delta_base_epoch=100 delta_base_sha256=${id100}`);
    expect(s.view("100").store[0]).toMatch(/^updates highest_accepted=101 epochs=3\/6 /);
  });
});

describe("acceptance order and refusals", () => {
  it("a wrong key, a missing signature, no configured key", () => {
    const b = bundle("5", payload(256, 1), 128, null, OTHER_SEED);
    expect(upload(b)).toMatchObject({ err: CE.PERMISSION, logs: ["cas-manifest rejected epoch=5 reason=signature-failed"] });
    const unsigned = bundle("6", payload(128, 2), 128);
    const u = Buffer.from(encodeManifest({ ...unsigned.manifest, signature: null }));
    expect(s.manifest("6", u)).toMatchObject({ err: CE.PERMISSION, logs: ["cas-manifest rejected epoch=6 reason=missing-signature"] });
    s.reset(LIMITS, []);
    expect(s.manifest("6", unsigned.bytes)).toMatchObject({ err: CE.PERMISSION, logs: ["cas-manifest rejected epoch=6 reason=signing-key-missing"] });
  });

  it("accepts with the second key of a rotation list", () => {
    s.reset(LIMITS, [rawPublicKey(generateKeyPairSync("ed25519").publicKey), PUB]);
    expect(upload(bundle("1", payload(256, 3), 128)).logs.at(-1)).toMatch(/^cas-manifest accepted epoch=1 /);
  });

  it("an epoch that is not the path's, a replayed old epoch (unless re-install is allowed)", () => {
    const b = bundle("7", payload(128, 4), 128);
    expect(s.manifest("8", b.bytes)).toMatchObject({ err: CE.INVALID, logs: ["cas-manifest rejected epoch=8 reason=epoch-mismatch"] });
    expect(upload(b).err).toBe(0);
    const old = bundle("6", payload(128, 5), 128);
    const r = upload(old);
    expect(r.err).toBe(CE.PERMISSION);
    expect(r.message).toBe("manifest refused: reason=rollback epoch 6 is not above the highest accepted epoch 7");
    s.reset({ ...LIMITS, reinstall: true }, [PUB]);
    expect(upload(b).err).toBe(0);
    expect(upload(old).logs.at(-1)).toMatch(/^cas-manifest accepted epoch=6 /);
  });

  it("deltas: disabled, base missing, base mismatch", () => {
    const base = bundle("10", payload(256, 6), 128);
    const delta = bundle("11", payload(128, 7), 128, base);
    expect(s.manifest("11", delta.bytes)).toMatchObject({ err: CE.INVALID_PATH, logs: ["cas-manifest rejected epoch=11 reason=delta-base-missing"] });
    expect(upload(base).err).toBe(0);
    const wrongBase = bundle("11", payload(128, 7), 128, bundle("10", payload(256, 99), 128));
    expect(upload(wrongBase)).toMatchObject({ err: CE.INVALID, logs: ["cas-manifest rejected epoch=11 reason=delta-base-mismatch"] });
    expect(upload(delta).logs.at(-1)).toMatch(/^cas-manifest accepted epoch=11 kind=delta /);
    s.reset({ ...LIMITS, delta: false }, [PUB]);
    upload(base);
    expect(upload(delta)).toMatchObject({ err: CE.PERMISSION, logs: ["cas-manifest rejected epoch=11 reason=delta-disabled"] });
  });

  it("a truncated manifest waits; garbage after it is refused and dropped", () => {
    const b = bundle("3", payload(128, 8), 128);
    // 27 bytes: the array head, the schema and the epoch; chunk_bytes must come next.
    expect(s.manifest("3", b.bytes.subarray(0, 27)).err).toBe(0);
    expect(s.view("3").status.slice(0, 2)).toEqual(["status epoch=3 state=manifest_pending", "manifest_bytes=0 manifest_pending_bytes=27"]);
    const bad = s.manifest("3", Buffer.from([0xff, 0xff]));
    expect(bad.message).toBe("manifest refused: reason=decode invalid manifest cbor: unexpected major type");
    expect(bad.err).toBe(CE.INVALID);
    expect(bad.logs).toEqual(["cas-manifest rejected epoch=3 reason=decode"]);
    expect(s.view("3").status[1]).toBe("manifest_bytes=0 manifest_pending_bytes=0");
    expect(s.view("3").used).toBe(0);
    expect(upload(b).err).toBe(0); // and a clean re-send is accepted
  });

  it("a manifest before its chunks waits (chunks_pending), then is accepted by the last chunk", () => {
    const b = bundle("4", payload(384, 9), 128);
    const w = s.manifest("4", b.bytes);
    expect(w).toMatchObject({ err: 0, logs: ["cas-manifest waiting epoch=4 chunks_missing=3"] });
    expect(s.view("4").status.slice(0, 3)).toEqual([
      "status epoch=4 state=chunks_pending",
      `manifest_bytes=${b.bytes.length} manifest_pending_bytes=0`,
      "chunks_expected=3 chunks_committed=0 chunks_pending=0 chunks_missing=3",
    ]);
    const logs = b.chunks.flatMap((c) => s.chunk("4", c.digest.toString("hex"), c.data).logs);
    expect(logs).toEqual([`cas-manifest accepted epoch=4 kind=base payload_sha256=${hex(b.manifest.payloadSha256)} chunks=3`]);
  });

  it("a tampered chunk is quarantined with the log line (size known from a waiting manifest, or when the manifest arrives)", () => {
    const b = bundle("9", payload(256, 10), 128);
    const id = b.chunks[0].digest.toString("hex");
    const bad = Buffer.from(b.chunks[0].data);
    bad[3] ^= 0xff;
    expect(s.manifest("9", b.bytes).err).toBe(0);
    const q = s.chunk("9", id, bad);
    expect(q.err).toBe(CE.INVALID);
    expect(q.logs).toEqual([`cas-chunk quarantined epoch=9 expected=${id} actual=${hex(createHash(bad))} bytes=128`]);
    expect(s.view("9").store).toContain(`quarantine epoch=9 expected=${id} actual=${hex(createHash(bad))} bytes=128`);
    // Chunks first: the bad one is held as pending until the manifest says how big it must be.
    s.reset(LIMITS, [PUB]);
    expect(s.chunk("9", id, bad).err).toBe(0);
    expect(s.view("9").status).toContain(`pending chunk=${id} bytes=128`);
    const m = s.manifest("9", b.bytes);
    expect(m.err).toBe(0);
    expect(m.logs).toEqual([`cas-chunk quarantined epoch=9 expected=${id} actual=${hex(createHash(bad))} bytes=128`, "cas-manifest waiting epoch=9 chunks_missing=2"]);
    expect(b.chunks.flatMap((c) => s.chunk("9", c.digest.toString("hex"), c.data).logs).at(-1)).toMatch(/^cas-manifest accepted epoch=9 /);
  });

  it("a chunk of the wrong size (it hashes to its name, the manifest says otherwise) refuses the manifest", () => {
    const small = payload(64, 11);
    // A manifest claiming chunk_bytes 128 for a 64-byte chunk: signed, so only the size check can catch it.
    const half = bundle("12", small, 64);
    const m = { ...half.manifest, chunkBytes: 128, payloadBytes: 128, signature: null };
    const signed = Buffer.from(encodeManifest({ ...m, signature: sign(null, signingPayload(m), privateKeyFromSeed(SEED)) }));
    expect(s.chunk("12", half.chunks[0].digest.toString("hex"), small).err).toBe(0);
    const r = s.manifest("12", signed);
    expect(r.logs).toEqual(["cas-manifest rejected epoch=12 reason=chunk-size", `cas-manifest chunk-size epoch=12 chunk=${half.chunks[0].digest.toString("hex")} bytes=64 chunk_bytes=128`]);
    expect(s.view("12").status[0]).toBe("status epoch=12 state=empty");
    expect(s.view("12").status[5]).toBe("last_error=chunk-size");
  });
});

function createHash(b: Uint8Array): Uint8Array {
  return nodeHash("sha256").update(b).digest();
}

describe("re-sends", () => {
  it("identical bytes for a committed chunk or an accepted manifest are OK; different ones are refused and change nothing", () => {
    const b = bundle("20", payload(256, 12), 128);
    expect(upload(b).err).toBe(0);
    const used = s.view("20").used;
    expect(upload(b, 50).err).toBe(0); // in other-sized pieces too
    const id = b.chunks[0].digest.toString("hex");
    expect(s.chunk("20", id, Buffer.alloc(128, 1))).toMatchObject({ err: CE.PERMISSION, message: `chunk ${id} is committed with different bytes` });
    expect(s.manifest("20", Buffer.alloc(10, 1))).toMatchObject({ err: CE.PERMISSION, message: "manifest of epoch 20 is accepted and immutable" });
    expect(s.view("20").used).toBe(used);
    expect(s.view("20").status[0]).toBe("status epoch=20 state=ready");
  });
});

describe("[cas] bounds at and past their edge", () => {
  it("chunk bytes: exactly chunk_bytes_max commits; one more byte drops the pending chunk (buffer-full)", () => {
    const b = bundle("1", payload(LIMITS.chunkBytesMax, 13), LIMITS.chunkBytesMax);
    expect(upload(b).logs.at(-1)).toMatch(/accepted/);
    const over = payload(LIMITS.chunkBytesMax + 1, 14);
    const id = hex(createHash(over));
    expect(s.chunk("2", id, over.subarray(0, LIMITS.chunkBytesMax - 1)).err).toBe(0);
    const r = s.chunk("2", id, over.subarray(LIMITS.chunkBytesMax - 1));
    expect(r).toMatchObject({ err: CE.BUFFER_FULL, message: `chunk ${id} over ${LIMITS.chunkBytesMax} bytes; pending bytes dropped` });
    expect(s.view("2").status).not.toContain(expect.stringMatching(/^pending/));
  });

  it("manifest bytes: at the bound is decoded, past it is refused", () => {
    s.reset({ ...LIMITS, manifestBytesMax: 300 }, [PUB]);
    const b = bundle("1", payload(128, 15), 128);
    expect(b.bytes.length).toBeLessThan(300);
    s.reset({ ...LIMITS, manifestBytesMax: b.bytes.length }, [PUB]);
    expect(upload(b).err).toBe(0);
    s.reset({ ...LIMITS, manifestBytesMax: b.bytes.length - 1 }, [PUB]);
    expect(upload(b)).toMatchObject({ err: CE.BUFFER_FULL, message: `manifest over ${b.bytes.length - 1} bytes; pending bytes dropped` });
  });

  it("chunks per manifest: chunks_max passes, one more is a decode refusal", () => {
    expect(upload(bundle("1", payload(LIMITS.chunksMax * 16, 16), 16)).logs.at(-1)).toMatch(/accepted epoch=1 kind=base .* chunks=8$/);
    const r = upload(bundle("2", payload((LIMITS.chunksMax + 1) * 16, 17), 16));
    expect(r.err).toBe(CE.INVALID);
    expect(r.message).toBe(`manifest refused: reason=decode invalid manifest field: chunk count 9 over the limit of 8`);
  });

  it("epochs: epochs_max are held, the next is refused", () => {
    for (let e = 1; e <= LIMITS.epochsMax; e++) expect(s.chunk(String(e), "0".repeat(64), Buffer.from([1])).err).toBe(0);
    expect(s.chunk(String(LIMITS.epochsMax + 1), "0".repeat(64), Buffer.from([1]))).toMatchObject({ err: CE.STORE_FULL, message: `store full: ${LIMITS.epochsMax} epochs held` });
    expect(s.view("1").epochs).toEqual(["1", "2", "3", "4", "5", "6"]);
  });

  it("store bytes: a write that would pass store_bytes is refused and changes nothing", () => {
    s.reset({ ...LIMITS, storeBytes: 1024 + 300 }, [PUB]);
    const b = bundle("1", payload(1024, 18), 1024);
    expect(upload(b).logs.at(-1)).toMatch(/accepted/);
    const before = s.view("2");
    const c = payload(512, 19);
    const r = s.chunk("2", hex(createHash(c)), c);
    expect(r.err).toBe(CE.STORE_FULL);
    expect(r.message).toBe(`store full: ${before.used} of ${1024 + 300} bytes held, 512 more refused`);
    expect(s.view("2")).toEqual(before);
    // What still fits, fits: up to the last byte.
    const fit = payload(1024 + 300 - before.used, 20);
    expect(s.chunk("2", hex(createHash(fit)), fit).err).toBe(0);
    expect(s.view("2").used).toBe(1024 + 300);
  });

  it("paths: epochs are 1..20 digits, chunk ids 64 lower-case hex", () => {
    for (const [e, n] of [["", "0".repeat(64)], ["1".repeat(21), "0".repeat(64)], ["1a", "0".repeat(64)], ["1", "0".repeat(63)], ["1", "A".repeat(64)]]) {
      expect(s.chunk(e, n, Buffer.from([1])).err).toBe(CE.INVALID_PATH);
    }
    expect(s.chunk("9".repeat(20), "0".repeat(64), Buffer.from([1])).err).toBe(0);
  });
});

describe("status.cbor", () => {
  it("is the original's 11-key map in deterministic order, for a delta and for nothing at all", () => {
    const base = bundle("30", payload(128, 21), 128);
    const delta = bundle("31", payload(128, 22), 128, base);
    upload(base);
    upload(delta);
    const raw = Buffer.from(s.view("31").cbor, "hex");
    const d = decodeCbor(raw);
    expect(d.unsortedMaps).toBe(0);
    expect(d.nonShortest).toEqual([]);
    const m = decode(raw) as Record<string, unknown>;
    expect(Object.keys(m).sort()).toEqual(
      ["chunks_committed", "chunks_expected", "chunks_missing", "chunks_pending", "delta", "epoch", "manifest_bytes", "manifest_pending_bytes", "payload_bytes", "payload_sha256", "state"],
    );
    expect(m).toMatchObject({ epoch: "31", state: "ready", chunks_expected: 1, chunks_committed: 1, payload_bytes: 128, manifest_bytes: delta.bytes.length });
    expect(hex(m.payload_sha256 as Uint8Array)).toBe(hex(delta.manifest.payloadSha256));
    const d30 = m.delta as { base_epoch: string; base_sha256: Uint8Array };
    expect([d30.base_epoch, hex(d30.base_sha256)]).toEqual(["30", hex(base.manifest.payloadSha256)]);
    expect(decode(Buffer.from(s.view("99").cbor, "hex"))).toMatchObject({ epoch: "99", state: "empty", payload_sha256: null, delta: null });
  });
});
