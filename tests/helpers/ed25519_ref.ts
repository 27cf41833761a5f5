// A slow, obviously-written Ed25519 group reference in BigInt (tests only): it builds the inputs
// the differential fuzz needs and node:crypto cannot make — small-order and mixed-order public
// keys, non-canonical encodings, signatures from a chosen secret scalar. Verdicts always come
// from node:crypto; this file never decides one.

export const P = (1n << 255n) - 19n;
export const L = (1n << 252n) + 27742317777372353535851937790883648493n;

const mod = (a: bigint, m = P): bigint => ((a % m) + m) % m;
function pow(b: bigint, e: bigint, m = P): bigint {
  let r = 1n;
  b = mod(b, m);
  while (e > 0n) {
    if (e & 1n) r = (r * b) % m;
    b = (b * b) % m;
    e >>= 1n;
  }
  return r;
}
const inv = (a: bigint): bigint => pow(a, P - 2n);
export const D = mod(-121665n * inv(121666n));
const SQRTM1 = pow(2n, (P - 1n) / 4n);

/** Affine point (x, y). */
export interface Pt {
  x: bigint;
  y: bigint;
}

export const IDENTITY: Pt = { x: 0n, y: 1n };

export function add(a: Pt, b: Pt): Pt {
  const t = mod(D * a.x * b.x * a.y * b.y);
  return {
    x: mod((a.x * b.y + a.y * b.x) * inv(1n + t)),
    y: mod((a.y * b.y + a.x * b.x) * inv(1n - t)),
  };
}

export function mul(k: bigint, p: Pt): Pt {
  let r = IDENTITY;
  let q = p;
  let n = k;
  while (n > 0n) {
    if (n & 1n) r = add(r, q);
    q = add(q, q);
    n >>= 1n;
  }
  return r;
}

export const neg = (p: Pt): Pt => ({ x: mod(-p.x), y: p.y });

/** x for y with the given parity, or null when y is not on the curve. */
export function recoverX(y: bigint, odd: boolean): bigint | null {
  const u = mod(y * y - 1n);
  const v = mod(D * y * y + 1n);
  let x = pow(mod(u * inv(v)), (P + 3n) / 8n);
  if (mod(v * x * x - u) !== 0n) x = mod(x * SQRTM1);
  if (mod(v * x * x - u) !== 0n) return null;
  if ((x & 1n) === 1n) x = mod(-x);
  return odd ? mod(-x) : x;
}

const BY = mod(4n * inv(5n));
export const BASE: Pt = { x: recoverX(BY, false)!, y: BY };

/** 32 bytes little-endian of a 256-bit number. */
export function le32(n: bigint): Uint8Array {
  const b = new Uint8Array(32);
  for (let i = 0; i < 32; i++) b[i] = Number((n >> BigInt(8 * i)) & 0xffn);
  return b;
}

export function fromLe(b: Uint8Array): bigint {
  let n = 0n;
  for (let i = b.length - 1; i >= 0; i--) n = (n << 8n) | BigInt(b[i]);
  return n;
}

/** The canonical encoding; `yOffset` = p gives the non-canonical twin of a y < 19. */
export function encode(p: Pt, yOffset = 0n): Uint8Array {
  const b = le32(p.y + yOffset);
  if (p.x & 1n) b[31] |= 0x80;
  return b;
}

/** The 8 points of order dividing 8 (the torsion subgroup). */
export function torsion(): Pt[] {
  // An order-8 point: y is a root of the order-8 condition; find one by multiplying a random point by L.
  const out: Pt[] = [];
  for (let y = 2n; out.length === 0; y++) {
    const x = recoverX(y, false);
    if (x === null) continue;
    const t = mul(L, { x, y });
    // Order exactly 8: 4·t is not the identity.
    const t4 = mul(4n, t);
    if (!(t4.x === 0n && t4.y === 1n)) out.push(t);
  }
  const t8 = out[0];
  const all: Pt[] = [IDENTITY];
  for (let k = 1n; k < 8n; k++) all.push(mul(k, t8));
  return all;
}
