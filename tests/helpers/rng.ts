// Seeded integer generators for property and fuzz tests: a failure reproduces from its seed.
// Each returns rnd(n), an integer in [0, n).

/** xorshift32 (Marsaglia). */
export function xorshift(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) % n;
  };
}

/** The classic ANSI C LCG, 31-bit state. */
export function lcg(seed: number): (n: number) => number {
  let s = seed;
  return (n) => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s % n;
  };
}
