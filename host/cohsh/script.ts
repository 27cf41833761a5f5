// `.coh` scripts: shell lines plus EXPECT / WAIT statements, checked before anything runs and
// executed through the same Shell as the prompt. The first failure stops the run.

import { commandOf, type Outcome, type RunLine } from "./grammar.js";

export const MAX_SCRIPT_LINES = 256;
export const MAX_WAIT_MS = 2000;

export type Statement =
  | { kind: "command"; line: number; text: string }
  | { kind: "expect"; line: number; text: string; mode: "OK" | "ERR" | "SUBSTR" | "NOT" | "LINE"; arg: string; note?: string }
  | { kind: "wait"; line: number; text: string; ms: number };

export class ScriptError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** A `#` at the start of a line, or after whitespace, starts a comment. */
function stripComment(s: string): string {
  const m = /(^|\s)#/.exec(s);
  return (m ? s.slice(0, m.index) : s).trim();
}

/** The comment after a statement (`EXPECT OK  # why`): said when that EXPECT fails. */
function trailingComment(s: string): string | undefined {
  const m = /\s#\s*(.*)$/.exec(s);
  return m && m[1].trim() ? m[1].trim() : undefined;
}

export function parseScript(source: string): Statement[] {
  const lines = source.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  if (lines.length > MAX_SCRIPT_LINES) throw new ScriptError(MAX_SCRIPT_LINES + 1, `script has ${lines.length} lines; at most ${MAX_SCRIPT_LINES} are allowed`);
  const out: Statement[] = [];
  let sawCommand = false;
  lines.forEach((raw, i) => {
    const line = i + 1;
    const text = stripComment(raw);
    if (!text) return;
    const [head, ...rest] = text.split(/\s+/);
    if (head === "EXPECT") {
      if (!sawCommand) throw new ScriptError(line, "EXPECT before any command");
      const mode = rest[0];
      const arg = text.replace(/^EXPECT\s+\S+\s?/, "");
      if (mode === "OK" || mode === "ERR") {
        if (rest.length > 1) throw new ScriptError(line, `EXPECT ${mode} takes no argument`);
        out.push({ kind: "expect", line, text, mode, arg: "", note: trailingComment(raw) });
      } else if (mode === "SUBSTR" || mode === "NOT" || mode === "LINE") {
        if (!arg) throw new ScriptError(line, `EXPECT ${mode} needs a text`);
        out.push({ kind: "expect", line, text, mode, arg, note: trailingComment(raw) });
      } else {
        throw new ScriptError(line, `unknown EXPECT form '${mode ?? ""}' (OK, ERR, SUBSTR <text>, NOT <text>, LINE <text>)`);
      }
    } else if (head === "WAIT") {
      if (rest.length !== 1 || !/^\d+$/.test(rest[0])) throw new ScriptError(line, "WAIT needs one whole number of milliseconds");
      const ms = Number(rest[0]);
      if (ms > MAX_WAIT_MS) throw new ScriptError(line, `WAIT ${ms} exceeds the ${MAX_WAIT_MS} ms cap`);
      out.push({ kind: "wait", line, text, ms });
    } else {
      if (commandOf(text) === null) throw new ScriptError(line, `unknown command '${head}'`);
      sawCommand = true;
      out.push({ kind: "command", line, text });
    }
  });
  return out;
}

/** OK/ERR/SUBSTR/NOT look at the acknowledgement (as the original's scripts do); LINE at every line shown. */
export function expectHolds(mode: "OK" | "ERR" | "SUBSTR" | "NOT" | "LINE", arg: string, response: string, lines: string[] = [response]): boolean {
  switch (mode) {
    case "LINE":
      return lines.some((l) => l.includes(arg));
    case "OK":
      return response.startsWith("OK");
    case "ERR":
      return response.startsWith("ERR");
    case "SUBSTR":
      return response.includes(arg);
    case "NOT":
      return !response.includes(arg);
  }
}

export interface ScriptResult {
  ok: boolean;
  /** The failing statement's line and why, when !ok. */
  failure?: { line: number; text: string; reason: string };
  commands: number;
}

/**
 * Runs statements, printing each command's output. A command answered with ERR fails the run
 * unless the statements right after it are EXPECTs (which then decide).
 */
export async function runScript(stmts: Statement[], run: RunLine, print: (line: string) => void): Promise<ScriptResult> {
  let last: Outcome | null = null;
  let commands = 0;
  for (let i = 0; i < stmts.length; i++) {
    const s = stmts[i];
    if (s.kind === "wait") {
      await new Promise((r) => setTimeout(r, s.ms));
      continue;
    }
    if (s.kind === "expect") {
      const response = last?.response ?? "";
      if (!expectHolds(s.mode, s.arg, response, last?.lines ?? [])) {
        const reason = (s.mode === "LINE" ? `no line contains '${s.arg}'` : `response was '${response}'`) + (s.note ? ` — ${s.note}` : "");
        return { ok: false, commands, failure: { line: s.line, text: s.text, reason } };
      }
      continue;
    }
    let outcome: Outcome;
    try {
      outcome = await run(s.text);
    } catch (e) {
      return { ok: false, commands, failure: { line: s.line, text: s.text, reason: e instanceof Error ? e.message : String(e) } };
    }
    commands++;
    for (const l of outcome.lines) print(l);
    last = outcome;
    const next = stmts[i + 1];
    if (!outcome.ok && next?.kind !== "expect") {
      return { ok: false, commands, failure: { line: s.line, text: s.text, reason: `command failed: ${outcome.response}` } };
    }
    if (outcome.exit) break;
  }
  return { ok: true, commands };
}
