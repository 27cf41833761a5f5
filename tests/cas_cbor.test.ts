// The guest's bounded CBOR reader (assembly/cbor/read.ts) and CAS manifest decoder
// (assembly/cas/manifest.ts), against the host's (host/cas-tool/manifest.ts) and cbor2: the same
// verdict and the same error text for valid, truncated and mutated input, every bound at and
// past its edge, and never a trap.

import { encode } from "cbor2";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeManifest, encodeManifest, hex, ManifestError, type CasManifest } from "../host/cas-tool/manifest.js";
import { loadCasWasm, type CasWasm, type GuestManifest } from "./helpers/cas_wasm.js";
import { xorshift } from "./helpers/rng.js";

let wasm: CasWasm;

beforeAll(async () => {
  wasm = await loadCasWasm("cbor");
}, 120_000);

// CborErr in assembly/cbor/read.ts.
const ERR = { None: 0, Eof: 1, Invalid: 2, TooLong: 3, Depth: 4 } as const;

const rndBytes = (rnd: (n: number) => number, n: number): Uint8Array => Uint8Array.from({ length: n }, () => rnd(256));

function randomValue(rnd: (n: number) => number, depth: number): unknown {
  const k = rnd(depth > 3 ? 5 : 7);
  switch (k) {
    case 0:
      return [0, 23, 24, 255, 256, 65535, 65536, 2 ** 32, 2 ** 40][rnd(9)] + rnd(3);
    case 1:
      return rndBytes(rnd, rnd(40));
    case 2:
      return "t".repeat(rnd(30)) + "é";
    case 3:
      return [null, true, false][rnd(3)];
    case 4:
      return -1 - rnd(1000);
    case 5:
      return Array.from({ length: rnd(5) }, () => randomValue(rnd, depth + 1));
    default:
      return new Map(Array.from({ length: rnd(4) }, (_, i) => [`k${i}`, randomValue(rnd, depth + 1)]));
  }
}

describe("bounded CBOR reader", () => {
  it("skips every well-formed canonical item cbor2 writes, and every strict prefix is Eof (300 items)", () => {
    const rnd = xorshift(0xcb0a);
    let prefixes = 0;
    for (let i = 0; i < 300; i++) {
      const b = encode(randomValue(rnd, 0), { cde: true });
      expect(wasm.cborSkip(b, 16)).toEqual({ err: ERR.None, reason: "", pos: b.length });
      for (let n = 0; n < b.length; n += 1 + rnd(4)) {
        expect(wasm.cborSkip(b.subarray(0, n), 16).err).toBe(ERR.Eof);
        prefixes++;
      }
    }
    expect(prefixes).toBeGreaterThan(1000);
  });

  it("bounds nesting: depth at the limit passes, one past is Depth", () => {
    const nest = (d: number): Uint8Array => Uint8Array.from([...Array(d).fill(0x81), 0x00]);
    // d nested arrays around a uint: the uint sits at depth d, so maxDepth must exceed d.
    expect(wasm.cborSkip(nest(7), 8).err).toBe(ERR.None);
    expect(wasm.cborSkip(nest(8), 8)).toMatchObject({ err: ERR.Depth, reason: "nesting too deep" });
    expect(wasm.cborSkip(nest(200), 8).err).toBe(ERR.Depth);
  });

  it("refuses what the formats never use, with a reason", () => {
    const cases: [number[], number, string][] = [
      [[0x18, 0x05], ERR.Invalid, "non-canonical length"], // 5 in two bytes
      [[0x19, 0x00, 0xff], ERR.Invalid, "non-canonical length"],
      [[0x5f, 0x40, 0xff], ERR.Invalid, "invalid additional value"], // indefinite bytes
      [[0x9f, 0xff], ERR.Invalid, "invalid additional value"], // indefinite array
      [[0x1c], ERR.Invalid, "invalid additional value"], // reserved 28
      [[0xc0, 0x00], ERR.Invalid, "tags are not supported"],
      [[0xf9, 0x00, 0x00], ERR.Invalid, "unsupported simple value"], // half float
      [[0x00, 0x00], 6, "trailing bytes"],
      [[0x9b, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], ERR.Eof, "unexpected end"], // 2^64-1 items, no loop
      [[0x5b, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], ERR.TooLong, "bytes too long"],
    ];
    for (const [bytes, err, reason] of cases) expect(wasm.cborSkip(Uint8Array.from(bytes), 8), hex(Uint8Array.from(bytes))).toMatchObject({ err, reason });
  });

  it("never traps on random bytes (2000 inputs)", () => {
    const rnd = xorshift(0xbad);
    for (let i = 0; i < 2000; i++) {
      const b = rndBytes(rnd, rnd(64));
      const r = wasm.cborSkip(b, 8);
      expect(r.pos).toBeLessThanOrEqual(b.length);
    }
  });
});

// ---- manifests ------------------------------------------------------------------------------------

const MAX = 8;

/** Host verdict in the guest's JSON shape. */
function hostView(b: Uint8Array, maxChunks: number): GuestManifest {
  try {
    const { manifest: m, signedPrefix } = decodeManifest(b, maxChunks);
    return {
      err: 0,
      epoch: m.epoch,
      chunkBytes: m.chunkBytes,
      payloadBytes: m.payloadBytes,
      payloadSha256: hex(m.payloadSha256),
      chunks: m.chunks.map(hex),
      delta: m.delta && { baseEpoch: m.delta.baseEpoch, baseSha256: hex(m.delta.baseSha256) },
      signature: m.signature && hex(m.signature),
      signedPrefix,
    };
  } catch (e) {
    if (!(e instanceof ManifestError)) throw e;
    const err = { eof: 1, schema: 2, cbor: 3, utf8: 4, field: 5 }[e.kind];
    return { err, message: e.message };
  }
}

function randomManifest(rnd: (n: number) => number): CasManifest {
  const n = rnd(MAX + 1);
  return {
    epoch: String(1 + rnd(1e9)),
    chunkBytes: [128, 4096, 65536][rnd(3)],
    payloadBytes: rnd(1 << 20),
    payloadSha256: rndBytes(rnd, 32),
    chunks: Array.from({ length: n }, () => rndBytes(rnd, 32)),
    delta: rnd(2) ? { baseEpoch: String(rnd(1000)), baseSha256: rndBytes(rnd, 32) } : null,
    signature: rnd(4) ? rndBytes(rnd, 64) : null,
  };
}

describe("CAS manifest decoder: guest and host agree", () => {
  it("decodes what the host encodes, field for field (200 manifests); the signed prefix + null is the signing payload", () => {
    const rnd = xorshift(0x3a41);
    for (let i = 0; i < 200; i++) {
      const m = randomManifest(rnd);
      const b = encodeManifest(m);
      const g = wasm.manifest(b, MAX);
      expect(g).toEqual(hostView(b, MAX));
      expect(g.err).toBe(0);
      expect(g.chunks).toEqual(m.chunks.map(hex));
      const unsigned = encodeManifest({ ...m, signature: null });
      expect(hex(Uint8Array.from([...b.subarray(0, g.signedPrefix), 0xf6]))).toBe(hex(unsigned));
    }
  });

  it("every strict prefix is 'unexpected end of manifest payload' in both", () => {
    const rnd = xorshift(0x7e);
    for (let i = 0; i < 20; i++) {
      const b = encodeManifest(randomManifest(rnd));
      for (let n = 0; n < b.length; n++) {
        const g = wasm.manifest(b.subarray(0, n), MAX);
        expect(g).toEqual({ err: 1, message: "unexpected end of manifest payload" });
        expect(hostView(b.subarray(0, n), MAX)).toEqual(g);
      }
    }
  });

  it("mutated manifests (flips, inserts, deletes): same verdict and text (3000 cases)", () => {
    const rnd = xorshift(0x51ed);
    const seen = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const b = Array.from(encodeManifest(randomManifest(rnd)));
      const edits = 1 + rnd(3);
      for (let e = 0; e < edits; e++) {
        const at = rnd(b.length);
        const op = rnd(3);
        if (op === 0) b[at] ^= 1 << rnd(8);
        else if (op === 1) b.splice(at, 0, rnd(256));
        else b.splice(at, 1);
      }
      const u = Uint8Array.from(b);
      const g = wasm.manifest(u, MAX);
      expect(g, hex(u)).toEqual(hostView(u, MAX));
      seen.add(g.message ?? "ok");
    }
    // The fuzz reaches many different refusals, not one.
    expect(seen.size).toBeGreaterThan(8);
  });

  it("bounds: chunk count and epoch length at and past their edge", () => {
    const base = randomManifest(xorshift(9));
    const withChunks = (n: number): Uint8Array => encodeManifest({ ...base, chunks: Array.from({ length: n }, () => new Uint8Array(32)) });
    expect(wasm.manifest(withChunks(MAX), MAX).err).toBe(0);
    expect(wasm.manifest(withChunks(MAX + 1), MAX)).toEqual({ err: 5, message: `invalid manifest field: chunk count ${MAX + 1} over the limit of ${MAX}` });
    expect(hostView(withChunks(MAX + 1), MAX)).toEqual(wasm.manifest(withChunks(MAX + 1), MAX));
    expect(wasm.manifest(encodeManifest({ ...base, epoch: "9".repeat(20) }), MAX).epoch).toBe("9".repeat(20));
    expect(wasm.manifest(encodeManifest({ ...base, epoch: "9".repeat(21) }), MAX)).toEqual({ err: 5, message: "invalid manifest field: epoch longer than 20 bytes" });
  });

  it("gives the original's texts for its refusals", () => {
    const m = randomManifest(xorshift(3));
    const good = Array.from(encodeManifest({ ...m, delta: null, signature: null }));
    const cases: [number[], string][] = [
      [[0x87, ...good.slice(1)], "invalid manifest field: manifest array length"],
      [[0x88, 0x63, 0x61, 0x62, 0x63], "unsupported cas manifest schema"],
      [[0xa0], "invalid manifest cbor: unexpected major type"],
      [[0x88, 0xf6], "invalid manifest cbor: unexpected null"],
      [[...good, 0x00], "invalid manifest cbor: trailing bytes"],
      [[...good.slice(0, -1), 0x01], "invalid manifest field: signature field type"],
      [[...good.slice(0, -2), 0x01, 0xf6], "invalid manifest field: delta field type"],
      [[...good.slice(0, -2), 0x81, 0xf6, 0xf6].slice(0, good.length + 1), "invalid manifest field: delta array length"],
      [[...good.slice(0, -1), 0x58, 0x20, ...Array(32).fill(0)], "invalid manifest field: expected 64-byte signature"],
      [[...good.slice(0, -1), 0xf5], "invalid manifest cbor: unexpected major type"],
      [[0x88, 0x77, ...Buffer.from("cohesix-cas/manifest-v"), 0xff], "manifest contains invalid utf-8"],
    ];
    for (const [bytes, message] of cases) {
      const u = Uint8Array.from(bytes);
      expect(wasm.manifest(u, MAX).message, message).toBe(message);
      expect(hostView(u, MAX).message).toBe(message);
    }
  });
});
