// CBI1 bootinfo synthesis for the Node host: the same steps seL4-shim/src/bootinfo.c runs on the
// ranges it reads from the DTB (docs/PLATFORM_ABI.md), applied to a synthetic QEMU `virt` machine.

export interface Range {
  base: bigint;
  size: bigint;
}

export interface MachineDescription {
  ram: Range[];
  /** Register frames the kernel keeps (GIC distributor, redistributor / CPU interface). */
  kernelDevices: Range[];
  uart: Range;
  gicVersion: 2 | 3;
  dtbPaddr: bigint;
}

export const CBI_MAGIC = 0x31494243;
export const HEADER_BYTES = 64;
export const UNTYPED_BYTES = 16;
export const MAX_UNTYPED = 230;
export const NODE_BITS = 12;
export const KERNEL_WINDOW = 64n << 20n;
const PAGE = 0x1000n;
const MIN_BITS = 4;
const MAX_BITS = 47;

export const SLOT_TCB = 1;
export const SLOT_CNODE = 2;
export const SLOT_VSPACE = 3;
export const SLOT_ENDPOINT = 15;
export const SLOT_UART = 16;
export const SLOT_FIRST_UNTYPED = 17;

/** QEMU `-M virt` with `-smp 1`: the ranges its generated DTB describes. */
export function virtMachine(ramMiB = 1024, gicVersion: 2 | 3 = 3): MachineDescription {
  const gic: Range[] =
    gicVersion === 3
      ? [
          { base: 0x08000000n, size: 0x10000n },
          { base: 0x080a0000n, size: 0xf60000n },
        ]
      : [
          { base: 0x08000000n, size: 0x10000n },
          { base: 0x08010000n, size: 0x10000n },
        ];
  return {
    ram: [{ base: 0x40000000n, size: BigInt(ramMiB) << 20n }],
    kernelDevices: gic,
    uart: { base: 0x09000000n, size: 0x1000n },
    gicVersion,
    dtbPaddr: 0n,
  };
}

export interface UntypedDesc {
  paddr: bigint;
  sizeBits: number;
  isDevice: boolean;
}

function pageDown(v: bigint): bigint {
  return v & ~(PAGE - 1n);
}
function pageUp(v: bigint): bigint {
  return (v + PAGE - 1n) & ~(PAGE - 1n);
}

/** [start, end) minus every hole, as sorted disjoint ranges. */
function subtract(start: bigint, end: bigint, holes: Range[]): Array<[bigint, bigint]> {
  let parts: Array<[bigint, bigint]> = [[start, end]];
  for (const h of holes) {
    const hs = pageDown(h.base);
    const he = pageUp(h.base + h.size);
    const next: Array<[bigint, bigint]> = [];
    for (const [s, e] of parts) {
      if (he <= s || hs >= e) {
        next.push([s, e]);
        continue;
      }
      if (s < hs) next.push([s, hs]);
      if (he < e) next.push([he, e]);
    }
    parts = next;
  }
  return parts;
}

function trailingZeros(v: bigint): number {
  if (v === 0n) return MAX_BITS;
  let n = 0;
  while ((v & 1n) === 0n) {
    v >>= 1n;
    n++;
  }
  return n;
}

function log2Floor(v: bigint): number {
  let n = -1;
  while (v > 0n) {
    v >>= 1n;
    n++;
  }
  return n;
}

/** Cuts [start, end) into the largest naturally aligned power-of-two blocks, ascending. */
export function splitPow2(start: bigint, end: bigint, isDevice: boolean, out: UntypedDesc[]): void {
  let cur = start;
  while (cur < end) {
    const bits = Math.min(trailingZeros(cur), log2Floor(end - cur), MAX_BITS);
    if (bits < MIN_BITS) break;
    out.push({ paddr: cur, sizeBits: bits, isDevice });
    cur += 1n << BigInt(bits);
  }
}

export function synthesizeUntyped(m: MachineDescription): UntypedDesc[] {
  const all: UntypedDesc[] = [];
  const ram = [...m.ram].sort((a, b) => (a.base < b.base ? -1 : 1));
  if (ram.length === 0) return all;
  const first = ram[0];
  const deviceParts = subtract(0n, first.base, [...m.kernelDevices, m.uart]);
  for (const [s, e] of deviceParts) splitPow2(s, e, true, all);
  ram.forEach((r, i) => {
    const start = i === 0 ? r.base + KERNEL_WINDOW : r.base;
    const end = r.base + r.size;
    if (start < end) splitPow2(start, end, false, all);
  });
  all.sort((a, b) => (a.paddr < b.paddr ? -1 : a.paddr > b.paddr ? 1 : 0));
  return all.slice(0, MAX_UNTYPED);
}

export function encodeBootInfo(m: MachineDescription): Uint8Array {
  const ut = synthesizeUntyped(m);
  const total = HEADER_BYTES + ut.length * UNTYPED_BYTES;
  const buf = new Uint8Array(total);
  const v = new DataView(buf.buffer);
  const emptyStart = SLOT_FIRST_UNTYPED + ut.length;
  v.setUint32(0, CBI_MAGIC, true);
  v.setUint16(4, 1, true);
  v.setUint16(6, HEADER_BYTES, true);
  v.setUint32(8, total, true);
  v.setUint8(12, NODE_BITS);
  v.setUint8(13, m.gicVersion);
  v.setUint16(14, ut.length, true);
  v.setUint32(16, emptyStart, true);
  v.setUint32(20, 1 << NODE_BITS, true);
  v.setUint32(24, SLOT_FIRST_UNTYPED, true);
  v.setUint32(28, SLOT_CNODE, true);
  v.setUint32(32, SLOT_TCB, true);
  v.setUint32(36, SLOT_VSPACE, true);
  v.setUint32(40, SLOT_ENDPOINT, true);
  v.setUint32(44, SLOT_UART, true);
  v.setBigUint64(48, (m.ram[0]?.base ?? 0n) + KERNEL_WINDOW - PAGE, true);
  v.setBigUint64(56, m.dtbPaddr, true);
  ut.forEach((u, i) => {
    const o = HEADER_BYTES + i * UNTYPED_BYTES;
    v.setBigUint64(o, u.paddr, true);
    v.setUint8(o + 8, u.sizeBits);
    v.setUint8(o + 9, u.isDevice ? 1 : 0);
  });
  return buf;
}
