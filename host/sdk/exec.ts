// Running a host command (systemctl, kubectl, nvidia-smi…) for the host tools that probe or act
// on the machine: found on PATH (which is how tests put stateful fakes in front), under a
// deadline, never rejecting — a failure is a value with the command's own words.

import { execFile } from "node:child_process";

export interface RunResult {
  ok: boolean;
  stdout: string;
  error: string;
}

export type Runner = (cmd: string, args: string[]) => Promise<RunResult>;

export function commandRunner(timeoutMs: number): Runner {
  return (cmd, args) =>
    new Promise((res) => {
      execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 1 << 20, encoding: "utf8" }, (err, stdout, stderr) => {
        if (!err) return res({ ok: true, stdout, error: "" });
        const e = err as NodeJS.ErrnoException & { killed?: boolean };
        const why = e.code === "ENOENT" ? `${cmd} not found` : e.killed ? `${cmd} exceeded its ${timeoutMs} ms deadline` : stderr.trim() || err.message;
        res({ ok: false, stdout, error: why });
      });
    });
}

/** `Key=Value` lines (systemctl show) as a record. */
export function parseProps(text: string): Record<string, string> {
  const p: Record<string, string> = {};
  for (const l of text.split("\n")) {
    const i = l.indexOf("=");
    if (i > 0) p[l.slice(0, i).trim()] = l.slice(i + 1).trim();
  }
  return p;
}
