// Generic synthetic files: fixed text, and a bounded append-only log.

import { Caller, File, MODE_AO, MODE_RO, NsError } from "./node";

/** Read-only lines fixed at boot. */
export class StaticFile extends File {
  constructor(name: string, private lines: string[]) {
    super(name, MODE_RO);
  }

  read(): string[] {
    return this.lines;
  }
}

/**
 * A bounded append-only log, kept as three stores merged by sequence number when read (issue 10,
 * finding 4): records the core writes (audit, lifecycle), records clients echo, and the counted
 * summaries of refused unauthenticated events. Each store drops its own oldest record when
 * full, so echoes cannot evict audit records and unauthenticated peers can evict neither.
 */
export class LogFile extends File {
  private sys: LogStore;
  private client: LogStore;
  private pre: LogStore;

  constructor(name: string, maxLines: i32, preauthLines: i32 = 16) {
    super(name, MODE_AO);
    this.sys = new LogStore(maxLines);
    this.client = new LogStore(maxLines);
    this.pre = new LogStore(preauthLines);
  }

  private next: u64 = 0;

  read(): string[] {
    return this.merged(i32.MAX_VALUE, true);
  }

  /** The last `n` records. */
  tail(n: i32): string[] {
    return this.merged(n, true);
  }

  /** Only what the core wrote (audit, lifecycle, pre-auth summaries): no client's echo is here. */
  systemRecords(): string[] {
    return this.merged(i32.MAX_VALUE, false);
  }

  /** A record written by the system (audit and lifecycle lines), not by a client's ECHO. */
  system(line: string): void {
    this.sys.push(this.next++, line);
  }

  /** A counted summary of refused unauthenticated events (its own small store). */
  preauth(line: string): void {
    this.pre.push(this.next++, line);
  }

  append(line: string, who: Caller): NsError | null {
    this.client.push(this.next++, line);
    return null;
  }

  // The original's CAT of the queen log shows only a summary, built from what clients echoed.
  summary(): string {
    const picked = this.client.lines.length > 0 ? this.client.lines : this.merged(i32.MAX_VALUE, true);
    return picked.join("|");
  }

  catShowsBody(): bool {
    return false;
  }

  /** The newest `n` records of the stores (the client's only `withClient`), oldest first. */
  private merged(n: i32, withClient: bool): string[] {
    const a = this.sys;
    const b = withClient ? this.client : NO_RECORDS;
    const c = this.pre;
    const total = a.lines.length + b.lines.length + c.lines.length;
    const want = n < total ? n : total;
    const out = new Array<string>(want);
    // Walk back from the newest of each store, filling `out` from its end.
    let i = a.lines.length - 1;
    let j = b.lines.length - 1;
    let k = c.lines.length - 1;
    for (let o = want - 1; o >= 0; o--) {
      const sa = i >= 0 ? a.seqs[i] : 0;
      const sb = j >= 0 ? b.seqs[j] : 0;
      const sc = k >= 0 ? c.seqs[k] : 0;
      if (i >= 0 && (j < 0 || sa > sb) && (k < 0 || sa > sc)) out[o] = a.lines[i--];
      else if (j >= 0 && (k < 0 || sb > sc)) out[o] = b.lines[j--];
      else out[o] = c.lines[k--];
    }
    return out;
  }
}

/**
 * /log/system.log: the queen log without the records clients echoed. The queen log keeps the
 * original's verbatim lines (its clients and scripts read them back as written), so a queen could
 * echo a line shaped like an audit record there; here only the core's own records appear.
 */
export class SystemLogView extends File {
  constructor(private log: LogFile) {
    super("system.log", MODE_RO);
  }

  read(): string[] {
    return this.log.systemRecords();
  }
}

class LogStore {
  lines: string[] = [];
  seqs: u64[] = [];
  constructor(private max: i32) {}
  push(seq: u64, line: string): void {
    if (this.lines.length >= this.max) {
      this.lines.shift();
      this.seqs.shift();
    }
    this.lines.push(line);
    this.seqs.push(seq);
  }
}

const NO_RECORDS = new LogStore(0);
