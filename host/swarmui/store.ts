// The offline snapshot store (reference §5.5): $DATA_DIR/snapshots/<key>.cbor, each a CBOR map
// {version:1, created_ms, expires_ms, payload}. payload is the entry's bytes as serde encodes a
// Vec<u8> (an array of unsigned integers), so the original's files read the same. Keys are
// sanitised to [A-Za-z0-9-_.:] (≤ 96 characters, slashes become dots); entries past their TTL are
// deleted on read; files over cache.max_bytes are refused both ways; writes go to .tmp + rename.

import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { decode, encode } from "cbor2";

export class StoreError extends Error {
  override readonly name = "StoreError";
  constructor(
    readonly reason: "not-found" | "expired" | "too-large" | "invalid",
    message: string,
  ) {
    super(message);
  }
}

export const KEY_MAX = 96;

/** `hive:demo`, `namespace:/proc/boot` → `namespace:.proc.boot`; anything else outside the set is refused. */
export function sanitizeKey(key: string): string {
  const k = key.replace(/\//g, ".");
  if (k.length === 0 || k.length > KEY_MAX) throw new StoreError("invalid", `snapshot key must be 1..${KEY_MAX} characters`);
  if (!/^[A-Za-z0-9\-_.:]+$/.test(k)) throw new StoreError("invalid", "snapshot key may hold only [A-Za-z0-9-_.:] (and / as .)");
  if (k === "." || k === ".." || k.startsWith(".")) throw new StoreError("invalid", "snapshot key may not start with '.'");
  return k;
}

export interface StoreOptions {
  dir: string;
  ttlS: number;
  maxBytes: number;
  now?: () => number;
}

export class SnapshotStore {
  private readonly now: () => number;

  constructor(readonly o: StoreOptions) {
    this.now = o.now ?? Date.now;
  }

  path(key: string): string {
    return join(this.o.dir, `${sanitizeKey(key)}.cbor`);
  }

  /** Writes atomically; refuses an entry whose file would exceed maxBytes (nothing written). */
  put(key: string, payload: Uint8Array): { path: string; bytes: number } {
    const p = this.path(key);
    const created = this.now();
    const file = encode({ version: 1, created_ms: created, expires_ms: created + this.o.ttlS * 1000, payload: Array.from(payload) });
    if (file.length > this.o.maxBytes) throw new StoreError("too-large", `snapshot too large (${file.length} > ${this.o.maxBytes} bytes)`);
    mkdirSync(this.o.dir, { recursive: true });
    const tmp = `${p}.tmp`;
    writeFileSync(tmp, file);
    renameSync(tmp, p);
    return { path: p, bytes: file.length };
  }

  get(key: string): Uint8Array {
    const p = this.path(key);
    let size: number;
    try {
      size = statSync(p).size;
    } catch {
      throw new StoreError("not-found", `no snapshot '${sanitizeKey(key)}'`);
    }
    if (size > this.o.maxBytes) throw new StoreError("too-large", `snapshot too large (${size} > ${this.o.maxBytes} bytes)`);
    let v: unknown;
    try {
      v = decode(readFileSync(p));
    } catch (e) {
      throw new StoreError("invalid", `snapshot '${sanitizeKey(key)}' is not CBOR: ${e instanceof Error ? e.message : String(e)}`);
    }
    const m = v as { version?: unknown; expires_ms?: unknown; payload?: unknown };
    if (typeof v !== "object" || v === null || Number(m.version) !== 1 || !Array.isArray(m.payload)) {
      throw new StoreError("invalid", `snapshot '${sanitizeKey(key)}' is not a {version:1, created_ms, expires_ms, payload} entry`);
    }
    if (Number(m.expires_ms) <= this.now()) {
      rmSync(p, { force: true });
      throw new StoreError("expired", "snapshot expired");
    }
    const arr = m.payload as unknown[];
    if (!arr.every((x) => typeof x === "number" && Number.isInteger(x) && x >= 0 && x <= 255)) throw new StoreError("invalid", "snapshot payload is not an array of bytes");
    return Uint8Array.from(arr as number[]);
  }
}
