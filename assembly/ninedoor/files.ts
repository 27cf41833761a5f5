// The synthetic files of the minimal namespace: /proc/boot, /log/queen.log, /queen/ctl.
// Each is a few lines; the full namespace (workers, lifecycle, telemetry) grows from here.

import { Caller, ERR_DENIED, ERR_INVALID_PAYLOAD, File, MODE_AO, MODE_QUEEN_AO, MODE_RO, NsError } from "./node";

/** Read-only lines fixed at boot. */
export class StaticFile extends File {
  constructor(name: string, private lines: string[]) {
    super(name, MODE_RO);
  }

  read(): string[] {
    return this.lines;
  }
}

/** A bounded append-only log: the oldest records go first when it is full. */
export class LogFile extends File {
  private lines: string[] = [];
  private echoed: bool[] = [];

  constructor(name: string, private maxLines: i32) {
    super(name, MODE_AO);
  }

  read(): string[] {
    return this.lines;
  }

  /** The last `n` records. */
  tail(n: i32): string[] {
    const from = this.lines.length > n ? this.lines.length - n : 0;
    return this.lines.slice(from);
  }

  /** A record written by the system (audit and lifecycle lines), not by a client's ECHO. */
  system(line: string): void {
    this.push(line, false);
  }

  append(line: string, who: Caller): NsError | null {
    this.push(line, true);
    return null;
  }

  // The original's CAT of the queen log shows only a summary, built from what clients echoed.
  summary(): string {
    const picked: string[] = [];
    for (let i = 0; i < this.lines.length; i++) if (this.echoed[i]) picked.push(this.lines[i]);
    return (picked.length > 0 ? picked : this.lines).join("|");
  }

  catShowsBody(): bool {
    return false;
  }

  private push(line: string, echoed: bool): void {
    if (this.lines.length >= this.maxLines) {
      this.lines.shift();
      this.echoed.shift();
    }
    this.lines.push(line);
    this.echoed.push(echoed);
  }
}

/**
 * /queen/ctl: queen-only control lines. This issue accepts and journals well-formed JSON
 * objects; acting on them (workers, leases) arrives with the namespace issue.
 */
export class QueenCtl extends File {
  private journal: string[] = [];

  constructor(private log: LogFile, private maxLines: i32) {
    super("ctl", MODE_QUEEN_AO);
  }

  read(): string[] {
    return this.journal;
  }

  append(line: string, who: Caller): NsError | null {
    if (who.role != "queen") return ERR_DENIED;
    const t = line.trim();
    if (t.length < 2 || !t.startsWith("{") || !t.endsWith("}")) return ERR_INVALID_PAYLOAD;
    if (this.journal.length >= this.maxLines) this.journal.shift();
    this.journal.push(t);
    this.log.system("queen ctl accepted role=" + who.role + " payload=" + t);
    return null;
  }
}
