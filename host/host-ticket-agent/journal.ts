// The agent's durable state in its state directory (reference §2.12): the compatibility journal
// (one entry per ticket key: the spec bytes, whether execution began, the exact receipt to
// publish, whether it is terminal) and the cursor into /host/tickets/spec. Every change is
// written with the durable protocol before the agent acts on it.

import { join } from "node:path";
import { MANIFEST } from "../generated/manifest.js";
import { readIfExists, writeDurable } from "./durable.js";

export const JOURNAL_SCHEMA = "host-ticket-compat-execution/v1";

export interface Entry {
  spec: string;
  /** Set (durably) just before the executor runs: after a crash the work is never repeated. */
  executing: boolean;
  /** [path, line] of the terminal receipt, persisted before it is published. */
  result: [string, string] | null;
  terminal: boolean;
  /** Insertion order, for compaction (oldest terminal entries go first). */
  seq: number;
}

interface JournalFile {
  schema: string;
  writer_epoch: number;
  next_seq: number;
  entries: Record<string, Entry>;
}

export class JournalError extends Error {
  override readonly name = "JournalError";
}

export class Journal {
  readonly file: string;
  readonly cursorFile: string;
  entries = new Map<string, Entry>();
  cursor = 0;
  writerEpoch = 0;
  private nextSeq = 1;
  /** Journal rewrites and cursor rewrites so far (bench, tests). */
  writes = 0;

  constructor(readonly dir: string, private max: number = MANIFEST.host.journal_max_entries) {
    this.file = join(dir, "execution-journal.json");
    this.cursorFile = join(dir, "cursor.json");
  }

  load(): void {
    const j = readIfExists(this.file);
    if (j !== null) {
      let f: JournalFile;
      try {
        f = JSON.parse(j) as JournalFile;
      } catch (e) {
        throw new JournalError(`${this.file}: not JSON (${(e as Error).message}); refusing to guess what ran`);
      }
      if (f.schema !== JOURNAL_SCHEMA) throw new JournalError(`${this.file}: schema ${String(f.schema)} is not ${JOURNAL_SCHEMA}`);
      this.entries = new Map(Object.entries(f.entries));
      this.writerEpoch = f.writer_epoch;
      this.nextSeq = f.next_seq;
    }
    const c = readIfExists(this.cursorFile);
    if (c !== null) {
      const o = JSON.parse(c) as { raw_next_spec_index?: number; next_spec_index?: number };
      this.cursor = o.raw_next_spec_index ?? o.next_spec_index ?? 0;
    }
  }

  get(key: string): Entry | undefined {
    return this.entries.get(key);
  }

  put(key: string, e: Omit<Entry, "seq">): Entry {
    const full: Entry = { ...e, seq: this.entries.get(key)?.seq ?? this.nextSeq++ };
    this.entries.set(key, full);
    return full;
  }

  /** Writes the journal (after compacting the oldest terminal entries past the bound). */
  save(): void {
    if (this.entries.size > this.max) {
      const terminal = [...this.entries].filter(([, e]) => e.terminal).sort((a, b) => a[1].seq - b[1].seq);
      for (const [k] of terminal.slice(0, this.entries.size - this.max)) this.entries.delete(k);
    }
    const f: JournalFile = { schema: JOURNAL_SCHEMA, writer_epoch: this.writerEpoch, next_seq: this.nextSeq, entries: Object.fromEntries(this.entries) };
    writeDurable(this.file, JSON.stringify(f));
    this.writes++;
  }

  saveCursor(next: number): void {
    this.cursor = next;
    writeDurable(this.cursorFile, JSON.stringify({ raw_next_spec_index: next, snapshot_next_spec_index: 0, snapshot_last_admission_sequence: 0 }, null, 2) + "\n");
    this.writes++;
  }
}
