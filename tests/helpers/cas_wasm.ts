// Compiles and loads the test-only AssemblyScript entry tests/assembly/cas_entry.ts, which exposes
// the core's SHA-512, Ed25519 verifier, bounded CBOR reader and CAS manifest decoder (the same
// sources as out/cohesix.wasm).

import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

interface RawExports {
  memory: WebAssembly.Memory;
  inBuf(): number;
  inCap(): number;
  outBuf(): number;
  hash512(ptr: number, len: number, out: number): void;
  hash512Steps(ptr: number, len: number, step: number, out: number): void;
  verify(pub: number, sig: number, msg: number, msgLen: number): number;
  cborSkip(ptr: number, len: number, maxDepth: number): number;
  manifest(ptr: number, len: number, maxChunks: number): number;
  casNew(chunkBytesMax: number, chunksMax: number, manifestBytesMax: number, storeBytes: number, epochsMax: number, delta: number, reinstall: number): void;
  casKey(): void;
  casWrite(kind: number, epochLen: number, nameLen: number, dataLen: number): number;
  casStatus(epochLen: number): number;
}

export interface StoreLimits {
  chunkBytesMax: number;
  chunksMax: number;
  manifestBytesMax: number;
  storeBytes: number;
  epochsMax: number;
  delta: boolean;
  reinstall: boolean;
}

/** A write's outcome: err 0 = OK, else CE_* of assembly/cas/store.ts; logs = lines it logged. */
export interface StoreWrite {
  err: number;
  message: string;
  logs: string[];
}

export interface StoreView {
  status: string[];
  cbor: string;
  chunks: string[];
  store: string[];
  used: number;
  epochs: string[];
}

/** The guest's /updates store, driven directly (a fresh one per reset()). */
export interface CasStoreWasm {
  reset(limits: StoreLimits, keys: Uint8Array[]): void;
  chunk(epoch: string, name: string, data: Uint8Array): StoreWrite;
  manifest(epoch: string, data: Uint8Array): StoreWrite;
  view(epoch: string): StoreView;
}

export interface GuestManifest {
  err: number;
  message?: string;
  epoch?: string;
  chunkBytes?: number;
  payloadBytes?: number;
  payloadSha256?: string;
  chunks?: string[];
  delta?: { baseEpoch: string; baseSha256: string } | null;
  signature?: string | null;
  signedPrefix?: number;
}

export interface CborSkip {
  err: number;
  reason: string;
  pos: number;
}

export interface CasWasm {
  sha512(input: Uint8Array): Uint8Array;
  sha512Steps(input: Uint8Array, step: number): Uint8Array;
  verify(pub: Uint8Array, sig: Uint8Array, msg: Uint8Array): boolean;
  cborSkip(input: Uint8Array, maxDepth: number): CborSkip;
  manifest(input: Uint8Array, maxChunks: number): GuestManifest;
  store: CasStoreWasm;
}

/** A digest of every AssemblyScript source the entry can reach, so a build is reused only while current. */
function sourceDigest(): string {
  const h = createHash("sha256");
  const walk = (d: string): void => {
    for (const f of readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, f.name);
      if (f.isDirectory()) walk(p);
      else if (f.name.endsWith(".ts") || f.name.endsWith(".json")) h.update(p).update(readFileSync(p));
    }
  };
  walk(join(ROOT, "assembly"));
  walk(join(ROOT, "tests/assembly"));
  return h.digest("hex").slice(0, 16);
}

/**
 * Compiles the entry once per source state to out/test/cas-<digest>.wasm: the CAS test files share
 * it (asc takes most of a minute on a loaded 2-core machine). `tag` names the temporary output, so
 * files compiling at the same moment never write the same path; the rename is atomic.
 */
export async function loadCasWasm(tag: string): Promise<CasWasm> {
  const outDir = join(ROOT, "out/test");
  mkdirSync(outDir, { recursive: true });
  const outFile = join(outDir, `cas-${sourceDigest()}.wasm`);
  if (!existsSync(outFile)) {
    const tmp = join(outDir, `cas-${tag}-${process.pid}.tmp.wasm`);
    const asc = spawnSync(
      join(ROOT, "node_modules/.bin/asc"),
      ["--config", "tests/assembly/cas_asconfig.json", "--target", "release", "--outFile", tmp],
      { cwd: ROOT, encoding: "utf8" },
    );
    if (asc.status !== 0) throw new Error(`asc failed (${asc.status}):\n${asc.stderr}`);
    renameSync(tmp, outFile);
  }
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
  const json = <T>(n: number): T => JSON.parse(Buffer.from(mem().slice(OUT, OUT + n)).toString("utf8")) as T;

  return {
    sha512(input) {
      put(input);
      x.hash512(IN, input.length, OUT);
      return mem().slice(OUT, OUT + 64);
    },
    sha512Steps(input, step) {
      put(input);
      x.hash512Steps(IN, input.length, step, OUT);
      return mem().slice(OUT, OUT + 64);
    },
    verify(pub, sig, msg) {
      if (pub.length !== 32 || sig.length !== 64) throw new Error("pub must be 32 bytes, sig 64");
      put(pub);
      put(sig, 32);
      put(msg, 96);
      return x.verify(IN, IN + 32, IN + 96, msg.length) === 1;
    },
    cborSkip(input, maxDepth) {
      put(input);
      return json<CborSkip>(x.cborSkip(IN, input.length, maxDepth));
    },
    manifest(input, maxChunks) {
      put(input);
      return json<GuestManifest>(x.manifest(IN, input.length, maxChunks));
    },
    store: {
      reset(l, keys) {
        x.casNew(l.chunkBytesMax, l.chunksMax, l.manifestBytesMax, l.storeBytes, l.epochsMax, l.delta ? 1 : 0, l.reinstall ? 1 : 0);
        for (const k of keys) {
          put(k);
          x.casKey();
        }
      },
      chunk(epoch, name, data) {
        const e = Buffer.from(epoch);
        const n = Buffer.from(name);
        put(Buffer.concat([e, n, data]));
        return json<StoreWrite>(x.casWrite(0, e.length, n.length, data.length));
      },
      manifest(epoch, data) {
        const e = Buffer.from(epoch);
        put(Buffer.concat([e, data]));
        return json<StoreWrite>(x.casWrite(1, e.length, 0, data.length));
      },
      view(epoch) {
        const e = Buffer.from(epoch);
        put(e);
        return json<StoreView>(x.casStatus(e.length));
      },
    },
  };
}
