// The serial root console (`cohesix> `): on-box bring-up and bootinfo sanity checks. It is not
// the operator control plane (that is the TCP console + NineDoor), so it has only the
// diagnostic verbs, and it answers in the human form the original's serial console used.

import { serialPrint } from "../platform/abi";
import { BootInfo } from "../platform/bootinfo";
import { CONSOLE_LINE_MAX } from "../generated/manifest";
import { EDIT_CANCEL, EDIT_LINE, EDIT_OVERFLOW, LineEditor } from "./line_editor";
import { hex, parseError, slot, splitVerb } from "./format";

export const PROMPT = "cohesix> ";
const NL = "\r\n";

const HELP: string[] = [
  "Commands:",
  "help - Show this help",
  "bi - Show bootinfo summary",
  "caps - Show capability slots",
  "mem - Show untyped summary",
  "ping - Respond with pong",
  "quit - Exit the console session (not on the root console)",
  "test - Run self-tests (host-only: use 'cohsh test')",
];

export class RootConsole {
  private editor: LineEditor = new LineEditor(CONSOLE_LINE_MAX);

  constructor(private bootinfo: BootInfo | null) {}

  prompt(): void {
    serialPrint(PROMPT);
  }

  /** Feeds raw serial bytes; echo and replies go out in one write per batch. */
  input(ptr: usize, len: u32): void {
    let out = "";
    for (let i: u32 = 0; i < len; i++) {
      const action = this.editor.feed(load<u8>(ptr + i));
      if (action == EDIT_LINE) {
        out += this.editor.echo;
        this.editor.echo = "";
        if (!this.editor.validUtf8()) {
          this.editor.discard();
          out += parseError("invalid utf-8") + NL + PROMPT;
          continue;
        }
        const line = this.editor.take();
        out += this.run(line) + PROMPT;
      } else if (action == EDIT_OVERFLOW) {
        out += this.editor.echo + parseError("console line exceeded maximum length") + NL + PROMPT;
        this.editor.echo = "";
      } else if (action == EDIT_CANCEL) {
        out += this.editor.echo + NL + PROMPT;
        this.editor.echo = "";
      }
    }
    out += this.editor.echo;
    this.editor.echo = "";
    if (out.length > 0) serialPrint(out);
  }

  /** Runs one command line and returns its reply lines, each ending in CR LF. */
  run(line: string): string {
    const parts = splitVerb(line);
    const verb = parts[0].toLowerCase();
    if (verb.length == 0) return ""; // an empty Enter just re-prompts on a terminal
    if (!isRootVerb(verb)) return parseError("unsupported console command") + NL;
    // None of the root console's verbs take arguments; ignoring them would hide typos.
    if (parts[1].length > 0) return parseError("unexpected argument") + NL;
    if (verb == "help") return HELP.join(NL) + NL;
    if (verb == "ping") return "pong" + NL;
    if (verb == "quit") return "quit not supported on root console" + NL;
    if (verb == "test") return "test not supported on root console" + NL;
    if (verb == "bi" || verb == "caps" || verb == "mem") {
      const bi = this.bootinfo;
      if (bi == null) return "ERR " + (verb == "bi" ? "BOOTINFO" : verb.toUpperCase()) + " reason=policy detail=unavailable" + NL;
      if (verb == "bi") return bootinfoLines(bi);
      if (verb == "caps") return capsLines(bi);
      return memLines(bi);
    }
    return parseError("unsupported console command") + NL;
  }
}

function isRootVerb(v: string): bool {
  return v == "help" || v == "bi" || v == "caps" || v == "mem" || v == "ping" || v == "quit" || v == "test";
}

function bootinfoLines(bi: BootInfo): string {
  const untypedEnd = bi.untypedStart + <u32>bi.untyped.length;
  return (
    "[bi] node_bits=" + bi.nodeBits.toString() +
    " empty=[" + slot(bi.emptyStart) + ".." + slot(bi.emptyEnd) + ")" +
    " ipc=" + hex(bi.ipcBuffer) + NL +
    "[bi] untyped=[" + slot(bi.untypedStart) + ".." + slot(untypedEnd) + ")" +
    " gic=v" + bi.gicVersion.toString() + NL
  );
}

function capsLines(bi: BootInfo): string {
  return (
    "[caps] root=" + slot(bi.slotRootCNode) + " ep=" + slot(bi.slotEndpoint) + " uart=" + slot(bi.slotUart) + NL +
    "[caps] tcb=" + slot(bi.slotTcb) + " vspace=" + slot(bi.slotVSpace) + NL
  );
}

function memLines(bi: BootInfo): string {
  const total = bi.untyped.length;
  const ram = bi.ramCount();
  let largest: u8 = 0;
  for (let i = 0; i < bi.untyped.length; i++) {
    const u = bi.untyped[i];
    if (!u.isDevice && u.sizeBits > largest) largest = u.sizeBits;
  }
  return (
    "[mem] untyped caps=" + total.toString() + " ram_ut=" + ram.toString() + " device_ut=" + (<u32>total - ram).toString() + NL +
    "[mem] ram_bytes=" + bi.bytes(false).toString() + " device_bytes=" + bi.bytes(true).toString() +
    " largest_ram_bits=" + largest.toString() + NL
  );
}
