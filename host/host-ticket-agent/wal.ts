// The relay's write-ahead log (reference §2.11): one JSON file, replaced durably after every
// state change, so a relayed ticket is on disk before any peer hears of it and a receipt is on
// disk before the local hive does. States: pending → awaiting_terminal → terminal_retained →
// delivered, or rejected. Bounded by federation.wal_max_bytes; only finished entries are ever
// dropped to make room.

import { MANIFEST } from "../generated/manifest.js";
import { readIfExists, writeDurable } from "./durable.js";

export type WalState = "pending" | "awaiting_terminal" | "terminal_retained" | "delivered" | "rejected";

export interface WalEntry {
  seq: number;
  key: string;
  target_hive: string;
  payload: string;
  state: WalState;
  attempts: number;
  last_error?: string;
  /** The peer's receipt line, byte for byte, once seen. */
  terminal_result?: string;
}

interface WalDoc {
  schema_version: 2;
  writer_epoch: number;
  next_seq: number;
  entries: WalEntry[];
}

export class WalError extends Error {
  override readonly name = "WalError";
}

const FINISHED: WalState[] = ["delivered", "rejected"];

export class Wal {
  private doc: WalDoc = { schema_version: 2, writer_epoch: 1, next_seq: 1, entries: [] };
  private byKey = new Map<string, WalEntry>();

  constructor(
    readonly file: string,
    private readonly maxBytes: number = MANIFEST.federation.wal_max_bytes,
  ) {}

  /** Loads and checks the file (the reference's recovery rules); a missing file is an empty WAL. */
  load(): void {
    const text = readIfExists(this.file);
    if (text === null) return;
    if (Buffer.byteLength(text) > this.maxBytes) throw new WalError(`${this.file}: ${Buffer.byteLength(text)} bytes > federation.wal_max_bytes ${this.maxBytes}`);
    let d: WalDoc;
    try {
      d = JSON.parse(text) as WalDoc;
    } catch {
      throw new WalError(`${this.file}: not JSON (a WAL is only ever replaced whole; restore it from backup or move it away)`);
    }
    if (typeof d.schema_version !== "number" || d.schema_version > 2) throw new WalError(`${this.file}: schema_version ${String(d.schema_version)} is newer than this agent's 2`);
    const seen = new Set<string>();
    for (const e of d.entries ?? []) {
      if (seen.has(e.key)) throw new WalError(`${this.file}: duplicate key ${e.key}`);
      if (!(e.seq > 0) || e.seq >= d.next_seq) throw new WalError(`${this.file}: entry ${e.key} has seq ${e.seq} outside 1..${d.next_seq - 1}`);
      if ((e.state === "terminal_retained" || e.state === "delivered") && !e.terminal_result) throw new WalError(`${this.file}: entry ${e.key} is ${e.state} without its receipt bytes`);
      seen.add(e.key);
    }
    this.doc = { schema_version: 2, writer_epoch: d.writer_epoch ?? 1, next_seq: d.next_seq, entries: d.entries ?? [] };
    this.byKey = new Map(this.doc.entries.map((e) => [e.key, e]));
  }

  get(key: string): WalEntry | undefined {
    return this.byKey.get(key);
  }

  entries(): readonly WalEntry[] {
    return this.doc.entries;
  }

  unfinished(): WalEntry[] {
    return this.doc.entries.filter((e) => !FINISHED.includes(e.state));
  }

  /** Adds a pending entry and makes it durable. Returns null when the WAL cannot take it. */
  add(key: string, target: string, payload: string): WalEntry | null {
    const e: WalEntry = { seq: this.doc.next_seq, key, target_hive: target, payload, state: "pending", attempts: 0 };
    this.doc.entries.push(e);
    this.doc.next_seq++;
    this.byKey.set(key, e);
    if (!this.fits()) {
      this.doc.entries.pop();
      this.doc.next_seq--;
      this.byKey.delete(key);
      return null;
    }
    this.save();
    return e;
  }

  /** Changes one entry and makes it durable. */
  update(e: WalEntry, patch: Partial<WalEntry>): void {
    Object.assign(e, patch);
    if (patch.last_error === undefined && "last_error" in patch) delete e.last_error;
    this.save();
  }

  /** Room for the file: finished entries go, oldest first; pending work is never dropped. */
  private fits(): boolean {
    while (Buffer.byteLength(this.text()) > this.maxBytes) {
      const i = this.doc.entries.findIndex((x) => FINISHED.includes(x.state));
      if (i < 0) return false;
      this.byKey.delete(this.doc.entries[i].key);
      this.doc.entries.splice(i, 1);
    }
    return true;
  }

  private text(): string {
    return JSON.stringify(this.doc) + "\n";
  }

  private save(): void {
    writeDurable(this.file, this.text());
  }
}
