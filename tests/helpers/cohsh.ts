// Runs cohsh pieces in-process (Session + Shell + script runner) against any connector, and
// the real CLI as a subprocess when exit codes and stderr matter.

import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { tcpPipe } from "../../host/sdk/pipe.js";
import { loopbackPipe } from "../../host/sdk/connect.js";
import { parseScript, runScript, type ScriptResult } from "../../host/cohsh/script.js";
import { type Connector, Session } from "../../host/sdk/console/session.js";
import { Shell } from "../../host/cohsh/shell.js";
import type { Guest } from "../../host/runtime/guest.js";
import { ROOT } from "./serial.js";

export function loopbackConnector(guest: Guest): Connector {
  return async () => {
    const end = guest.loopback.connect(31337);
    if (!end) throw new Error("console not listening");
    return loopbackPipe(end);
  };
}

export function tcpConnector(port: number): Connector {
  return () => tcpPipe("127.0.0.1", port);
}

export async function runCohFile(file: string, connector: Connector): Promise<{ transcript: string; result: ScriptResult }> {
  const session = new Session({ connector, authToken: "changeme", heartbeatMs: 0 });
  const lines: string[] = [];
  try {
    const result = await runScript(parseScript(readFileSync(resolve(ROOT, file), "utf8")), new Shell(session).runLine, (l) => lines.push(l));
    return { transcript: lines.join("\n") + "\n", result };
  } finally {
    session.close();
  }
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The real `cohsh` launcher (./bin/cohsh), as an operator would run it. */
export function cohsh(args: string[], input = "", timeoutMs = 30_000, env: NodeJS.ProcessEnv = process.env): Promise<CliResult> {
  return new Promise((res, rej) => {
    const p = spawn(resolve(ROOT, "bin/cohsh"), args, { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"], env });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const t = setTimeout(() => {
      p.kill("SIGKILL");
      rej(new Error(`cohsh ${args.join(" ")} did not finish in ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    p.on("exit", (code) => {
      clearTimeout(t);
      res({ code, stdout, stderr: stderr.split("\n").filter((l) => !l.includes("npm warn")).join("\n") });
    });
    p.stdin.end(input);
  });
}
