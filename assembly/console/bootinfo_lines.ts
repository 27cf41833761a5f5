// The bi / caps / mem report lines, shared by the serial root console and the TCP console.

import { BootInfo } from "../platform/bootinfo";
import { hex, slot } from "./format";

export function bootinfoLines(bi: BootInfo): string[] {
  const untypedEnd = bi.untypedStart + <u32>bi.untyped.length;
  return [
    "[bi] node_bits=" + bi.nodeBits.toString() + " empty=[" + slot(bi.emptyStart) + ".." + slot(bi.emptyEnd) + ")" + " ipc=" + hex(bi.ipcBuffer),
    "[bi] untyped=[" + slot(bi.untypedStart) + ".." + slot(untypedEnd) + ")" + " gic=v" + bi.gicVersion.toString(),
  ];
}

export function capsLines(bi: BootInfo): string[] {
  return [
    "[caps] root=" + slot(bi.slotRootCNode) + " ep=" + slot(bi.slotEndpoint) + " uart=" + slot(bi.slotUart),
    "[caps] tcb=" + slot(bi.slotTcb) + " vspace=" + slot(bi.slotVSpace),
  ];
}

export function memLines(bi: BootInfo): string[] {
  const total = bi.untyped.length;
  const ram = bi.ramCount();
  let largest: u8 = 0;
  for (let i = 0; i < bi.untyped.length; i++) {
    const u = bi.untyped[i];
    if (!u.isDevice && u.sizeBits > largest) largest = u.sizeBits;
  }
  return [
    "[mem] untyped caps=" + total.toString() + " ram_ut=" + ram.toString() + " device_ut=" + (<u32>total - ram).toString(),
    "[mem] ram_bytes=" + bi.bytes(false).toString() + " device_bytes=" + bi.bytes(true).toString() + " largest_ram_bits=" + largest.toString(),
  ];
}
