// The serial root console (`cohesix> `): on-box bring-up and bootinfo sanity checks. It is not
// the operator control plane (that is the TCP console + NineDoor), so it has only the
// diagnostic verbs, and it answers in the human form the original's serial console used.

import { serialPrint } from "../platform/abi";
import { BootInfo } from "../platform/bootinfo";
import { CONSOLE_LINE_MAX } from "../generated/manifest";
import { EDIT_CANCEL, EDIT_LINE, EDIT_OVERFLOW, LineEditor } from "./line_editor";
import { parseError, splitVerb } from "./format";
import { DIAGNOSTIC_HELP } from "./help";
import { bootinfoLines, capsLines, memLines } from "./bootinfo_lines";

export const PROMPT = "cohesix> ";
const NL = "\r\n";

const HELP: string[] = DIAGNOSTIC_HELP.concat([
  "smp - Show SMP scheduler/CPU info",
  "quit - Exit the console session (not on the root console)",
  "test - Run self-tests (host-only: use 'cohsh test')",
]);

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
    // The shim starts only the boot CPU and runs the core as one event loop: say so plainly
    // rather than refuse (cohsh `test --mode smp` reports the same and checks what applies).
    if (verb == "smp") return "smp cpus_online=1 scheduler=event-loop isolation=none note=secondary CPUs are not started" + NL;
    if (verb == "quit") return "quit not supported on root console" + NL;
    if (verb == "test") return "test not supported on root console" + NL;
    if (verb == "bi" || verb == "caps" || verb == "mem") {
      const bi = this.bootinfo;
      if (bi == null) return "ERR " + (verb == "bi" ? "BOOTINFO" : verb.toUpperCase()) + " reason=policy detail=unavailable" + NL;
      const lines = verb == "bi" ? bootinfoLines(bi) : verb == "caps" ? capsLines(bi) : memLines(bi);
      return lines.join(NL) + NL;
    }
    return parseError("unsupported console command") + NL;
  }
}

function isRootVerb(v: string): bool {
  return v == "help" || v == "bi" || v == "caps" || v == "mem" || v == "ping" || v == "smp" || v == "quit" || v == "test";
}
