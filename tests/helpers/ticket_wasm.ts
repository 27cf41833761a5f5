// Compiles and loads the test-only AssemblyScript entry tests/assembly/ticket_entry.ts, which
// exposes the core's BLAKE3 and ticket verifier (the same sources as out/cohesix.wasm).

import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildOnce } from "./build_once.js";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

interface RawExports {
  memory: WebAssembly.Memory;
  inBuf(): number;
  inCap(): number;
  outBuf(): number;
  hash(ptr: number, len: number, out: number): void;
  keyedHash(key: number, ptr: number, len: number, out: number): void;
  decode(ptr: number, len: number): number;
  verify(textLen: number, roleLen: number, nowMs: bigint): number;
}

export interface VerifyRefused {
  ok: false;
  reason: string;
  detail: string;
  cause: string;
}

export interface VerifyAccepted {
  ok: true;
  role: string;
  roleIndex: number;
  subject: string;
  ticks: string | null;
  ops: string | null;
  ttl: string | null;
  issuedAt: string;
  expiresAt: string;
  mounts: [string, string];
  scopes: { path: string; verb: number; rate: number }[];
  bandwidth: string;
  resumes: number;
  advances: number;
}

export type VerifyOutcome = VerifyRefused | VerifyAccepted;

export interface TicketWasm {
  hash(input: Uint8Array): Uint8Array;
  keyedHash(key: Uint8Array, input: Uint8Array): Uint8Array;
  /** The decoder's ClaimsError (0 = decoded). */
  decode(claims: Uint8Array): number;
  verify(text: string, role: string, nowMs: bigint): VerifyOutcome;
  /** Raw text bytes (any UTF-8, or not), for fuzzing the verifier. */
  verifyBytes(text: Uint8Array, role: string, nowMs: bigint): VerifyOutcome;
}

/** Compiles the entry once (build_once.ts) and shares it between test files. */
export function buildTicketWasm(): string {
  return buildOnce("ticket", "ticket.wasm", ["assembly", "tests/assembly"], "release", (dir) => {
    const asc = spawnSync(
      join(ROOT, "node_modules/.bin/asc"),
      ["--config", "tests/assembly/asconfig.json", "--target", "release", "--outFile", join(dir, "ticket.wasm")],
      { cwd: ROOT, encoding: "utf8" },
    );
    if (asc.status !== 0) throw new Error(`asc failed (${asc.status}):\n${asc.stderr}`);
  });
}

/** Loads the shared build (`tag` is kept for the callers). */
export async function loadTicketWasm(tag: string): Promise<TicketWasm> {
  const outFile = buildTicketWasm();
  const imports = {
    env: {
      abort(_msg: number, _file: number, line: number, col: number): never {
        throw new Error(`AssemblyScript abort at ${line}:${col}`);
      },
    },
  };
  const { instance } = await WebAssembly.instantiate(readFileSync(outFile), imports);
  const x = instance.exports as unknown as RawExports;
  const IN = x.inBuf() >>> 0;
  const OUT = x.outBuf() >>> 0;
  const CAP = x.inCap();
  const mem = (): Uint8Array => new Uint8Array(x.memory.buffer);

  const put = (bytes: Uint8Array, at = 0): void => {
    if (at + bytes.length > CAP) throw new Error(`input of ${bytes.length} bytes exceeds the test buffer`);
    mem().set(bytes, IN + at);
  };
  const verifyBytes = (text: Uint8Array, role: string, nowMs: bigint): VerifyOutcome => {
    const r = Buffer.from(role, "utf8");
    put(text);
    put(r, text.length);
    const n = x.verify(text.length, r.length, nowMs);
    return JSON.parse(Buffer.from(mem().slice(OUT, OUT + n)).toString("utf8")) as VerifyOutcome;
  };

  return {
    hash(input) {
      put(input);
      x.hash(IN, input.length, OUT);
      return mem().slice(OUT, OUT + 32);
    },
    keyedHash(key, input) {
      if (key.length !== 32) throw new Error("key must be 32 bytes");
      put(key);
      put(input, 32);
      x.keyedHash(IN, IN + 32, input.length, OUT);
      return mem().slice(OUT, OUT + 32);
    },
    decode(claims) {
      put(claims);
      return x.decode(IN, claims.length);
    },
    verify(text, role, nowMs) {
      return verifyBytes(Buffer.from(text, "utf8"), role, nowMs);
    },
    verifyBytes,
  };
}
