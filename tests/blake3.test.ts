// The core's BLAKE3 (assembly/crypto/blake3.ts) against @noble/hashes, on the official test-vector
// pattern (input byte i = i % 251, the lengths of BLAKE3's test_vectors.json) for hash and
// keyed hash, plus random inputs. A quick throughput figure is printed, not asserted.

import { blake3 as nobleBlake3 } from "@noble/hashes/blake3.js";
import { beforeAll, describe, expect, it } from "vitest";
import { loadTicketWasm, type TicketWasm } from "./helpers/ticket_wasm.js";
import { xorshift } from "./helpers/rng.js";

const LENGTHS = [
  0, 1, 1023, 1024, 1025, 2048, 2049, 3072, 3073, 4096, 4097, 5120, 5121, 6144, 6145, 7168, 7169, 8192, 8193, 16384,
  31744, 102400,
];
const KEY = Buffer.from("whats the Elvish word for friend", "ascii");

function pattern(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = i % 251;
  return b;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

let wasm: TicketWasm;

beforeAll(async () => {
  wasm = await loadTicketWasm("blake3");
});

describe("BLAKE3 in the core", () => {
  it("the key is 32 bytes (the official vectors' key)", () => {
    expect(KEY.length).toBe(32);
  });

  it("hash matches the reference on every official vector length", () => {
    for (const n of LENGTHS) {
      const input = pattern(n);
      expect(hex(wasm.hash(input)), `len ${n}`).toBe(hex(nobleBlake3(input)));
    }
  });

  it("keyed hash matches the reference on every official vector length", () => {
    for (const n of LENGTHS) {
      const input = pattern(n);
      expect(hex(wasm.keyedHash(KEY, input)), `len ${n}`).toBe(hex(nobleBlake3(input, { key: KEY })));
    }
  });

  it("the empty-input hash is BLAKE3's published value", () => {
    expect(hex(wasm.hash(new Uint8Array(0)))).toBe("af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262");
  });

  it("matches the reference on random inputs around block and chunk edges", () => {
    const rnd = xorshift(0x2545f491);
    const sizes = [63, 64, 65, 127, 128, 129, 960, 1088, 3000, 4095, 9000, 65535, 65536, 65537];
    for (let k = 0; k < 40; k++) sizes.push(rnd(20000));
    for (const n of sizes) {
      const input = new Uint8Array(n);
      for (let i = 0; i < n; i++) input[i] = rnd(256);
      const key = new Uint8Array(32);
      for (let i = 0; i < 32; i++) key[i] = rnd(256);
      expect(hex(wasm.hash(input)), `len ${n}`).toBe(hex(nobleBlake3(input)));
      expect(hex(wasm.keyedHash(key, input)), `keyed len ${n}`).toBe(hex(nobleBlake3(input, { key })));
    }
  });

  it("throughput in the Node host (printed only)", () => {
    const input = pattern(100 * 1024);
    const rounds = 100;
    wasm.hash(input);
    const t0 = performance.now();
    for (let i = 0; i < rounds; i++) wasm.hash(input);
    const ms = performance.now() - t0;
    const small = pattern(104);
    const t1 = performance.now();
    for (let i = 0; i < 20000; i++) wasm.keyedHash(KEY, small);
    const us = ((performance.now() - t1) * 1000) / 20000;
    console.log(
      `[blake3] core (wasm, Node): ${((input.length * rounds) / (ms / 1000) / 1e6).toFixed(1)} MB/s on 100 KiB inputs; ` +
        `keyed MAC of a 104-byte claims payload: ${us.toFixed(2)} us (incl. JS copy)`,
    );
    expect(ms).toBeGreaterThan(0);
  });
});
