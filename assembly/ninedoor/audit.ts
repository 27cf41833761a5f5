// AuditFS and ReplayFS: every control write (console or 9P, accepted or refused) becomes one
// JSONL journal entry; /replay/ctl re-applies a window of the journal to a scratch namespace
// and reports whether every outcome matches, with an FNV-1a digest of the replayed sequence.

import { AUDIT_DECISIONS_MAX_BYTES, AUDIT_JOURNAL_MAX_BYTES, AUDIT_REPLAY_MAX_ENTRIES, AUDIT_REPLAY_MAX_PER_S } from "../generated/manifest";
import { now_ms } from "../platform/abi";
import { J_INT, J_OBJECT, jsonQuote, parseJson, unknownKey } from "../json/json";
import { Caller, ERR_DENIED, File, MODE_QUEEN_AO, MODE_RO, NsError } from "./node";

export class JournalEntry {
  constructor(
    public seq: u64,
    public path: string,
    public payload: string,
    public outcome: string, // "ok" | "err"
    public error: string, // "" when ok
    public role: string,
    public subject: string,
    public ticket: string, // a short hash; never the ticket itself
    public line: string, // the JSONL form, kept so reads and retention agree byte for byte
  ) {}
}

export function jsonString(s: string): string {
  return jsonQuote(s); // linear: one sized allocation (assembly/json/json.ts)
}

/** FNV-1a 64 over UTF-8 bytes, continuing from `h` (start with 0xcbf29ce484222325). */
export function fnv1a(h: u64, s: string): u64 {
  const b = String.UTF8.encode(s, false);
  const p = changetype<usize>(b);
  for (let i = 0; i < b.byteLength; i++) {
    h ^= <u64>load<u8>(p + <usize>i);
    h *= 0x100000001b3;
  }
  return h;
}

export class Journal {
  entries: JournalEntry[] = [];
  bytes: i32 = 0;
  base: u64 = 0; // seq of the oldest entry kept
  next: u64 = 0; // seq the next entry gets

  record(path: string, payload: string, who: Caller, err: NsError | null): void {
    const outcome = err == null ? "ok" : "err";
    const error = err == null ? "" : err.reason + "/" + err.detail;
    const line =
      '{"seq":' + this.next.toString() + ',"kind":"write","path":' + jsonString(path) + ',"payload":' + jsonString(payload) +
      ',"outcome":"' + outcome + '"' + (err == null ? "" : ',"error":{"code":' + jsonString(error) + ',"message":' + jsonString(err.error) + "}") +
      ',"role":' + jsonString(who.role) + ',"ticket":' + jsonString(who.ticket) + "}";
    const n = String.UTF8.byteLength(line) + 1;
    // Retention: the oldest entries go first; journal_base in /audit/export says where it starts.
    while (this.entries.length > 0 && this.bytes + n > AUDIT_JOURNAL_MAX_BYTES) {
      const old = this.entries.shift();
      this.bytes -= String.UTF8.byteLength(old.line) + 1;
      this.base = old.seq + 1;
    }
    this.entries.push(new JournalEntry(this.next, path, payload, outcome, error, who.role, who.subject, who.ticket, line));
    this.bytes += n;
    this.next++;
    if (this.entries.length == 1) this.base = this.entries[0].seq;
  }
}

export class JournalFile extends File {
  constructor(private j: Journal) {
    super("journal", MODE_RO);
  }
  read(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.j.entries.length; i++) out.push(this.j.entries[i].line);
    return out;
  }
}

/** /audit/decisions: policy allow/deny lines, retained by bytes like the journal. */
export class DecisionLog {
  lines: string[] = [];
  bytes: i32 = 0;
  base: u64 = 0; // seq of the oldest line kept
  next: u64 = 0;

  /** `body` is the JSON object's fields after "seq". */
  add(body: string): void {
    const line = '{"seq":' + this.next.toString() + "," + body + "}";
    const n = String.UTF8.byteLength(line) + 1;
    while (this.lines.length > 0 && this.bytes + n > AUDIT_DECISIONS_MAX_BYTES) {
      this.bytes -= String.UTF8.byteLength(this.lines.shift()) + 1;
      this.base++;
    }
    this.lines.push(line);
    this.bytes += n;
    this.next++;
  }
}

export class ExportFile extends File {
  constructor(private j: Journal, private d: DecisionLog) {
    super("export", MODE_RO);
  }
  read(): string[] {
    return [
      '{"journal_base":' + this.j.base.toString() + ',"journal_next":' + this.j.next.toString() + ',"journal_max_bytes":' + AUDIT_JOURNAL_MAX_BYTES.toString() +
        ',"decisions_base":' + this.d.base.toString() + ',"decisions_next":' + this.d.next.toString() + ',"decisions_max_bytes":' + AUDIT_DECISIONS_MAX_BYTES.toString() +
        ',"replay_enabled":true,"replay_max_entries":' + AUDIT_REPLAY_MAX_ENTRIES.toString() + "}",
    ];
  }
}

/** Something that can build a fresh namespace and apply one write to it (the scratch state). */
export abstract class Scratch {
  abstract apply(path: string, payload: string, who: Caller): NsError | null;
}

export abstract class ScratchFactory {
  abstract make(): Scratch;
}

export class ReplayState {
  status: string = '{"state":"idle"}';
}

export class ReplayCtl extends File {
  constructor(private j: Journal, private st: ReplayState, private factory: ScratchFactory) {
    super("ctl", MODE_QUEEN_AO);
  }
  read(): string[] {
    return [];
  }
  // Replay boots a whole scratch namespace: at most one request per write (oneRecordPerWrite)
  // and replay_max_per_s per second, so a burst cannot multiply that cost (issue 10, finding 6).
  private windowAt: u64 = 0;
  private inWindow: i32 = 0;

  oneRecordPerWrite(): bool {
    return true;
  }

  append(line: string, who: Caller): NsError | null {
    if (who.role != "queen") return ERR_DENIED;
    const now = now_ms();
    if (now - this.windowAt >= 1000) {
      this.windowAt = now;
      this.inWindow = 0;
    }
    if (this.inWindow >= AUDIT_REPLAY_MAX_PER_S) {
      return new NsError("busy", "rate-limited", AUDIT_REPLAY_MAX_PER_S.toString() + " replays per second; retry in " + (1000 - (now - this.windowAt)).toString() + " ms");
    }
    const r = parseJson(line.trim());
    if (r.value == null) return new NsError("policy", "invalid-payload", "invalid payload: " + r.error);
    const o = r.value!;
    if (o.kind != J_OBJECT || unknownKey(o, ["from"]).length > 0) return new NsError("policy", "invalid-payload", "invalid payload: expected {\"from\":<cursor>}");
    const from = o.get("from");
    if (from == null || from.kind != J_INT || from.n < 0) return new NsError("policy", "invalid-payload", "invalid payload: from must be a cursor");
    const cursor = <u64>from.n;
    if (cursor < this.j.base || cursor > this.j.next) {
      return new NsError("policy", "out-of-window", "cursor " + cursor.toString() + " outside [" + this.j.base.toString() + "," + this.j.next.toString() + "]");
    }
    // Re-apply from a fresh scratch namespace, in order; every outcome must match the journal.
    // The scratch namespace is garbage once this returns; the collector's headroom covers it.
    this.inWindow++;
    const scratch = this.factory.make();
    let h: u64 = 0xcbf29ce484222325;
    let n: i32 = 0;
    let match = true;
    let to = cursor;
    for (let i = 0; i < this.j.entries.length && n < AUDIT_REPLAY_MAX_ENTRIES; i++) {
      const e = this.j.entries[i];
      if (e.seq < cursor) continue;
      const got = scratch.apply(e.path, e.payload, new Caller(e.role, e.subject, e.ticket));
      if ((got == null) != (e.outcome == "ok")) match = false;
      h = fnv1a(h, e.path + "\n" + e.payload + "\n" + e.outcome + "\n");
      n++;
      to = e.seq + 1;
    }
    let hex = h.toString(16);
    while (hex.length < 16) hex = "0" + hex;
    this.st.status =
      '{"state":"ok","from":' + cursor.toString() + ',"to":' + to.toString() + ',"entries":' + n.toString() + ',"match":' +
      (match ? "true" : "false") + ',"sequence_fnv1a":"' + hex + '"}';
    return null;
  }
}

export class ReplayStatus extends File {
  constructor(private st: ReplayState) {
    super("status", MODE_RO);
  }
  read(): string[] {
    return [this.st.status];
  }
}
