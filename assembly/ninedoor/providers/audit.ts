// AuditFS: every control write (console or 9P, accepted or refused) becomes one JSONL journal
// entry in /audit/journal; /audit/decisions holds the policy gate's verdicts, /audit/export the
// retention window of both. Replaying the journal is replay.ts.

import { LineRing } from "../../text/line_ring";
import { AUDIT_DECISIONS_MAX_BYTES, AUDIT_JOURNAL_MAX_BYTES, AUDIT_REPLAY_MAX_ENTRIES } from "../../generated/manifest";
import { jsonString } from "../../json/string";
import { Caller, Dir, File, MODE_RO, NsError } from "../node";
import { RoleViews } from "../access";
import { dirAt, Provider } from "../devtab";

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

export class Journal {
  // The JSONL lines, retained by bytes; `entries` runs beside it, one per line kept.
  private ring: LineRing = new LineRing(AUDIT_JOURNAL_MAX_BYTES);
  entries: JournalEntry[] = [];

  /** seq of the oldest entry kept (journal_base in /audit/export). */
  get base(): u64 {
    return this.ring.base;
  }
  /** seq the next entry gets. */
  get next(): u64 {
    return this.ring.next;
  }

  record(path: string, payload: string, who: Caller, err: NsError | null): void {
    const outcome = err == null ? "ok" : "err";
    const error = err == null ? "" : err.reason + "/" + err.detail;
    const seq = this.ring.next;
    const line =
      '{"seq":' + seq.toString() + ',"kind":"write","path":' + jsonString(path) + ',"payload":' + jsonString(payload) +
      ',"outcome":"' + outcome + '"' + (err == null ? "" : ',"error":{"code":' + jsonString(error) + ',"message":' + jsonString(err.error) + "}") +
      ',"role":' + jsonString(who.role) + ',"ticket":' + jsonString(who.ticket) + "}";
    // Retention: the oldest entries go first; journal_base in /audit/export says where it starts.
    const dropped = this.ring.push(line);
    for (let i = 0; i < dropped; i++) this.entries.shift();
    this.entries.push(new JournalEntry(seq, path, payload, outcome, error, who.role, who.subject, who.ticket, line));
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
export class DecisionLog extends LineRing {
  constructor() {
    super(AUDIT_DECISIONS_MAX_BYTES);
  }

  /** `body` is the JSON object's fields after "seq". */
  add(body: string): void {
    this.push('{"seq":' + this.next.toString() + "," + body + "}");
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

/** /audit/journal and /audit/export (/audit/decisions belongs to the policy provider). */
export class AuditProvider extends Provider {
  constructor(private j: Journal, private d: DecisionLog) {
    super();
  }

  mount(root: Dir, views: RoleViews): void {
    const a = dirAt(root, "/audit");
    a.add(new JournalFile(this.j));
    a.add(new ExportFile(this.j, this.d));
  }
}
