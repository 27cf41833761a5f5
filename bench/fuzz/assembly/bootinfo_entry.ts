// FUZZ-ONLY AssemblyScript entry (never part of out/cohesix.wasm): the core's bootinfo reader
// (assembly/platform/bootinfo.ts, the same source) behind one export, so bench/fuzz can feed it
// millions of blobs without booting a core per blob. The blob comes through the same
// plat.bootinfo_len / plat.bootinfo_read imports the platforms provide.

import { loadBootInfo } from "../../../assembly/platform/bootinfo";

/** 0 = accepted, 1 = refused with a reason (never a trap). */
export function parse(): i32 {
  return loadBootInfo().info == null ? 1 : 0;
}

/** Between inputs: nothing managed is live on the stack here. */
export function collect(): void {
  __collect();
}
