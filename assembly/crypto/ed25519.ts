// Ed25519 signature verification (RFC 8032 §5.1.7), for CAS manifests: the core holds only public
// keys, so only verification lives here (signing stays on the host, in node:crypto).
//
// The verdict is meant to equal OpenSSL's (what node:crypto runs), input for input, so the host
// tool and the guest never disagree about a bundle:
// - S must be canonical (S < L), else refused;
// - A is decoded from its 255-bit y (a y ≥ p is taken mod p, as OpenSSL does) and refused only if
//   no x exists; small-order and mixed-order keys are not refused (OpenSSL does not refuse them);
// - cofactorless equation: encode([S]B − [h]A) must equal R byte for byte (so a non-canonical R
//   never verifies), with h = SHA-512(R ‖ A ‖ M) mod L over A's bytes as given.
// tests/cas_ed25519.test.ts checks that agreement with RFC 8032's vectors and a differential fuzz.
//
// Field elements are 16 signed 16-bit limbs in i64 (radix 2^16, the TweetNaCl representation):
// simple enough to check by eye, and fast enough (a verify is a few ms of wasm). Variable time is
// fine: every input to a verification is public. All temporaries are static, so a verify
// allocates nothing (the core runs the minimal runtime, whose collector only runs when told).

import { sha512Final, sha512Init, sha512Update } from "./sha512";

type Fe = StaticArray<i64>;

function fe(): Fe {
  return new StaticArray<i64>(16);
}

// d = −121665/121666, 2d, √−1 = 2^((p−1)/4), and the base point B = (x, 4/5) with x even, all
// mod p = 2^255 − 19, as 16-bit limbs, least significant first.
const D: Fe = [0x78a3, 0x1359, 0x4dca, 0x75eb, 0xd8ab, 0x4141, 0x0a4d, 0x0070, 0xe898, 0x7779, 0x4079, 0x8cc7, 0xfe73, 0x2b6f, 0x6cee, 0x5203];
const D2: Fe = [0xf159, 0x26b2, 0x9b94, 0xebd6, 0xb156, 0x8283, 0x149a, 0x00e0, 0xd130, 0xeef3, 0x80f2, 0x198e, 0xfce7, 0x56df, 0xd9dc, 0x2406];
const SQRTM1: Fe = [0xa0b0, 0x4a0e, 0x1b27, 0xc4ee, 0xe478, 0xad2f, 0x1806, 0x2f43, 0xd7a7, 0x3dfb, 0x0099, 0x2b4d, 0xdf0b, 0x4fc1, 0x2480, 0x2b83];
const BX: Fe = [0xd51a, 0x8f25, 0x2d60, 0xc956, 0xa7b2, 0x9525, 0xc760, 0x692c, 0xdc5c, 0xfdd6, 0xe231, 0xc0a4, 0x53fe, 0xcd6e, 0x36d3, 0x2169];
const BY: Fe = [0x6658, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666, 0x6666];
// The group order L = 2^252 + 27742317777372353535851937790883648493, little-endian bytes.
const L: StaticArray<i64> = [
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
];

// ---- field arithmetic mod p ---------------------------------------------------------------------

const PROD = new StaticArray<i64>(31);

function copy(r: Fe, a: Fe): void {
  for (let i = 0; i < 16; i++) r[i] = a[i];
}

function setInt(r: Fe, v: i64): void {
  r[0] = v;
  for (let i = 1; i < 16; i++) r[i] = 0;
}

/** Carries every limb into [0, 2^16); the carry out of the top limb wraps as ×38 (2^256 ≡ 38). */
function carry(o: Fe): void {
  for (let i = 0; i < 15; i++) {
    const v = unchecked(o[i]);
    const c = v >> 16; // arithmetic shift: floor, also for negative limbs
    unchecked((o[i] = v - (c << 16)));
    unchecked((o[i + 1] += c));
  }
  const v = unchecked(o[15]);
  const c = v >> 16;
  unchecked((o[15] = v - (c << 16)));
  unchecked((o[0] += 38 * c));
}

const ZERO = fe();

/** A zero element (re-zeroed on each use, so no caller can leave it dirty). */
function fe0(): Fe {
  setInt(ZERO, 0);
  return ZERO;
}

function fadd(o: Fe, a: Fe, b: Fe): void {
  for (let i = 0; i < 16; i++) unchecked((o[i] = a[i] + b[i]));
}

function fsub(o: Fe, a: Fe, b: Fe): void {
  for (let i = 0; i < 16; i++) unchecked((o[i] = a[i] - b[i]));
}

/** o = a·b (o may alias a or b). Limbs of a few ×2^16 in, so products stay far inside i64. */
function fmul(o: Fe, a: Fe, b: Fe): void {
  // Every index below is a loop bound of 16 or 31 on fixed-size arrays, so unchecked() is safe.
  const t = PROD;
  for (let i = 0; i < 31; i++) unchecked((t[i] = 0));
  for (let i = 0; i < 16; i++) {
    const ai = unchecked(a[i]);
    for (let j = 0; j < 16; j++) unchecked((t[i + j] += ai * b[j]));
  }
  for (let i = 0; i < 15; i++) unchecked((t[i] += 38 * t[i + 16]));
  for (let i = 0; i < 16; i++) unchecked((o[i] = t[i]));
  carry(o);
  carry(o);
}

function fsq(o: Fe, a: Fe): void {
  fmul(o, a, a);
}

const PK_T = fe();
const PK_M = fe();

/** The canonical 32-byte little-endian encoding of n mod p. */
function pack(out: usize, n: Fe): void {
  const t = PK_T;
  const m = PK_M;
  copy(t, n);
  carry(t);
  carry(t);
  carry(t);
  // Now 0 ≤ t < 2^256; subtract p at most twice to land in [0, p).
  for (let k = 0; k < 2; k++) {
    m[0] = t[0] - 0xffed;
    for (let i = 1; i < 15; i++) {
      m[i] = t[i] - 0xffff - ((m[i - 1] >> 16) & 1);
      m[i - 1] &= 0xffff;
    }
    m[15] = t[15] - 0x7fff - ((m[14] >> 16) & 1);
    const borrow = (m[15] >> 16) & 1;
    m[14] &= 0xffff;
    if (borrow == 0) copy(t, m);
  }
  for (let i = 0; i < 16; i++) {
    store<u8>(out + <usize>(2 * i), <u8>(t[i] & 0xff));
    store<u8>(out + <usize>(2 * i + 1), <u8>((t[i] >> 8) & 0xff));
  }
}

/** y from 32 bytes: the top bit (x's sign) is dropped; a value ≥ p stays as is (it is ≡ y − p). */
function unpack(o: Fe, p: usize): void {
  for (let i = 0; i < 16; i++) {
    o[i] = <i64>load<u8>(p + <usize>(2 * i)) | (<i64>load<u8>(p + <usize>(2 * i + 1)) << 8);
  }
  o[15] &= 0x7fff;
}

const CMP_A = new StaticArray<u8>(32);
const CMP_B = new StaticArray<u8>(32);

function feEqual(a: Fe, b: Fe): bool {
  pack(changetype<usize>(CMP_A), a);
  pack(changetype<usize>(CMP_B), b);
  return memory.compare(changetype<usize>(CMP_A), changetype<usize>(CMP_B), 32) == 0;
}

function parity(a: Fe): i32 {
  pack(changetype<usize>(CMP_A), a);
  return <i32>(CMP_A[0] & 1);
}

const POW_C = fe();

/** o = i^(p−2) = 1/i. */
function finv(o: Fe, i: Fe): void {
  const c = POW_C;
  copy(c, i);
  for (let a = 253; a >= 0; a--) {
    fsq(c, c);
    if (a != 2 && a != 4) fmul(c, c, i);
  }
  copy(o, c);
}

/** o = i^((p−5)/8), the exponent of the combined square root and division. */
function fpow2523(o: Fe, i: Fe): void {
  const c = POW_C;
  copy(c, i);
  for (let a = 250; a >= 0; a--) {
    fsq(c, c);
    if (a != 1) fmul(c, c, i);
  }
  copy(o, c);
}

// ---- points in extended coordinates (X:Y:Z:T), x = X/Z, y = Y/Z, xy = T/Z --------------------------

class Point {
  x: Fe = fe();
  y: Fe = fe();
  z: Fe = fe();
  t: Fe = fe();
}

function setIdentity(p: Point): void {
  setInt(p.x, 0);
  setInt(p.y, 1);
  setInt(p.z, 1);
  setInt(p.t, 0);
}

function copyPoint(r: Point, p: Point): void {
  copy(r.x, p.x);
  copy(r.y, p.y);
  copy(r.z, p.z);
  copy(r.t, p.t);
}

const EA = fe(), EB = fe(), EC = fe(), ED = fe(), EE = fe(), EF = fe(), EG = fe(), EH = fe(), ET = fe();

/** p += q (add-2008-hwcd-3 for a = −1: complete on this curve, so it also doubles and adds −p). */
function padd(p: Point, q: Point): void {
  fsub(EA, p.y, p.x);
  fsub(ET, q.y, q.x);
  fmul(EA, EA, ET);
  fadd(EB, p.x, p.y);
  fadd(ET, q.x, q.y);
  fmul(EB, EB, ET);
  fmul(EC, p.t, q.t);
  fmul(EC, EC, D2);
  fmul(ED, p.z, q.z);
  fadd(ED, ED, ED);
  fsub(EE, EB, EA);
  fsub(EF, ED, EC);
  fadd(EG, ED, EC);
  fadd(EH, EB, EA);
  fmul(p.x, EE, EF);
  fmul(p.y, EH, EG);
  fmul(p.z, EG, EF);
  fmul(p.t, EE, EH);
}

/** p = 2p (dbl-2008-hwcd for a = −1; complete for the same reason as padd). */
function pdouble(p: Point): void {
  fsq(EA, p.x); // A = X²
  fsq(EB, p.y); // B = Y²
  fsq(EC, p.z);
  fadd(EC, EC, EC); // C = 2Z²
  fadd(EE, p.x, p.y);
  fsq(EE, EE);
  fsub(EE, EE, EA);
  fsub(EE, EE, EB); // E = (X+Y)² − A − B
  fsub(EG, EB, EA); // G = aA + B = B − A
  fsub(EF, EG, EC); // F = G − C
  fadd(EH, EA, EB);
  fsub(EH, fe0(), EH); // H = aA − B = −A − B
  fmul(p.x, EE, EF);
  fmul(p.y, EG, EH);
  fmul(p.t, EE, EH);
  fmul(p.z, EF, EG);
}

const ZI = fe(), ZX = fe(), ZY = fe();

/** The 32-byte encoding of p: y with x's parity in the top bit. */
function encodePoint(out: usize, p: Point): void {
  finv(ZI, p.z);
  fmul(ZX, p.x, ZI);
  fmul(ZY, p.y, ZI);
  pack(out, ZY);
  store<u8>(out + 31, load<u8>(out + 31) ^ <u8>(parity(ZX) << 7));
}

const UN = fe(), UD = fe(), UD2 = fe(), UD4 = fe(), UD6 = fe(), UT = fe(), UCHK = fe();

/** r = −A for the encoding at `p`; false if the encoding is no curve point (no x for that y). */
function decodeNegated(r: Point, p: usize): bool {
  setInt(r.z, 1);
  unpack(r.y, p);
  fsq(UN, r.y);
  fmul(UD, UN, D);
  fsub(UN, UN, r.z); // u = y² − 1
  fadd(UD, r.z, UD); // v = d·y² + 1
  fsq(UD2, UD);
  fsq(UD4, UD2);
  fmul(UD6, UD4, UD2);
  fmul(UT, UD6, UN);
  fmul(UT, UT, UD); // u·v⁷
  fpow2523(UT, UT);
  fmul(UT, UT, UN);
  fmul(UT, UT, UD);
  fmul(UT, UT, UD);
  fmul(r.x, UT, UD); // x = u·v³·(u·v⁷)^((p−5)/8)
  fsq(UCHK, r.x);
  fmul(UCHK, UCHK, UD);
  if (!feEqual(UCHK, UN)) fmul(r.x, r.x, SQRTM1);
  fsq(UCHK, r.x);
  fmul(UCHK, UCHK, UD);
  if (!feEqual(UCHK, UN)) return false;
  // Negate: keep x when its parity differs from the sign bit (so −A comes out). x = 0 with the sign
  // bit set is taken as x = 0, as OpenSSL does.
  if (parity(r.x) == <i32>(load<u8>(p + 31) >> 7)) fsub(r.x, fe0(), r.x);
  fmul(r.t, r.x, r.y);
  return true;
}

// ---- scalars mod L ----------------------------------------------------------------------------------

const RED = new StaticArray<i64>(64);

/** The 64-byte little-endian number at `x` mod L, 32 bytes to `out`. */
function reduceModL(out: usize, x: usize): void {
  const r = RED;
  for (let i = 0; i < 64; i++) r[i] = <i64>load<u8>(x + <usize>i);
  // Fold the high bytes down: 2^252 ≡ −(L − 2^252), one byte (×16 at this offset) at a time.
  for (let i = 63; i >= 32; i--) {
    let c: i64 = 0;
    let j = i - 32;
    for (; j < i - 12; j++) {
      r[j] += c - 16 * r[i] * L[j - (i - 32)];
      c = (r[j] + 128) >> 8;
      r[j] -= c << 8;
    }
    r[j] += c;
    r[i] = 0;
  }
  let c: i64 = 0;
  for (let j = 0; j < 32; j++) {
    r[j] += c - (r[31] >> 4) * L[j];
    c = r[j] >> 8;
    r[j] &= 255;
  }
  for (let j = 0; j < 32; j++) r[j] -= c * L[j];
  for (let i = 0; i < 32; i++) {
    r[i + 1] += r[i] >> 8;
    store<u8>(out + <usize>i, <u8>(r[i] & 255));
  }
}

/** S < L, comparing the 32 little-endian bytes from the top. */
function scalarCanonical(s: usize): bool {
  for (let i = 31; i >= 0; i--) {
    const b = <i64>load<u8>(s + <usize>i);
    if (b < L[i]) return true;
    if (b > L[i]) return false;
  }
  return false; // S == L
}

// ---- verification -----------------------------------------------------------------------------------

const NEG_A = new Point();
const BASE = new Point();
const BASE_PLUS_NEG_A = new Point();
const ACC = new Point();
const DIGEST = new StaticArray<u8>(64);
const H_SCALAR = new StaticArray<u8>(32);
const R_CHECK = new StaticArray<u8>(32);

function bit(s: usize, i: i32): i32 {
  return (load<u8>(s + <usize>(i >> 3)) >> <u8>(i & 7)) & 1;
}

/**
 * True when the 64-byte `sig` is a valid Ed25519 signature by the 32-byte public key `pub` over
 * `msgLen` bytes at `msg`. Never traps on any input: every length is fixed or given.
 */
export function ed25519Verify(pub: usize, sig: usize, msg: usize, msgLen: usize): bool {
  const s = sig + 32;
  if (!scalarCanonical(s)) return false;
  if (!decodeNegated(NEG_A, pub)) return false;

  sha512Init();
  sha512Update(sig, 32);
  sha512Update(pub, 32);
  sha512Update(msg, msgLen);
  sha512Final(changetype<usize>(DIGEST));
  const h = changetype<usize>(H_SCALAR);
  reduceModL(h, changetype<usize>(DIGEST));

  copy(BASE.x, BX);
  copy(BASE.y, BY);
  setInt(BASE.z, 1);
  fmul(BASE.t, BX, BY);
  copyPoint(BASE_PLUS_NEG_A, BASE);
  padd(BASE_PLUS_NEG_A, NEG_A);

  // [S]B + [h](−A), both scalars at once (Straus–Shamir): one doubling per bit.
  setIdentity(ACC);
  for (let i = 255; i >= 0; i--) {
    pdouble(ACC);
    const bs = bit(s, i);
    const bh = bit(h, i);
    if (bs != 0 && bh != 0) padd(ACC, BASE_PLUS_NEG_A);
    else if (bs != 0) padd(ACC, BASE);
    else if (bh != 0) padd(ACC, NEG_A);
  }
  const rc = changetype<usize>(R_CHECK);
  encodePoint(rc, ACC);
  return memory.compare(rc, sig, 32) == 0;
}
