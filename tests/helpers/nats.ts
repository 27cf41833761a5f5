// A real nats-server (Debian's, JetStream on) for tests and the bench: a config file with a
// token and the store directory, a free port (-1 = the server picks one, or the port of an
// earlier run to restart in place), ready when it logs "Server is ready" (the port read from its
// "Listening for client connections on" line), stopped by pid.

import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface NatsServer {
  url: string;
  port: number;
  pid: number;
  log(): string;
  /** SIGTERM (a clean shutdown: JetStream flushes its store), then waits for the exit. */
  stop(): Promise<void>;
}

export function startNats(o: { dir: string; token: string; port?: number; timeoutMs?: number }): Promise<NatsServer> {
  mkdirSync(o.dir, { recursive: true });
  const conf = join(o.dir, "nats.conf");
  // The token lives in the config file (mode 0600), not on the command line where ps shows it.
  writeFileSync(conf, `listen: "127.0.0.1:${o.port ?? -1}"\njetstream { store_dir: ${JSON.stringify(join(o.dir, "store"))} }\nauthorization { token: ${JSON.stringify(o.token)} }\n`, { mode: 0o600 });
  return new Promise((res, rej) => {
    const proc: ChildProcess = spawn("nats-server", ["-c", conf], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let port = 0;
    let settled = false;
    const exited = new Promise<void>((r) => proc.once("exit", () => r()));
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(guard);
      proc.kill("SIGKILL");
      rej(new Error(`nats-server: ${why}\n${out.slice(-2000)}`));
    };
    const guard = setTimeout(() => fail("no 'Server is ready' in time"), o.timeoutMs ?? 20_000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      const m = /Listening for client connections on [^\s]*:(\d+)/.exec(out);
      if (m) port = Number(m[1]);
      if (!settled && port > 0 && out.includes("Server is ready")) {
        settled = true;
        clearTimeout(guard);
        res({
          url: `nats://127.0.0.1:${port}`,
          port,
          pid: proc.pid!,
          log: () => out,
          async stop() {
            if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
            const t = setTimeout(() => proc.kill("SIGKILL"), 10_000);
            await exited;
            clearTimeout(t);
          },
        });
      }
    };
    proc.stdout!.on("data", onData);
    proc.stderr!.on("data", onData);
    proc.once("error", (e) => fail(e.message));
    proc.once("exit", (code, sig) => fail(`exited (${code ?? sig}) before it was ready`));
  });
}
