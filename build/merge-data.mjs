// Merges the core module's active data segments into one. Binaryen's memory packing leaves
// hundreds of small segments; wasm2c turns each into its own copy at instantiation, which costs
// about 10 ms of boot under QEMU TCG. One segment (gaps zero-filled) costs one copy. Modules
// with passive segments or non-constant offsets are left untouched.
//
//   node build/merge-data.mjs <in.wasm> <out.wasm>

import { readFileSync, writeFileSync } from "node:fs";

function readU32(buf, pos) {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = buf[pos++];
    result |= (b & 0x7f) << shift;
    if ((b & 0x80) === 0) return [result >>> 0, pos];
    shift += 7;
    if (shift > 28) throw new Error("LEB128 u32 too long");
  }
}

function readS32(buf, pos) {
  let result = 0;
  let shift = 0;
  let b;
  do {
    b = buf[pos++];
    result |= (b & 0x7f) << shift;
    shift += 7;
  } while (b & 0x80);
  if (shift < 32 && b & 0x40) result |= ~0 << shift;
  return [result | 0, pos];
}

function u32(v) {
  const out = [];
  do {
    let b = v & 0x7f;
    v >>>= 7;
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
  return out;
}

function s32(v) {
  const out = [];
  for (;;) {
    const b = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return out;
    }
    out.push(b | 0x80);
  }
}

export function mergeData(wasm) {
  if (wasm.readUInt32LE(0) !== 0x6d736100) throw new Error("not a wasm module");
  const sections = [];
  let pos = 8;
  while (pos < wasm.length) {
    const id = wasm[pos];
    const [size, body] = readU32(wasm, pos + 1);
    sections.push({ id, start: pos, body, end: body + size });
    pos = body + size;
  }
  const data = sections.find((s) => s.id === 11);
  if (!data) return { wasm, merged: 0 };
  let [count, p] = readU32(wasm, data.body);
  const segs = [];
  for (let i = 0; i < count; i++) {
    let flags;
    [flags, p] = readU32(wasm, p);
    if (flags !== 0 || wasm[p] !== 0x41) return { wasm, merged: 0, reason: "passive or non-constant segment" };
    let offset;
    [offset, p] = readS32(wasm, p + 1);
    if (wasm[p++] !== 0x0b) return { wasm, merged: 0, reason: "unexpected offset expression" };
    let len;
    [len, p] = readU32(wasm, p);
    segs.push({ offset: offset >>> 0, bytes: wasm.subarray(p, p + len) });
    p += len;
  }
  if (segs.length <= 1) return { wasm, merged: segs.length };
  const lo = Math.min(...segs.map((s) => s.offset));
  const hi = Math.max(...segs.map((s) => s.offset + s.bytes.length));
  const image = Buffer.alloc(hi - lo);
  // Later segments win where they overlap, as instantiation would apply them in order.
  for (const s of segs) s.bytes.copy(image, s.offset - lo);
  const seg = Buffer.from([...u32(1), 0x00, 0x41, ...s32(lo), 0x0b, ...u32(image.length)]);
  const body = Buffer.concat([seg, image]);
  const newData = Buffer.concat([Buffer.from([11, ...u32(body.length)]), body]);
  const parts = [wasm.subarray(0, 8)];
  for (const s of sections) {
    if (s === data) parts.push(newData);
    else if (s.id === 12) parts.push(Buffer.from([12, ...u32(u32(1).length), ...u32(1)])); // DataCount
    else parts.push(wasm.subarray(s.start, s.end));
  }
  return { wasm: Buffer.concat(parts), merged: segs.length, bytes: image.length };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop())) {
  const [input, output] = process.argv.slice(2);
  const r = mergeData(readFileSync(input));
  writeFileSync(output, r.wasm);
  process.stdout.write(r.merged > 1 ? `${r.merged} segments -> 1 (${r.bytes} bytes)\n` : `unchanged (${r.reason ?? "one segment"})\n`);
}
