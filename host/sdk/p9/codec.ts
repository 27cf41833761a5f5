// 9P2000.L codec for host tools (and the original's classic Topen/Rerror), table-driven:
// each message type lists its fields, and one encoder/decoder handles all of them both ways.
// Frame: size[4] type[1] tag[2] body, little-endian, size counting the whole frame.

import { P9_MESSAGES } from "../../generated/protocol.js";

export interface Qid {
  type: number;
  version: number;
  path: bigint;
}

type Kind = "u8" | "u16" | "u32" | "u64" | "s" | "qid" | "qids" | "names" | "data";
/** [name, kind] or [name, kind, "optional"]: an optional field may be absent at the end of a frame. */
type Field = readonly [string, Kind] | readonly [string, Kind, "optional"];

export const QT_DIR = 0x80;
export const QT_APPEND = 0x40;
export const NOTAG = 0xffff;
export const NOFID = 0xffffffff;

// name, type number, fields: the generated spec (host/coh-rtc/protocol.ts), shared with the guest.
const TABLE: ReadonlyArray<readonly [string, number, ReadonlyArray<Field>]> = P9_MESSAGES as unknown as ReadonlyArray<readonly [string, number, ReadonlyArray<Field>]>;

export const TYPES: Record<string, number> = Object.fromEntries(TABLE.map(([n, t]) => [n, t]));
const BY_TYPE = new Map(TABLE.map(([n, t, f]) => [t, { name: n, fields: f }]));

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Fields = Record<string, any>;

export interface Message {
  name: string;
  type: number;
  tag: number;
  fields: Fields;
}

export class P9CodecError extends Error {}

/** Encodes a message by name; field values: numbers, bigints (u64), strings, Qid, string[], Qid[], Uint8Array. */
export function encode(name: string, tag: number, fields: Fields = {}): Uint8Array {
  const row = TABLE.find((r) => r[0] === name);
  if (!row) throw new P9CodecError(`unknown message ${name}`);
  const parts: Buffer[] = [];
  const int = (n: number, v: number | bigint): Buffer => {
    const b = Buffer.alloc(n);
    if (n === 1) b.writeUInt8(Number(v));
    else if (n === 2) b.writeUInt16LE(Number(v));
    else if (n === 4) b.writeUInt32LE(Number(v) >>> 0);
    else b.writeBigUInt64LE(BigInt(v));
    return b;
  };
  const str = (s: string): Buffer => {
    const body = Buffer.from(s, "utf8");
    if (body.length > 0xffff) throw new P9CodecError("string longer than 65535 bytes");
    return Buffer.concat([int(2, body.length), body]);
  };
  const qid = (q: Qid): Buffer => Buffer.concat([int(1, q.type), int(4, q.version), int(8, q.path)]);
  for (const [fname, kind, opt] of row[2]) {
    if (opt === "optional" && fields[fname] === undefined) continue;
    const v = fields[fname] ?? (kind === "s" ? "" : kind === "names" || kind === "qids" ? [] : kind === "data" ? new Uint8Array(0) : 0);
    if (kind === "u8") parts.push(int(1, v));
    else if (kind === "u16") parts.push(int(2, v));
    else if (kind === "u32") parts.push(int(4, v));
    else if (kind === "u64") parts.push(int(8, v));
    else if (kind === "s") parts.push(str(v));
    else if (kind === "qid") parts.push(qid(v));
    else if (kind === "qids") parts.push(int(2, v.length), ...v.map(qid));
    else if (kind === "names") parts.push(int(2, v.length), ...v.map(str));
    else if (kind === "data") parts.push(int(4, v.length), Buffer.from(v));
  }
  const body = Buffer.concat(parts);
  const head = Buffer.alloc(7);
  head.writeUInt32LE(7 + body.length, 0);
  head.writeUInt8(row[1], 4);
  head.writeUInt16LE(tag, 5);
  return new Uint8Array(Buffer.concat([head, body]));
}

/** Decodes one whole frame; throws P9CodecError for anything malformed. */
export function decode(frame: Uint8Array): Message {
  const b = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
  if (b.length < 7) throw new P9CodecError("frame shorter than its header");
  if (b.readUInt32LE(0) !== b.length) throw new P9CodecError("declared size differs from the frame");
  const type = b.readUInt8(4);
  const tag = b.readUInt16LE(5);
  const row = BY_TYPE.get(type);
  if (!row) throw new P9CodecError(`unknown message type ${type}`);
  let at = 7;
  const need = (n: number): void => {
    if (at + n > b.length) throw new P9CodecError("truncated body");
  };
  const u = (n: number): number => {
    need(n);
    const v = n === 1 ? b.readUInt8(at) : n === 2 ? b.readUInt16LE(at) : b.readUInt32LE(at);
    at += n;
    return v;
  };
  const u64 = (): bigint => {
    need(8);
    const v = b.readBigUInt64LE(at);
    at += 8;
    return v;
  };
  const str = (): string => {
    const n = u(2);
    need(n);
    let s: string;
    try {
      s = new TextDecoder("utf-8", { fatal: true }).decode(b.subarray(at, at + n));
    } catch {
      throw new P9CodecError("string is not UTF-8");
    }
    at += n;
    return s;
  };
  const qid = (): Qid => ({ type: u(1), version: u(4), path: u64() });
  const fields: Fields = {};
  for (const [fname, kind, opt] of row.fields) {
    if (opt === "optional" && at === b.length) continue;
    if (kind === "u8") fields[fname] = u(1);
    else if (kind === "u16") fields[fname] = u(2);
    else if (kind === "u32") fields[fname] = u(4);
    else if (kind === "u64") fields[fname] = u64();
    else if (kind === "s") fields[fname] = str();
    else if (kind === "qid") fields[fname] = qid();
    else if (kind === "qids") fields[fname] = Array.from({ length: u(2) }, qid);
    else if (kind === "names") fields[fname] = Array.from({ length: u(2) }, str);
    else if (kind === "data") {
      const n = u(4);
      need(n);
      fields[fname] = new Uint8Array(b.subarray(at, at + n));
      at += n;
    }
  }
  if (at !== b.length) throw new P9CodecError("bytes left over after the body");
  return { name: row.name, type, tag, fields };
}

export interface Dirent {
  qid: Qid;
  offset: bigint;
  type: number;
  name: string;
}

/** Parses Rreaddir data: qid[13] offset[8] type[1] name[s], repeated. */
export function parseDirents(data: Uint8Array): Dirent[] {
  const b = Buffer.from(data);
  const out: Dirent[] = [];
  let at = 0;
  while (at < b.length) {
    if (at + 24 > b.length) throw new P9CodecError("truncated dirent");
    const q: Qid = { type: b.readUInt8(at), version: b.readUInt32LE(at + 1), path: b.readBigUInt64LE(at + 5) };
    const offset = b.readBigUInt64LE(at + 13);
    const type = b.readUInt8(at + 21);
    const n = b.readUInt16LE(at + 22);
    if (at + 24 + n > b.length) throw new P9CodecError("truncated dirent name");
    out.push({ qid: q, offset, type, name: b.subarray(at + 24, at + 24 + n).toString("utf8") });
    at += 24 + n;
  }
  return out;
}
