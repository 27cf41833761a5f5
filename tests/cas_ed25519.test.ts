// SHA-512 and Ed25519 verification in the guest (assembly/crypto/{sha512,ed25519}.ts): FIPS and
// RFC 8032 known answers, then a differential fuzz against node:crypto (OpenSSL) — valid,
// tampered, malformed, non-canonical S and R, small-order and mixed-order keys — where the guest
// must give node's verdict every time and never trap.

import { createHash, generateKeyPairSync, sign, verify } from "node:crypto";
import { beforeAll, describe, expect, it } from "vitest";
import { privateKeyFromSeed, publicKeyFromRaw, rawPublicKey } from "../host/cas-tool/keys.js";
import { loadCasWasm, type CasWasm } from "./helpers/cas_wasm.js";
import { BASE, L, P, add, encode, fromLe, le32, neg, recoverX, torsion, type Pt } from "./helpers/ed25519_ref.js";
import { xorshift } from "./helpers/rng.js";

let wasm: CasWasm;

beforeAll(async () => {
  wasm = await loadCasWasm("ed25519");
}, 120_000);

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const unhex = (s: string): Buffer => Buffer.from(s, "hex");

/** node:crypto's verdict; a key it cannot even import counts as refused. */
function nodeVerdict(pub: Uint8Array, sig: Uint8Array, msg: Uint8Array): boolean {
  try {
    return verify(null, msg, publicKeyFromRaw(pub), sig);
  } catch {
    return false;
  }
}

function bytes(rnd: (n: number) => number, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rnd(256);
  return b;
}

/** The clamped secret scalar of an Ed25519 seed (RFC 8032 §5.1.5) and its public point, via node. */
function scalarAndPoint(seed: Buffer): [bigint, Pt] {
  const h = createHash("sha512").update(seed).digest();
  h[0] &= 248;
  h[31] &= 127;
  h[31] |= 64;
  const pub = rawPublicKey(privateKeyFromSeed(seed));
  const y = fromLe(pub) & ((1n << 255n) - 1n);
  return [fromLe(h.subarray(0, 32)) % L, { x: recoverX(y, (pub[31] & 0x80) !== 0)!, y }];
}

interface Tally {
  cases: number;
  accepted: number;
}

/** Asserts guest == node for one case; returns the verdict. */
function same(t: Tally, pub: Uint8Array, sig: Uint8Array, msg: Uint8Array): boolean {
  const want = nodeVerdict(pub, sig, msg);
  const got = wasm.verify(pub, sig, msg);
  if (got !== want) throw new Error(`verdict differs: guest ${got}, node ${want}\npub ${hex(pub)}\nsig ${hex(sig)}\nmsg ${hex(msg)}`);
  t.cases++;
  if (got) t.accepted++;
  return got;
}

describe("SHA-512", () => {
  it("matches FIPS 180-4 known answers", () => {
    expect(hex(wasm.sha512(Buffer.from("")))).toBe(
      "cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e",
    );
    expect(hex(wasm.sha512(Buffer.from("abc")))).toBe(
      "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    );
  });

  it("matches node:crypto at every length around the block and padding edges, one shot and streamed", () => {
    const rnd = xorshift(0x5ba512);
    const data = bytes(rnd, 1200);
    let n = 0;
    for (let len = 0; len <= 1200; len += len < 300 ? 1 : 37) {
      const m = data.subarray(0, len);
      const want = createHash("sha512").update(m).digest("hex");
      expect(hex(wasm.sha512(m))).toBe(want);
      for (const step of [1, 7, 64, 111, 112, 127, 128, 129]) expect(hex(wasm.sha512Steps(m, step))).toBe(want);
      n++;
    }
    expect(n).toBeGreaterThan(300);
  });
});

// RFC 8032 §7.1 TEST 1, 2, 3 and SHA(abc): secret seed, public key, message, signature.
const RFC8032: [string, string, string, string][] = [
  ["9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60", "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
    "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"],
  ["4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb", "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
    "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"],
  ["c5aa8df43f9f837bedb7442f31dcb7b166d38535076f094b85ce3a2e0b4458f7", "fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025", "af82",
    "6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a"],
  ["833fe62409237b9d62ec77587520911e9a759cec1d19755b7da901b96dca3d42", "ec172b93ad5e563bf4932c70e1245034c35467ef2efd4d64ebf819683467e2bf",
    "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f",
    "dc2a4459e7369633a52b1bf277839a00201009a3efbf3ecb69bea2186c26b58909351fc9ac90b3ecfdfbc7c66431e0303dca179c138ac17ad9bef1177331a704"],
];

describe("Ed25519 RFC 8032 vectors", () => {
  it.each(RFC8032.map((v, i) => [i + 1, ...v] as const))("vector %i verifies in the guest, and node derives the same key and signature", (_i, seed, pub, msg, sig) => {
    const key = privateKeyFromSeed(unhex(seed));
    expect(hex(rawPublicKey(key))).toBe(pub);
    expect(hex(sign(null, unhex(msg), key))).toBe(sig);
    expect(wasm.verify(unhex(pub), unhex(sig), unhex(msg))).toBe(true);
    // One flipped bit anywhere is refused.
    const bad = unhex(sig);
    bad[63] ^= 0x01;
    expect(wasm.verify(unhex(pub), bad, unhex(msg))).toBe(false);
    expect(wasm.verify(unhex(pub), unhex(sig), Buffer.concat([unhex(msg), Buffer.from([0])]))).toBe(false);
  });
});

describe("Ed25519 differential fuzz against node:crypto", () => {
  const rnd = xorshift(0xed25519);
  const keys = Array.from({ length: 40 }, () => generateKeyPairSync("ed25519"));

  it("valid signatures: both accept (300 cases)", () => {
    const t: Tally = { cases: 0, accepted: 0 };
    for (let i = 0; i < 300; i++) {
      const k = keys[i % keys.length];
      const msg = bytes(rnd, rnd(600));
      same(t, rawPublicKey(k.publicKey), sign(null, msg, k.privateKey), msg);
    }
    expect(t).toEqual({ cases: 300, accepted: 300 });
  });

  it("tampered signature, key or message: same verdict (400 cases, all refused)", () => {
    const t: Tally = { cases: 0, accepted: 0 };
    for (let i = 0; i < 400; i++) {
      const k = keys[i % keys.length];
      const msg = bytes(rnd, 1 + rnd(300));
      const pub = rawPublicKey(k.publicKey);
      const sig = sign(null, msg, k.privateKey);
      const where = i % 3;
      const target = where === 0 ? sig : where === 1 ? pub : msg;
      target[rnd(target.length)] ^= 1 << rnd(8);
      same(t, pub, sig, msg);
    }
    expect(t.cases).toBe(400);
    expect(t.accepted).toBe(0);
  });

  it("malformed: random keys and signatures (400 cases)", () => {
    const t: Tally = { cases: 0, accepted: 0 };
    for (let i = 0; i < 400; i++) same(t, bytes(rnd, 32), bytes(rnd, 64), bytes(rnd, rnd(64)));
    expect(t.cases).toBe(400);
  });

  it("non-canonical S (S + kL, and S ≥ 2^253): both refuse (200 cases)", () => {
    const t: Tally = { cases: 0, accepted: 0 };
    for (let i = 0; i < 200; i++) {
      const k = keys[i % keys.length];
      const msg = bytes(rnd, rnd(100));
      const sig = sign(null, msg, k.privateKey);
      const s = fromLe(sig.subarray(32));
      const big = i % 2 === 0 ? s + BigInt(1 + rnd(15)) * L : s | (1n << BigInt(253 + rnd(3)));
      if (big >= 1n << 256n) continue;
      sig.set(le32(big), 32);
      same(t, rawPublicKey(k.publicKey), sig, msg);
    }
    expect(t.cases).toBeGreaterThan(150);
    expect(t.accepted).toBe(0);
  });

  it("small-order public keys (all 8 torsion points, canonical and not): same verdict, some accepted", () => {
    const t: Tally = { cases: 0, accepted: 0 };
    const T = torsion();
    const encodings: Uint8Array[] = [];
    for (const p of T) {
      encodings.push(encode(p));
      if (p.x === 0n) {
        const e = encode(p);
        e[31] |= 0x80; // x = 0 with the sign bit set
        encodings.push(e);
      }
      if (p.y < 19n) encodings.push(encode(p, P)); // y + p: the non-canonical twin
    }
    for (const a of encodings) {
      for (const r of T) {
        for (let j = 0; j < 4; j++) {
          const msg = bytes(rnd, rnd(40));
          const sig = new Uint8Array(64);
          sig.set(encode(r));
          if (j === 3) sig.set(le32(BigInt(rnd(1000))), 32); // S ≠ 0: [S]B is no small-order point
          same(t, a, sig, msg);
        }
      }
    }
    expect(t.cases).toBeGreaterThan(300);
    expect(t.accepted).toBeGreaterThan(0);
    expect(t.accepted).toBeLessThan(t.cases);
  });

  it("mixed-order keys (aB + T) with signatures from the scalar: same verdict (200 cases)", () => {
    const t: Tally = { cases: 0, accepted: 0 };
    const T = torsion();
    for (let i = 0; i < 200; i++) {
      // aB and rB come from node (a seed's public key); only the torsion part is added here.
      const [a, aB] = scalarAndPoint(bytes(rnd, 32));
      const A = add(aB, T[1 + rnd(7)]);
      const aEnc = encode(A);
      const [r, rB] = scalarAndPoint(bytes(rnd, 32));
      const R = i % 4 === 0 ? add(rB, T[rnd(8)]) : rB;
      const rEnc = encode(R);
      const msg = bytes(rnd, rnd(80));
      const h = fromLe(createHash("sha512").update(rEnc).update(aEnc).update(msg).digest()) % L;
      const s = (r + h * a) % L;
      const sig = new Uint8Array(64);
      sig.set(rEnc);
      sig.set(le32(s), 32);
      same(t, aEnc, sig, msg);
    }
    expect(t.cases).toBe(200);
    // Cofactorless: accepted exactly when [h]T happens to cancel, which is neither always nor never.
    expect(t.accepted).toBeGreaterThan(0);
    expect(t.accepted).toBeLessThan(200);
  });

  it("non-canonical R and off-curve keys: same verdict", () => {
    const t: Tally = { cases: 0, accepted: 0 };
    // R = identity written as y = p + 1 with a key of the identity: S = 0 verifies only canonically.
    const id = encode({ x: 0n, y: 1n });
    const idNonCanon = encode({ x: 0n, y: 1n }, P);
    for (let i = 0; i < 20; i++) {
      const msg = bytes(rnd, rnd(30));
      expect(same(t, id, Buffer.concat([id, Buffer.alloc(32)]), msg)).toBe(true);
      expect(same(t, id, Buffer.concat([idNonCanon, Buffer.alloc(32)]), msg)).toBe(false);
    }
    // y values with no x (off the curve), canonical and with the top bit.
    let off = 0;
    for (let y = 2n; off < 40; y++) {
      if (recoverX(y, false) !== null) continue;
      off++;
      const k = keys[off % keys.length];
      const msg = bytes(rnd, 10);
      const e = le32(y);
      if (off % 2) e[31] |= 0x80;
      expect(same(t, e, sign(null, msg, k.privateKey), msg)).toBe(false);
    }
    // -B and B as keys with an honest-looking S = 0, R = identity.
    for (const p of [BASE, neg(BASE)] as Pt[]) same(t, encode(p), Buffer.concat([id, Buffer.alloc(32)]), Buffer.from("x"));
    expect(t.cases).toBeGreaterThan(80);
  });
});
