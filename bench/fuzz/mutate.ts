// Seeded mutation of byte strings (bench/fuzz): every input is a pure function of (seed, index),
// so any crash reproduces from the two numbers alone. Mutations aim at what parsers get wrong:
// lengths (u32/u16 fields set to edges), bounds (sizes at and past each limit), escapes and
// control bytes, truncation, duplication and splicing of valid inputs.

export type Rnd = (n: number) => number;

/** xorshift32 seeded from (seed, index): the same pair gives the same stream. */
export function rngFor(seed: number, index: number): Rnd {
  let s = (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(index + 1, 0xc2b2ae35)) >>> 0 || 1;
  return (n) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

const INTERESTING_BYTES = [0x00, 0x01, 0x0a, 0x0d, 0x1b, 0x20, 0x22, 0x5c, 0x7f, 0x80, 0xc0, 0xe0, 0xf0, 0xff, 0x2f, 0x2e, 0x7b, 0x7d];

/**
 * Mutates `base` (not modified) a few times; `edges` are the sizes worth hitting (record and frame
 * bounds); `others` is the corpus to splice from.
 */
export function mutate(base: Uint8Array, rnd: Rnd, edges: number[], others: Uint8Array[]): Uint8Array {
  let b = Buffer.from(base);
  const rounds = 1 + rnd(4);
  for (let r = 0; r < rounds; r++) {
    const op = rnd(11);
    const at = b.length > 0 ? rnd(b.length) : 0;
    if (op === 0 && b.length > 0) b[at] ^= 1 << rnd(8);
    else if (op === 1 && b.length > 0) b[at] = INTERESTING_BYTES[rnd(INTERESTING_BYTES.length)];
    else if (op === 2) b = Buffer.concat([b.subarray(0, at), Buffer.from(Array.from({ length: 1 + rnd(8) }, () => rnd(256))), b.subarray(at)]);
    else if (op === 3 && b.length > 1) b = Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rnd(16)))]);
    else if (op === 4 && b.length > 1) {
      const n = 1 + rnd(Math.min(64, b.length - at));
      b = Buffer.concat([b.subarray(0, at + n), b.subarray(at, at + n), b.subarray(at + n)]);
    } else if (op === 5 && b.length >= 4) {
      const v = [0, 1, 3, 4, 7, 0xff, 0xffff, 0x7fffffff, 0xffffffff, ...edges, ...edges.map((e) => e + 1), ...edges.map((e) => e - 1)][rnd(9 + 3 * edges.length)];
      b.writeUInt32LE(v >>> 0, rnd(b.length - 3));
    } else if (op === 6 && b.length >= 2) b.writeUInt16LE([0, 1, 0xffff, 0x7fff, 0x8000, ...edges.map((e) => e & 0xffff)][rnd(5 + edges.length)], rnd(b.length - 1));
    else if (op === 7 && b.length > 0) b = b.subarray(0, rnd(b.length));
    else if (op === 8 && others.length > 0) {
      const o = others[rnd(others.length)];
      const from = o.length > 0 ? rnd(o.length) : 0;
      b = Buffer.concat([b.subarray(0, at), Buffer.from(o.subarray(from, from + 1 + rnd(64)))]);
    } else if (op === 9 && edges.length > 0) {
      // Grow or cut to a bound (at, one under, one past) with a byte that needs escaping.
      const target = edges[rnd(edges.length)] + rnd(3) - 1;
      const fill = [0x41, 0x22, 0x5c, 0x0a, 0x7f][rnd(5)];
      b = b.length >= target ? b.subarray(0, Math.max(0, target)) : Buffer.concat([b, Buffer.alloc(target - b.length, fill)]);
    } else if (b.length > 0) b[at] = rnd(256);
  }
  return b;
}
