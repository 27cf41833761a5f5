// TEST-ONLY AssemblyScript entry (never part of out/cohesix.wasm): drives the core's /kmesg ring
// (assembly/trace/kmesg.ts) past its bounds, which a booted core never reaches on its own (it
// prints a handful of boot lines). Lines cross as UTF-8 in IN; reads come back in OUT.

import { Kmesg } from "../../assembly/trace/kmesg";

const IN_CAP: i32 = 8192;
const OUT_CAP: i32 = 1 << 20;
// Unmanaged, so the GC never moves or frees what JS reads and writes there.
const IN: usize = heap.alloc(<usize>IN_CAP);
const OUT: usize = heap.alloc(<usize>OUT_CAP);

// The manifest's bounds, as in the core.
const ring: Kmesg = new Kmesg();

export function inBuf(): usize {
  return IN;
}

export function outBuf(): usize {
  return OUT;
}

export function bounds(): i64 {
  return (<i64>ring.maxLines << 32) | <i64>ring.lineBytes;
}

export function record(len: i32): void {
  ring.record(String.UTF8.decodeUnsafe(IN, <usize>len));
}

export function dropped(): u64 {
  return ring.dropped;
}

export function total(): u64 {
  return ring.total;
}

/** The ring's lines, oldest first, joined by LF, into OUT; returns the byte count. */
export function dump(): i32 {
  const text = ring.read().join("\n");
  const n = String.UTF8.byteLength(text);
  if (n > OUT_CAP) return -1;
  String.UTF8.encodeUnsafe(changetype<usize>(text), text.length, OUT);
  return n;
}
