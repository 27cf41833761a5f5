// What a cohsh command produces (Outcome) and which words are commands: shared by the shell,
// the `.coh` script runner and the self-test without any of them importing another.

export interface Outcome {
  /** Lines to show, in the order the server sent them. */
  lines: string[];
  /** The acknowledgement line EXPECT looks at (`OK …` / `ERR …`). */
  response: string;
  ok: boolean;
  /** The shell should exit after this command (quit). */
  exit?: boolean;
}

/** Runs one shell line (the Shell's run, bound): what scripts and the self-test call. */
export type RunLine = (line: string) => Promise<Outcome>;

export const COMMANDS = ["attach", "login", "detach", "ping", "ls", "cat", "tail", "log", "echo", "spawn", "kill", "bind", "mount", "lifecycle", "telemetry", "pool", "test", "help", "quit"] as const;
export type Command = (typeof COMMANDS)[number];

/** The command word of a shell line, or null if the line is not a known command. */
export function commandOf(line: string): Command | null {
  const w = line.trim().split(/\s+/)[0]?.toLowerCase() ?? "";
  return (COMMANDS as readonly string[]).includes(w) ? (w as Command) : null;
}

/** A refusal made by cohsh itself, in the console's ERR grammar. */
export function local(verb: string, detail: string): Outcome {
  const line = `ERR ${verb} reason=policy detail=${detail}`;
  return { lines: [line], response: line, ok: false };
}
