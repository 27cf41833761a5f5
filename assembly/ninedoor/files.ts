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
