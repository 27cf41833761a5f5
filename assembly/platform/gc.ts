// Garbage collection with headroom. The core uses AssemblyScript's minimal runtime (TCMS): no
// write barriers or incremental steps on the request path (they cost ~10x a PING's own work),
// and a full collection only at a safe point, when every managed object still in use is
// reachable from a global (the stack is not scanned).
//
// Why headroom and not a count: a collector that runs "every N events" can be outrun: one TCP
// segment carries ~100 requests, and ~100 renders of /proc/boot between two collections filled
// the 16 MiB cap (issue 10, finding 1). So the policy looks at the allocator itself: before each
// request (a safe point between frames) and at the end of each event, if the largest free block
// is below the headroom, collect; if it still is, let the allocator grow now (while growing is
// still possible) rather than in the middle of a request. A request is only started when the
// headroom is there; otherwise the surfaces refuse it (`busy`, counted in /proc/pressure).
//
// The free-block figure comes from the TLSF allocator's own bitmaps (std/assembly/rt/tlsf.ts,
// whose root sits at __heap_base rounded up to 16): the highest non-empty size classes hold the
// largest blocks. Reading them is a few loads and a walk of at most WALK_MAX list entries, so it
// is cheap enough to do before every request. Test-only cores built with the stub runtime (no
// TLSF) see 0 free and never collect.

import { EVENT_PUMP_GC_HEADROOM_BYTES, EVENT_PUMP_GC_INTERVAL_MS } from "../generated/manifest";

/** Bytes that must be free before a request starts: the most one request may allocate, plus slack. */
export const GC_HEADROOM_BYTES: usize = <usize>EVENT_PUMP_GC_HEADROOM_BYTES;
/** The largest single allocation a request may make (a P9 frame buffer, a rendered file). */
export const GC_BLOCK_BYTES: usize = 256 << 10;
/** The linear-memory cap (asconfig.json maximumMemory), in 64 KiB pages. */
export const MAX_PAGES: i32 = 256;

// TLSF layout (AssemblyScript 0.28, wasm32): Root = flMap (usize), slMap u32[FL_BITS] from offset
// 4, list heads usize[FL_BITS][SL_SIZE] from HL_START; a free block = mmInfo, prev, next.
const SL_BITS: usize = 4;
const SL_SIZE: usize = 16;
const FL_BITS: usize = 23; // 31 - (SL_BITS + AL_BITS)
const SL_START: usize = 4;
const HL_START: usize = (SL_START + (FL_BITS << 2) + 15) & ~15;
const TAGS_MASK: usize = 3;
const BLOCK_NEXT: usize = 8;
// The one list walked per check is cut short here: the figure stays a lower bound.
const WALK_MAX: i32 = 32;

export class GcStats {
  collections: u64 = 0;
  safePointCollections: u64 = 0;
  grows: u64 = 0;
  /** Highest linear memory seen, in pages. */
  pagesHigh: i32 = 0;
  /** Lowest free estimate seen right before a request or at the end of an event. */
  freeLow: usize = usize.MAX_VALUE;
  /** Requests refused because the headroom could not be restored (also counted as busy). */
  refused: u64 = 0;
}

export const gcStats = new GcStats();

let lastCollect: u64 = 0;

/** The TLSF root, or 0 under the stub runtime (ASC_RUNTIME 0), which has no free lists. */
function tlsfRoot(): usize {
  return ASC_RUNTIME == 0 ? 0 : (__heap_base + 15) & ~15;
}

/** The largest free block the allocator holds now (a lower bound), without growing memory. */
export function largestFree(): usize {
  const root = tlsfRoot();
  if (root == 0) return 0;
  const fl = load<usize>(root);
  if (fl == 0) return 0;
  const f: usize = 31 - <usize>clz<u32>(<u32>fl);
  const slMap = load<u32>(root + (f << 2), SL_START);
  if (slMap == 0) return 0;
  const s: usize = 31 - <usize>clz<u32>(slMap);
  let b = load<usize>(root + (((f << SL_BITS) + s) << 2), HL_START);
  let best: usize = 0;
  for (let i = 0; i < WALK_MAX && b != 0; i++) {
    const size = load<usize>(b) & ~TAGS_MASK;
    if (size > best) best = size;
    b = load<usize>(b, BLOCK_NEXT);
  }
  return best;
}

/**
 * Free bytes in the largest free blocks (at most WALK_MAX of them, biggest size classes first):
 * a lower bound of what is free that the hot path can afford to compute. Small fragments are
 * left out on purpose; they serve small allocations but cannot be counted on as headroom.
 */
export function freeEstimate(): usize {
  const root = tlsfRoot();
  if (root == 0) return 0;
  let left = WALK_MAX;
  let total: usize = 0;
  let flMap = <u32>load<usize>(root);
  while (flMap != 0 && left > 0) {
    const f: usize = 31 - <usize>clz<u32>(flMap);
    flMap &= ~(<u32>1 << <u32>f);
    let slMap = load<u32>(root + (f << 2), SL_START);
    while (slMap != 0 && left > 0) {
      const s: usize = 31 - <usize>clz<u32>(slMap);
      slMap &= ~(<u32>1 << <u32>s);
      let b = load<usize>(root + (((f << SL_BITS) + s) << 2), HL_START);
      while (b != 0 && left > 0) {
        total += load<usize>(b) & ~TAGS_MASK;
        b = load<usize>(b, BLOCK_NEXT);
        left--;
      }
    }
  }
  return total;
}

/** Headroom is there: enough free in big blocks, and one block big enough for the largest single allocation. */
function roomy(): bool {
  return freeEstimate() >= GC_HEADROOM_BYTES && largestFree() >= GC_BLOCK_BYTES;
}

/** Everything the allocator holds free (all lists walked; for /proc/memory, not the hot path). */
export function totalFree(): usize {
  const root = tlsfRoot();
  if (root == 0) return 0;
  let total: usize = 0;
  for (let f: usize = 0; f < FL_BITS; f++) {
    for (let s: usize = 0; s < SL_SIZE; s++) {
      let b = load<usize>(root + (((f << SL_BITS) + s) << 2), HL_START);
      while (b != 0) {
        total += load<usize>(b) & ~TAGS_MASK;
        b = load<usize>(b, BLOCK_NEXT);
      }
    }
  }
  return total;
}

/** Bytes still obtainable by growing linear memory up to the cap. */
function growable(): usize {
  const pages = memory.size();
  return pages < MAX_PAGES ? (<usize>(MAX_PAGES - pages)) << 16 : 0;
}

function note(): void {
  const pages = memory.size();
  if (pages > gcStats.pagesHigh) gcStats.pagesHigh = pages;
}

/**
 * Restores the headroom: collect, then, if the largest block is still short, make the allocator
 * grow now (a block allocated and freed at once; it merges back into the free tail).
 * Call only at a safe point.
 */
function restore(now: u64): void {
  __collect();
  gcStats.collections++;
  lastCollect = now;
  if (!roomy() && growable() >= GC_HEADROOM_BYTES + 0x20000) {
    heap.free(heap.alloc(GC_HEADROOM_BYTES));
    gcStats.grows++;
  }
  note();
}

/**
 * Before a request: true when the headroom is there (collecting first if it was not). False
 * means the request must be refused with `busy`: even a full collection and growing up to the
 * cap cannot give it the bytes one request may need.
 * Call only between requests, when all live state is reachable from globals.
 */
export function safePoint(now: u64): bool {
  if (ASC_RUNTIME == 0) return true;
  const free = freeEstimate();
  if (free < gcStats.freeLow) gcStats.freeLow = free;
  if (free >= GC_HEADROOM_BYTES && largestFree() >= GC_BLOCK_BYTES) return true;
  restore(now);
  gcStats.safePointCollections++;
  if (roomy() || growable() >= GC_HEADROOM_BYTES + 0x20000) return true;
  gcStats.refused++;
  return false;
}

/** Call only at the very end of an export, after all work: nothing may be live on the stack. */
export function collectIfDue(now: u64): void {
  if (ASC_RUNTIME == 0) return;
  const free = freeEstimate();
  if (free < gcStats.freeLow) gcStats.freeLow = free;
  // The interval keeps an idle core's heap compact; headroom is what keeps a busy one alive.
  if (free < GC_HEADROOM_BYTES || largestFree() < GC_BLOCK_BYTES || now - lastCollect >= <u64>EVENT_PUMP_GC_INTERVAL_MS) restore(now);
  else note();
}

/** /proc/memory: now, high-water marks and what the collector did (read on demand only). */
export function memoryLines(): string[] {
  const pages = memory.size();
  note();
  return [
    "pages=" + pages.toString() + " bytes=" + (<u64>pages * 65536).toString() + " max_pages=" + MAX_PAGES.toString(),
    "high_water_pages=" + gcStats.pagesHigh.toString() + " high_water_bytes=" + (<u64>gcStats.pagesHigh * 65536).toString(),
    "free_bytes=" + totalFree().toString() + " free_low_water=" + (gcStats.freeLow == usize.MAX_VALUE ? <usize>0 : gcStats.freeLow).toString() +
      " headroom_bytes=" + GC_HEADROOM_BYTES.toString(),
    "collections=" + gcStats.collections.toString() + " safe_point_collections=" + gcStats.safePointCollections.toString() +
      " grows=" + gcStats.grows.toString() + " refused=" + gcStats.refused.toString(),
  ];
}
