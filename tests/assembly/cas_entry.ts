// TEST-ONLY AssemblyScript entry (never part of out/cohesix.wasm): exposes the core's SHA-512,
// Ed25519 verifier, bounded CBOR reader and CAS manifest decoder to vitest (tests/cas_*.test.ts)
// through raw exports. Inputs go into the IN scratch buffer; structured results come back as JSON
// in OUT.

import { sha512, sha512Final, sha512Init, sha512Update } from "../../assembly/crypto/sha512";
import { ed25519Verify } from "../../assembly/crypto/ed25519";
import { CborReader } from "../../assembly/cbor/read";
import { decodeManifest } from "../../assembly/cas/manifest";

const IN_CAP: i32 = 1 << 20;
const OUT_CAP: i32 = 1 << 16;
// Unmanaged, so the GC never moves or frees what JS writes into it.
const IN: usize = heap.alloc(<usize>IN_CAP);
const OUT: usize = heap.alloc(<usize>OUT_CAP);

export function inBuf(): usize {
  return IN;
}

export function inCap(): i32 {
  return IN_CAP;
}

export function outBuf(): usize {
  return OUT;
}

export function hash512(ptr: usize, len: i32, out: usize): void {
  sha512(ptr, <usize>len, out);
}

/** The same digest fed in `step`-byte updates (exercises the streaming buffer). */
export function hash512Steps(ptr: usize, len: i32, step: i32, out: usize): void {
  sha512Init();
  let off = 0;
  while (off < len) {
    const n = min<i32>(step, len - off);
    sha512Update(ptr + <usize>off, <usize>n);
    off += n;
  }
  sha512Final(out);
}

export function verify(pub: usize, sig: usize, msg: usize, msgLen: i32): i32 {
  return ed25519Verify(pub, sig, msg, <usize>msgLen) ? 1 : 0;
}

const HEX = "0123456789abcdef";

function hex(p: usize, n: i32): string {
  let s = "";
  for (let i = 0; i < n; i++) {
    const b = load<u8>(p + <usize>i);
    s += HEX.charAt(b >> 4) + HEX.charAt(b & 15);
  }
  return s;
}

/** A JSON string literal. */
function q(s: string): string {
  let o = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22 || c == 0x5c) o += "\\" + String.fromCharCode(c);
    else if (c < 0x20) o += "\\u00" + HEX.charAt(c >> 4) + HEX.charAt(c & 15);
    else o += String.fromCharCode(c);
  }
  return o + '"';
}

function put(s: string): i32 {
  const b = String.UTF8.encode(s, false);
  const n = b.byteLength < OUT_CAP ? b.byteLength : OUT_CAP;
  memory.copy(OUT, changetype<usize>(b), <usize>n);
  return n;
}

/** Skips one CBOR item with the bounded reader: {"err":n,"reason":"…","pos":n}. */
export function cborSkip(ptr: usize, len: i32, maxDepth: i32): i32 {
  const r = new CborReader(ptr, len, maxDepth, true);
  r.skip();
  r.finish();
  return put('{"err":' + (<i32>r.err).toString() + ',"reason":' + q(r.reason) + ',"pos":' + r.pos.toString() + "}");
}

/** Decodes a manifest: {"err":n,"message":"…"} or the decoded fields. */
export function manifest(ptr: usize, len: i32, maxChunks: i32): i32 {
  const res = decodeManifest(ptr, len, maxChunks);
  const m = res.manifest;
  if (m == null) return put('{"err":' + (<i32>res.err).toString() + ',"message":' + q(res.message) + "}");
  let chunks = "[";
  for (let i = 0; i < m.chunkCount; i++) chunks += (i > 0 ? "," : "") + '"' + hex(m.chunks.dataStart + <usize>(i * 32), 32) + '"';
  chunks += "]";
  return put(
    '{"err":0,"epoch":' + q(m.epoch) + ',"chunkBytes":' + m.chunkBytes.toString() + ',"payloadBytes":' + m.payloadBytes.toString() +
    ',"payloadSha256":"' + hex(m.payloadSha.dataStart, 32) + '","chunks":' + chunks +
    ',"delta":' + (m.hasDelta ? '{"baseEpoch":' + q(m.deltaEpoch) + ',"baseSha256":"' + hex(m.deltaSha.dataStart, 32) + '"}' : "null") +
    ',"signature":' + (m.hasSignature ? '"' + hex(m.signature.dataStart, 64) + '"' : "null") +
    ',"signedPrefix":' + m.signedPrefix.toString() + "}",
  );
}

// ---- the /updates store (assembly/cas/store.ts), driven without the namespace ----------------

import { CasConfig, CasStore } from "../../assembly/cas/store";
import { committedChunks, statusCbor, statusLines, storeStatus } from "../../assembly/cas/status";

let store: CasStore = new CasStore(new CasConfig());

export function casNew(chunkBytesMax: i32, chunksMax: i32, manifestBytesMax: i32, storeBytes: i32, epochsMax: i32, delta: i32, reinstall: i32): void {
  const c = new CasConfig();
  c.chunkBytesMax = chunkBytesMax;
  c.chunksMax = chunksMax;
  c.manifestBytesMax = manifestBytesMax;
  c.storeBytes = storeBytes;
  c.epochsMax = epochsMax;
  c.deltaEnabled = delta != 0;
  c.allowReinstall = reinstall != 0;
  store = new CasStore(c);
}

/** Adds the 32-byte public key at IN. */
export function casKey(): void {
  const k = new Uint8Array(32);
  memory.copy(k.dataStart, IN, 32);
  store.cfg.keys.push(k);
}

function strings(a: string[]): string {
  let s = "[";
  for (let i = 0; i < a.length; i++) s += (i > 0 ? "," : "") + q(a[i]);
  return s + "]";
}

/** kind 0: chunk, 1: manifest. IN = epoch ‖ name ‖ data. {"err":kind,"message":…,"logs":[…]}. */
export function casWrite(kind: i32, epochLen: i32, nameLen: i32, dataLen: i32): i32 {
  const en = String.UTF8.decodeUnsafe(IN, <usize>epochLen);
  const name = String.UTF8.decodeUnsafe(IN + <usize>epochLen, <usize>nameLen);
  const data = IN + <usize>(epochLen + nameLen);
  const err = kind == 0 ? store.writeChunk(en, name, data, dataLen) : store.writeManifest(en, data, dataLen);
  const logs = strings(store.logs);
  store.logs = [];
  return put('{"err":' + (err == null ? "0" : err.kind.toString()) + ',"message":' + q(err == null ? "" : err.message) + ',"logs":' + logs + "}");
}

/** IN = epoch. {"status":[…],"cbor":"hex","chunks":[…],"store":[…],"used":n} */
export function casStatus(epochLen: i32): i32 {
  const en = String.UTF8.decodeUnsafe(IN, <usize>epochLen);
  const c = statusCbor(store, en);
  return put(
    '{"status":' + strings(statusLines(store, en)) + ',"cbor":"' + hex(c.dataStart, c.length) + '","chunks":' + strings(committedChunks(store, en)) +
    ',"store":' + strings(storeStatus(store)) + ',"used":' + store.used.toString() + ',"epochs":' + strings(store.epochNames()) + "}",
  );
}
