// /kmesg: the root task's own console messages (boot lines, console bring-up), kept in a
// bounded line ring as well as printed on serial. Only what the core prints through kprint is
// here: the shim's `[shim]` lines and a trap report are printed by the platform (the core has
// stopped by then), and the serial root console's prompt, echo and replies are a session's
// I/O, not messages of the root task.

import { TRACE_KMESG_LINE_BYTES, TRACE_KMESG_LINES } from "../generated/manifest";
import { serialPrint } from "../platform/abi";
import { clipBytes } from "../text/clip";

export class Kmesg {
  private lines: string[] = [];
  private head: i32 = 0; // oldest line once the ring is full
  total: u64 = 0; // lines ever recorded
  dropped: u64 = 0; // lines pushed out of the full ring

  constructor(public maxLines: i32 = TRACE_KMESG_LINES, public lineBytes: i32 = TRACE_KMESG_LINE_BYTES) {}

  record(line: string): void {
    const l = clipBytes(line, this.lineBytes);
    if (this.lines.length < this.maxLines) {
      this.lines.push(l);
    } else {
      this.lines[this.head] = l;
      this.head = (this.head + 1) % this.maxLines;
      this.dropped++;
    }
    this.total++;
  }

  /** The kept lines, oldest first. */
  read(): string[] {
    const n = this.lines.length;
    if (this.head == 0) return this.lines;
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push(this.lines[(this.head + i) % n]);
    return out;
  }
}

export const kmesg = new Kmesg();

/** Prints one line of the root task's own on serial (CR LF added) and keeps it for /kmesg. */
export function kprint(line: string): void {
  serialPrint(line + "\r\n");
  kmesg.record(line);
}
