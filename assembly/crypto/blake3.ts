// BLAKE3 (hash and keyed hash, 32-byte output), used for capability-ticket MACs
// (docs/TICKETS.md). The original signs tickets with BLAKE3, so this must match the reference
// bit for bit; tests/blake3.test.ts checks it against the official vector pattern.
//
// Every piece of working state is in static memory and the compression function keeps its state
// in locals: hashing never calls the allocator, so an ATTACH cannot trigger a GC step in the
// middle of a MAC and the same code runs unchanged under wasm2c on bare metal. The static
// buffers make these functions non-reentrant, which is fine for the single-threaded core.

export const BLAKE3_OUT_LEN: i32 = 32;
export const BLAKE3_KEY_LEN: i32 = 32;

const BLOCK_LEN: usize = 64;
const CHUNK_LEN: usize = 1024;

const CHUNK_START: u32 = 1;
const CHUNK_END: u32 = 2;
const PARENT: u32 = 4;
const ROOT: u32 = 8;
const KEYED_HASH: u32 = 16;

const IV0: u32 = 0x6a09e667;
const IV1: u32 = 0xbb67ae85;
const IV2: u32 = 0x3c6ef372;
const IV3: u32 = 0xa54ff53a;
const IV4: u32 = 0x510e527f;
const IV5: u32 = 0x9b05688c;
const IV6: u32 = 0x1f83d9ab;
const IV7: u32 = 0x5be0cd19;

// The key words (the IV for plain hashing) that start every chunk and every parent.
const KEY_WORDS: usize = memory.data(32);
// The last block of a chunk is usually short and BLAKE3 zero-pads it; copying it here keeps the
// compression function from ever reading past the caller's input.
const TAIL_BLOCK: usize = memory.data(64);
// Chaining-value stack of the chunk tree. An input addressable by a 32-bit usize has fewer than
// 2^22 chunks, so at most 22 CVs wait here; 32 slots leave margin. The slot just above the top
// is where a new CV is produced, which makes the top CV and the new one a contiguous 64-byte
// parent block that can be compressed in place.
const STACK_SLOTS: usize = 33;
const STACK: usize = memory.data(<i32>(STACK_SLOTS * 32));

/**
 * The BLAKE3 compression function, truncated to the 8-word chaining value (all a 32-byte
 * digest needs). `out` may alias `cv` or `block`: both are fully read before anything is stored.
 */
function compress(cv: usize, block: usize, blockLen: u32, counter: u64, flags: u32, out: usize): void {
  let m0 = load<u32>(block, 0), m1 = load<u32>(block, 4), m2 = load<u32>(block, 8), m3 = load<u32>(block, 12);
  let m4 = load<u32>(block, 16), m5 = load<u32>(block, 20), m6 = load<u32>(block, 24), m7 = load<u32>(block, 28);
  let m8 = load<u32>(block, 32), m9 = load<u32>(block, 36), m10 = load<u32>(block, 40), m11 = load<u32>(block, 44);
  let m12 = load<u32>(block, 48), m13 = load<u32>(block, 52), m14 = load<u32>(block, 56), m15 = load<u32>(block, 60);
  let v0 = load<u32>(cv, 0), v1 = load<u32>(cv, 4), v2 = load<u32>(cv, 8), v3 = load<u32>(cv, 12);
  let v4 = load<u32>(cv, 16), v5 = load<u32>(cv, 20), v6 = load<u32>(cv, 24), v7 = load<u32>(cv, 28);
  let v8 = IV0, v9 = IV1, v10 = IV2, v11 = IV3;
  let v12 = <u32>counter, v13 = <u32>(counter >>> 32), v14 = blockLen, v15 = flags;

  // Locals instead of an array: the 16 state words and 16 message words stay in registers
  // (wasm locals), with no bounds checks and no memory traffic inside the rounds.
  for (let round = 0; round < 7; round++) {
    // Columns.
    v0 += v4 + m0; v12 = rotr<u32>(v12 ^ v0, 16); v8 += v12; v4 = rotr<u32>(v4 ^ v8, 12);
    v0 += v4 + m1; v12 = rotr<u32>(v12 ^ v0, 8); v8 += v12; v4 = rotr<u32>(v4 ^ v8, 7);
    v1 += v5 + m2; v13 = rotr<u32>(v13 ^ v1, 16); v9 += v13; v5 = rotr<u32>(v5 ^ v9, 12);
    v1 += v5 + m3; v13 = rotr<u32>(v13 ^ v1, 8); v9 += v13; v5 = rotr<u32>(v5 ^ v9, 7);
    v2 += v6 + m4; v14 = rotr<u32>(v14 ^ v2, 16); v10 += v14; v6 = rotr<u32>(v6 ^ v10, 12);
    v2 += v6 + m5; v14 = rotr<u32>(v14 ^ v2, 8); v10 += v14; v6 = rotr<u32>(v6 ^ v10, 7);
    v3 += v7 + m6; v15 = rotr<u32>(v15 ^ v3, 16); v11 += v15; v7 = rotr<u32>(v7 ^ v11, 12);
    v3 += v7 + m7; v15 = rotr<u32>(v15 ^ v3, 8); v11 += v15; v7 = rotr<u32>(v7 ^ v11, 7);
    // Diagonals.
    v0 += v5 + m8; v15 = rotr<u32>(v15 ^ v0, 16); v10 += v15; v5 = rotr<u32>(v5 ^ v10, 12);
    v0 += v5 + m9; v15 = rotr<u32>(v15 ^ v0, 8); v10 += v15; v5 = rotr<u32>(v5 ^ v10, 7);
    v1 += v6 + m10; v12 = rotr<u32>(v12 ^ v1, 16); v11 += v12; v6 = rotr<u32>(v6 ^ v11, 12);
    v1 += v6 + m11; v12 = rotr<u32>(v12 ^ v1, 8); v11 += v12; v6 = rotr<u32>(v6 ^ v11, 7);
    v2 += v7 + m12; v13 = rotr<u32>(v13 ^ v2, 16); v8 += v13; v7 = rotr<u32>(v7 ^ v8, 12);
    v2 += v7 + m13; v13 = rotr<u32>(v13 ^ v2, 8); v8 += v13; v7 = rotr<u32>(v7 ^ v8, 7);
    v3 += v4 + m14; v14 = rotr<u32>(v14 ^ v3, 16); v9 += v14; v4 = rotr<u32>(v4 ^ v9, 12);
    v3 += v4 + m15; v14 = rotr<u32>(v14 ^ v3, 8); v9 += v14; v4 = rotr<u32>(v4 ^ v9, 7);
    // BLAKE3 permutes the message between rounds (2,6,3,10,7,0,4,13,1,11,12,5,9,14,15,8)
    // instead of indexing a schedule table, so the same fixed G pattern serves every round.
    const t0 = m0, t1 = m1, t2 = m2, t3 = m3, t4 = m4, t5 = m5, t6 = m6, t7 = m7;
    const t8 = m8, t9 = m9, t10 = m10, t11 = m11, t12 = m12, t13 = m13, t14 = m14, t15 = m15;
    m0 = t2; m1 = t6; m2 = t3; m3 = t10; m4 = t7; m5 = t0; m6 = t4; m7 = t13;
    m8 = t1; m9 = t11; m10 = t12; m11 = t5; m12 = t9; m13 = t14; m14 = t15; m15 = t8;
  }

  store<u32>(out, v0 ^ v8, 0);
  store<u32>(out, v1 ^ v9, 4);
  store<u32>(out, v2 ^ v10, 8);
  store<u32>(out, v3 ^ v11, 12);
  store<u32>(out, v4 ^ v12, 16);
  store<u32>(out, v5 ^ v13, 20);
  store<u32>(out, v6 ^ v14, 24);
  store<u32>(out, v7 ^ v15, 28);
}

/** Hashes one chunk (up to 1024 bytes; 0 only for the empty input) into the CV slot `out`. */
function chunk(input: usize, len: usize, counter: u64, base: u32, root: bool, out: usize): void {
  memory.copy(out, KEY_WORDS, 32);
  let flags = base | CHUNK_START;
  // Strictly greater: a chunk's last block, even a full one, must carry CHUNK_END.
  while (len > BLOCK_LEN) {
    compress(out, input, <u32>BLOCK_LEN, counter, flags, out);
    input += BLOCK_LEN;
    len -= BLOCK_LEN;
    flags = base;
  }
  memory.fill(TAIL_BLOCK, 0, BLOCK_LEN);
  memory.copy(TAIL_BLOCK, input, len);
  flags |= CHUNK_END;
  if (root) flags |= ROOT;
  compress(out, TAIL_BLOCK, <u32>len, counter, flags, out);
}

/** Replaces the two CVs at `slot` (64 contiguous bytes) with their parent's CV. */
function parent(slot: usize, base: u32, root: bool): void {
  compress(KEY_WORDS, slot, <u32>BLOCK_LEN, 0, base | PARENT | (root ? ROOT : 0), slot);
}

function hashTree(input: usize, len: usize, base: u32, out: usize): void {
  let depth: usize = 0;
  let chunks: u64 = 0;
  // Every chunk but the last is hashed here; the last one is held back because only it can be
  // the root (when it is the only chunk), and the root needs its own flag.
  while (len > CHUNK_LEN) {
    chunk(input, CHUNK_LEN, chunks, base, false, STACK + depth * 32);
    chunks++;
    // Merge completed subtrees eagerly: each trailing zero bit of the chunk count is a pair of
    // equal-sized subtrees. Never merging the final pair here keeps the root decision for later.
    let total = chunks;
    while ((total & 1) == 0) {
      depth--;
      parent(STACK + depth * 32, base, false);
      total >>= 1;
    }
    depth++;
    input += CHUNK_LEN;
    len -= CHUNK_LEN;
  }
  chunk(input, len, chunks, base, depth == 0, STACK + depth * 32);
  while (depth > 0) {
    depth--;
    parent(STACK + depth * 32, base, depth == 0);
  }
  memory.copy(out, STACK, BLOCK_LEN / 2);
}

/** BLAKE3(input[0..len)) → 32 bytes at `out`. */
export function blake3(input: usize, len: usize, out: usize): void {
  store<u32>(KEY_WORDS, IV0, 0);
  store<u32>(KEY_WORDS, IV1, 4);
  store<u32>(KEY_WORDS, IV2, 8);
  store<u32>(KEY_WORDS, IV3, 12);
  store<u32>(KEY_WORDS, IV4, 16);
  store<u32>(KEY_WORDS, IV5, 20);
  store<u32>(KEY_WORDS, IV6, 24);
  store<u32>(KEY_WORDS, IV7, 28);
  hashTree(input, len, 0, out);
}

/** BLAKE3 keyed hash: 32-byte `key`, input[0..len) → 32 bytes at `out`. */
export function blake3Keyed(key: usize, input: usize, len: usize, out: usize): void {
  // wasm is little-endian, so the key bytes are already the key words BLAKE3 expects.
  memory.copy(KEY_WORDS, key, BLAKE3_KEY_LEN);
  hashTree(input, len, KEYED_HASH, out);
}

/** Compares two 32-byte digests without an early exit, so timing reveals no matching prefix. */
export function digestEqual(a: usize, b: usize): bool {
  let diff: u32 = 0;
  for (let i: usize = 0; i < 32; i += 4) diff |= load<u32>(a + i) ^ load<u32>(b + i);
  return diff == 0;
}
