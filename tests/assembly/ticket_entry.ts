// TEST-ONLY AssemblyScript entry (never part of out/cohesix.wasm): exposes the core's BLAKE3 and
// ticket code to vitest (tests/blake3.test.ts, tests/tickets.test.ts) through raw exports.
// Strings cross as UTF-8 in the scratch buffers; results come back as JSON in OUT.

import { blake3, blake3Keyed } from "../../assembly/crypto/blake3";
import { decodeClaims } from "../../assembly/ticket/claims";
import { verifyTicket } from "../../assembly/ticket/verify";

const IN_CAP: i32 = 1 << 17;
const OUT_CAP: i32 = 4096;
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

export function hash(ptr: usize, len: i32, out: usize): void {
  blake3(ptr, <usize>len, out);
}

export function keyedHash(key: usize, ptr: usize, len: i32, out: usize): void {
  blake3Keyed(key, ptr, <usize>len, out);
}

/** Claims decoder status (ClaimsError) for raw bytes. */
export function decode(ptr: usize, len: i32): i32 {
  return <i32>decodeClaims(ptr, <usize>len).error;
}

const HEX = "0123456789abcdef";

/** A JSON string literal (AssemblyScript has no JSON in its standard library). */
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

/**
 * Verifies the UTF-8 ticket at IN[0, textLen) for the role at IN[textLen, textLen + roleLen);
 * writes the outcome as JSON into OUT and returns its length.
 */
export function verify(textLen: i32, roleLen: i32, nowMs: u64): i32 {
  const text = String.UTF8.decodeUnsafe(IN, <usize>textLen);
  const role = String.UTF8.decodeUnsafe(IN + <usize>textLen, <usize>roleLen);
  const r = verifyTicket(text, role, nowMs);
  if (!r.ok) {
    return put('{"ok":false,"reason":' + q(r.reason) + ',"detail":' + q(r.detail) + ',"cause":' + q(r.cause) + "}");
  }
  let scopes = "[";
  for (let i = 0; i < r.scopes.length; i++) {
    const s = r.scopes[i];
    if (i > 0) scopes += ",";
    scopes += '{"path":' + q(s.path) + ',"verb":' + s.verb.toString() + ',"rate":' + s.ratePerS.toString() + "}";
  }
  scopes += "]";
  const c = r.claims!;
  return put(
    '{"ok":true,"role":' + q(r.role) + ',"roleIndex":' + r.roleIndex.toString() + ',"subject":' + q(r.subject) +
    ',"ticks":' + (r.hasTicks ? '"' + r.ticks.toString() + '"' : "null") +
    ',"ops":' + (r.hasOps ? '"' + r.ops.toString() + '"' : "null") +
    ',"ttl":' + (r.hasTtl ? '"' + r.ttlS.toString() + '"' : "null") +
    ',"issuedAt":"' + r.issuedAtMs.toString() + '","expiresAt":"' + r.expiresAtMs.toString() + '"' +
    ',"mounts":[' + q(c.mountService) + "," + q(c.mountAt) + "]" +
    ',"scopes":' + scopes +
    ',"bandwidth":"' + r.bandwidthBytes.toString() + '","resumes":' + r.cursorResumes.toString() +
    ',"advances":' + r.cursorAdvances.toString() + "}",
  );
}
