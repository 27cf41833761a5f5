// The interactive prompt (stdin is a terminal). Lines are queued and run one at a time, so
// typing ahead is fine. Ctrl-C clears a half-typed line; Ctrl-C on an empty line, or Ctrl-D,
// closes the session (`closing session`) and exits; while `tail`/`log` follow, Enter or Ctrl-C
// stops the follow and returns to the prompt.

import { createInterface } from "node:readline";
import type { Shell } from "./shell.js";

export const PROMPT = "coh> ";

export interface ReplIo {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
  /** Where notes for the operator go (following…, how to stop). */
  note: (line: string) => void;
  print: (line: string) => void;
}

export async function repl(shell: Shell, io: ReplIo): Promise<number> {
  const rl = createInterface({ input: io.input, output: io.output, prompt: PROMPT, historySize: 200, terminal: true });
  const queue: string[] = [];
  let ended = false;
  let wake: (() => void) | null = null;
  let follow: AbortController | null = null;
  const push = (l: string): void => {
    queue.push(l);
    wake?.();
  };
  rl.on("line", (l) => {
    // Enter while a tail follows stops the follow; the line itself is not a command.
    if (follow && !l.trim()) return follow.abort();
    push(l);
  });
  rl.on("close", () => {
    ended = true;
    wake?.();
  });
  rl.on("SIGINT", () => {
    if (follow) return follow.abort();
    if (rl.line.length > 0) {
      // Clear the half-typed line, as a shell does, and prompt again.
      rl.write(null, { ctrl: true, name: "e" });
      rl.write(null, { ctrl: true, name: "u" });
      io.output.write("^C\n");
      rl.prompt();
      return;
    }
    io.output.write("^C\n");
    ended = true;
    wake?.();
  });
  rl.prompt();
  let quitRan = false;
  for (;;) {
    const line = queue.shift();
    if (line === undefined) {
      if (ended) break;
      await new Promise<void>((r) => (wake = r));
      wake = null;
      continue;
    }
    if (line.trim()) {
      follow = new AbortController();
      try {
        const r = await shell.run(line, {
          follow: follow.signal,
          print: io.print,
          onFollow: (what) => io.note(`[cohsh] following ${what}; press Enter or Ctrl-C to stop`),
        });
        for (const l of r.lines) io.print(l);
        if (r.exit) {
          quitRan = true;
          break;
        }
      } catch (e) {
        io.print(`error: ${e instanceof Error ? e.message : String(e)}`);
      }
      follow = null;
    }
    if (!ended) rl.prompt();
  }
  rl.close();
  // Ctrl-D or Ctrl-C on an empty line: close the session the way `quit` does.
  if (!quitRan) {
    const r = await shell.run("quit").catch(() => ({ lines: ["closing session"] }));
    for (const l of r.lines) io.print(l);
  }
  return 0;
}
