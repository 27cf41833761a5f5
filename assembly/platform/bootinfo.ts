// Reader for the CBI1 bootinfo blob (format: docs/PLATFORM_ABI.md). The platform builds it;
// the core only ever reads it, and validates every length before trusting a field.

import { bootinfo_len, bootinfo_read } from "./abi";

export const CBI_MAGIC: u32 = 0x31494243;
export const CBI_VERSION: u16 = 1;
export const CBI_HEADER_BYTES: u32 = 64;
export const CBI_UNTYPED_BYTES: u32 = 16;
// seL4's CONFIG_MAX_NUM_BOOTINFO_UNTYPED_CAPS; the blob may never claim more.
export const CBI_MAX_UNTYPED: u32 = 230;
const CBI_MAX_BYTES: u32 = CBI_HEADER_BYTES + CBI_MAX_UNTYPED * CBI_UNTYPED_BYTES;

export class Untyped {
  constructor(public paddr: u64, public sizeBits: u8, public isDevice: bool) {}
}

export class BootInfo {
  nodeBits: u8 = 0;
  gicVersion: u8 = 0;
  emptyStart: u32 = 0;
  emptyEnd: u32 = 0;
  untypedStart: u32 = 0;
  slotRootCNode: u32 = 0;
  slotTcb: u32 = 0;
  slotVSpace: u32 = 0;
  slotEndpoint: u32 = 0;
  slotUart: u32 = 0;
  ipcBuffer: u64 = 0;
  dtbPaddr: u64 = 0;
  untyped: Untyped[] = [];

  ramCount(): u32 {
    let n: u32 = 0;
    for (let i = 0; i < this.untyped.length; i++) if (!this.untyped[i].isDevice) n++;
    return n;
  }

  bytes(device: bool): u64 {
    let total: u64 = 0;
    for (let i = 0; i < this.untyped.length; i++) {
      const u = this.untyped[i];
      if (u.isDevice == device) total += (<u64>1) << u.sizeBits;
    }
    return total;
  }
}

/** Outcome of reading the blob: either `info` or a short machine-readable `error`. */
export class BootInfoResult {
  constructor(public info: BootInfo | null, public error: string) {}
}

export function loadBootInfo(): BootInfoResult {
  const len = bootinfo_len();
  if (len < CBI_HEADER_BYTES) return new BootInfoResult(null, "short-header");
  if (len > CBI_MAX_BYTES) return new BootInfoResult(null, "oversized");
  const buf = new ArrayBuffer(<i32>len);
  const base = changetype<usize>(buf);
  if (bootinfo_read(base, len) != len) return new BootInfoResult(null, "short-read");
  return parseBootInfo(base, len);
}

export function parseBootInfo(base: usize, len: u32): BootInfoResult {
  if (load<u32>(base) != CBI_MAGIC) return new BootInfoResult(null, "bad-magic");
  if (load<u16>(base + 4) != CBI_VERSION) return new BootInfoResult(null, "bad-version");
  if (<u32>load<u16>(base + 6) != CBI_HEADER_BYTES) return new BootInfoResult(null, "bad-header");
  const total = load<u32>(base + 8);
  const count = <u32>load<u16>(base + 14);
  if (count > CBI_MAX_UNTYPED) return new BootInfoResult(null, "too-many-untyped");
  if (total != len || total != CBI_HEADER_BYTES + count * CBI_UNTYPED_BYTES) {
    return new BootInfoResult(null, "bad-length");
  }
  const bi = new BootInfo();
  bi.nodeBits = load<u8>(base + 12);
  bi.gicVersion = load<u8>(base + 13);
  bi.emptyStart = load<u32>(base + 16);
  bi.emptyEnd = load<u32>(base + 20);
  bi.untypedStart = load<u32>(base + 24);
  bi.slotRootCNode = load<u32>(base + 28);
  bi.slotTcb = load<u32>(base + 32);
  bi.slotVSpace = load<u32>(base + 36);
  bi.slotEndpoint = load<u32>(base + 40);
  bi.slotUart = load<u32>(base + 44);
  bi.ipcBuffer = load<u64>(base + 48);
  bi.dtbPaddr = load<u64>(base + 56);
  if (bi.nodeBits < 4 || bi.nodeBits > 20) return new BootInfoResult(null, "bad-node-bits");
  const slots: u32 = (<u32>1) << bi.nodeBits;
  if (bi.emptyStart > bi.emptyEnd || bi.emptyEnd > slots) return new BootInfoResult(null, "bad-empty-window");
  if (bi.untypedStart + count > bi.emptyStart) return new BootInfoResult(null, "bad-untyped-window");
  for (let i: u32 = 0; i < count; i++) {
    const d = base + CBI_HEADER_BYTES + i * CBI_UNTYPED_BYTES;
    const bits = load<u8>(d + 8);
    if (bits < 4 || bits > 47) return new BootInfoResult(null, "bad-untyped-size");
    bi.untyped.push(new Untyped(load<u64>(d), bits, load<u8>(d + 9) != 0));
  }
  return new BootInfoResult(bi, "");
}
