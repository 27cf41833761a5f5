// The embedded console (reference §5.6): the original's command subset on SwarmUI's own session,
// read-only. Reads (ls, cat, tail, log, ping) go to the hive through the SDK; writes (echo,
// spawn, kill) are refused with one clear line; anything else names cohsh. Lines come back in the
// console's own grammar (OK …, payload, END), as cohsh prints them.

import { errLine, render, replyLines, type Reply } from "../sdk/console/grammar.js";
import { NsRefusal, type NamespaceClient } from "../sdk/ns.js";

export const HELP_LINES: readonly string[] = [
  "SwarmUI console commands:",
  "  help                       Show this help",
  "  attach <role> [ticket]     Attach SwarmUI's session as a role",
  "  login <role> [ticket]      Alias for attach",
  "  detach                     Refused: SwarmUI keeps its session (use the session bar)",
  "  tail <path>                Show the last lines of a file",
  "  log                        Show the last lines of /log/queen.log",
  "  ping                       Check the session is alive",
  "  ls <path>                  List a directory",
  "  cat <path>                 Read a file",
  "  echo <text> > <path>       Refused: SwarmUI is read-only",
  "  spawn <role> [opts]        Refused: SwarmUI is read-only",
  "  kill <worker_id>           Refused: SwarmUI is read-only",
  "  quit                       Close the console stream",
  "  Use cohsh for additional CLI commands (test, pool bench, tcp-diag).",
];

export const READ_ONLY = "read-only (SwarmUI does not write to the hive; use cohsh)";

export interface ConsoleContext {
  ns: () => NamespaceClient | null;
  /** Re-attaches SwarmUI's session (the session bar's Connect). */
  attach: (role: string, ticket?: string) => Promise<void>;
  maxLines: number;
}

export interface ConsoleResult {
  ok: boolean;
  lines: string[];
}

const refuse = (verb: string, reason: string, detail: string): ConsoleResult => ({ ok: false, lines: [`ERR ${verb} reason=${reason} detail=${detail}`] });

function clip(lines: string[], max: number): string[] {
  if (lines.length <= max) return lines;
  return [...lines.slice(0, max - 1), `... ${lines.length - max + 1} more lines (console_lines_max ${max}; use cohsh)`];
}

async function run(verb: string, f: () => Promise<Reply>): Promise<ConsoleResult> {
  try {
    const r = await f();
    return { ok: r.ok, lines: replyLines(r) };
  } catch (e) {
    if (e instanceof NsRefusal) return { ok: false, lines: [errLine(verb, e)] };
    return refuse(verb, "unreachable", e instanceof Error ? e.message : String(e));
  }
}

/** One console line → its output lines (never throws). */
export async function consoleCommand(line: string, c: ConsoleContext): Promise<ConsoleResult> {
  const text = line.trim();
  if (text === "") return { ok: true, lines: [] };
  if (/[\r\n\u0000]/.test(line)) return refuse("PARSE", "policy", "control characters in command");
  const [cmd, ...args] = text.split(/\s+/);
  const verb = cmd.toLowerCase();
  const need = (n: number, usage: string): ConsoleResult | null => (args.length < n ? refuse("PARSE", "policy", `usage: ${usage}`) : null);
  if (verb === "help") return { ok: true, lines: [...HELP_LINES] };
  if (verb === "echo" || verb === "spawn" || verb === "kill") return refuse(verb.toUpperCase(), "policy", READ_ONLY);
  if (verb === "quit") return { ok: true, lines: ["... stream stopped ..."] };
  if (verb === "detach") return refuse("DETACH", "policy", "SwarmUI keeps its session; use Connect in the session bar");
  if (verb === "attach" || verb === "login") {
    const bad = need(1, `${verb} <role> [ticket]`);
    if (bad) return bad;
    return run("ATTACH", async () => {
      await c.attach(args[0], args[1]);
      return render.attach(args[0]);
    });
  }
  const ns = c.ns();
  if (!ns) return refuse(verb.toUpperCase(), "policy", "not connected (offline mode or no hive)");
  const max = c.maxLines;
  switch (verb) {
    case "ping":
      return run("PING", async () => {
        await ns.ls("/");
        return render.ping();
      });
    case "ls": {
      const bad = need(1, "ls <path>");
      if (bad) return bad;
      return run("LS", async () => render.ls(args[0], clip(await ns.ls(args[0]), max)));
    }
    case "cat": {
      const bad = need(1, "cat <path>");
      if (bad) return bad;
      return run("CAT", async () => render.cat(args[0], clip(await ns.read(args[0]), max)));
    }
    case "tail": {
      const bad = need(1, "tail <path>");
      if (bad) return bad;
      return run("TAIL", async () => render.tail(args[0], clip(await ns.tail(args[0]), max)));
    }
    case "log":
      return run("LOG", async () => render.log(clip(await ns.tail("/log/queen.log"), max)));
    default:
      return refuse("PARSE", "policy", `unsupported command '${cmd}' (type help; use cohsh for additional CLI commands)`);
  }
}
