// cohsh: the operator shell for a Cohesix hive (REPL, `--script`, `--check`).

import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { MANIFEST } from "../generated/manifest.js";
import { Session, SessionError } from "../sdk/console/session.js";
import { mockTransport, qemuTransport, tcpTransport, type Transport } from "../sdk/connect.js";
import { NsClosed } from "../sdk/ns.js";
import { NineNamespace } from "../sdk/ns_9p.js";
import { ConnectError } from "../sdk/pipe.js";
import { DEFAULT_POLICY, loadPolicy } from "../sdk/policy.js";
import { mintTicketCli } from "./mint.js";
import { parseScript, runScript } from "./script.js";
import { Shell } from "./shell.js";
import { ConsoleWire, NsWire, type Wire } from "./wire.js";

const BANNER = ["Welcome to Cohesix. Type 'help' for commands.", "detached shell: run 'attach <role>' to connect"];
const PROMPT = "coh> ";

function envInt(name: string): number | undefined {
  const v = process.env[name];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

async function main(): Promise<number> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName("cohsh")
    .usage("$0 [options]\n\nThe Cohesix operator shell.")
    .option("transport", { choices: ["tcp", "mock", "qemu", "9p"] as const, default: "tcp" as const, describe: "where the console is (9p: Secure9P on --tcp-host/--tcp-port; needs --role and --ticket)" })
    .option("tcp-host", { type: "string", default: process.env.COHSH_TCP_HOST ?? "127.0.0.1" })
    .option("tcp-port", { type: "number", default: envInt("COHSH_TCP_PORT") ?? MANIFEST.network.console_port })
    .option("auth-token", { type: "string", describe: "console AUTH token (env COHSH_AUTH_TOKEN; default: the manifest's)" })
    .option("role", { type: "string", describe: "attach as this role on start" })
    .option("ticket", { type: "string", describe: "ticket for --role" })
    .option("script", { type: "string", describe: "run a .coh script and exit (non-zero on the first failure)" })
    .option("check", { type: "string", describe: "check a .coh script's syntax and exit" })
    .option("qemu-gic-version", { choices: [2, 3] as const, default: 3 as 2 | 3 })
    .option("qemu-cpu", { type: "string", default: "cortex-a57" })
    .option("qemu-image", { type: "string", describe: "--transport qemu: boot this image instead of out/cohesix.img" })
    .option("mock-wasm", { type: "string", describe: "--transport mock: run this core instead of out/cohesix.wasm" })
    .option("policy", { type: "string", describe: "client policy file (env COHSH_POLICY; default out/cohsh_policy.toml)" })
    .option("retry-max-attempts", { type: "number", describe: "default from the policy (env COHSH_RETRY_MAX_ATTEMPTS)" })
    .option("retry-backoff-ms", { type: "number", describe: "default from the policy (env COHSH_RETRY_BACKOFF_MS)" })
    .option("retry-ceiling-ms", { type: "number", describe: "default from the policy (env COHSH_RETRY_CEILING_MS)" })
    .option("retry-timeout-ms", { type: "number", describe: "reply timeout per command; default from the policy (env COHSH_RETRY_TIMEOUT_MS)" })
    .option("heartbeat-interval-ms", { type: "number", describe: "idle keepalive; default from the policy (env COHSH_HEARTBEAT_INTERVAL_MS)" })
    .option("mint-ticket", { type: "boolean", default: false, describe: "print a capability ticket for --role and exit" })
    .option("ticket-subject", { type: "string", describe: "--mint-ticket: the worker id or scope the ticket names" })
    .option("ticket-secret", { type: "string", describe: "--mint-ticket: MAC secret (env COHSH_TICKET_SECRET)" })
    .option("ticket-config", { type: "string", describe: "--mint-ticket: a manifest whose [[tickets]] hold the secret (env COHSH_TICKET_CONFIG)" })
    .option("json", { type: "boolean", default: false, describe: "--check/--script: print a JSON summary on stdout" })
    .option("verbose", { alias: "v", type: "boolean", default: false })
    .strict()
    .help()
    .parseAsync();

  if (argv["mint-ticket"]) {
    const r = mintTicketCli({ role: argv.role, ticketSubject: argv["ticket-subject"], ticketSecret: argv["ticket-secret"], ticketConfig: argv["ticket-config"] });
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    return r.code;
  }

  if (argv.check) {
    try {
      const stmts = parseScript(readFileSync(argv.check, "utf8"));
      if (argv.json) process.stdout.write(JSON.stringify({ ok: true, file: argv.check, statements: stmts.length }) + "\n");
      else process.stdout.write(`${argv.check}: OK (${stmts.length} statements)\n`);
      return 0;
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (argv.json) process.stdout.write(JSON.stringify({ ok: false, file: argv.check, error: msg }) + "\n");
      else process.stderr.write(`${argv.check}: ${msg}\n`);
      return 2;
    }
  }

  // Parse a script before connecting, so a typo never half-runs against a live hive.
  let script: ReturnType<typeof parseScript> | null = null;
  if (argv.script) {
    try {
      script = parseScript(readFileSync(argv.script, "utf8"));
    } catch (e) {
      process.stderr.write(`cohsh: ${argv.script}: ${e instanceof Error ? e.message : String(e)}\n`);
      return 2;
    }
  }

  // The client policy must be the one this cohsh was generated with (hash-checked).
  const loaded = loadPolicy(argv.policy ?? process.env.COHSH_POLICY ?? DEFAULT_POLICY);
  if (!loaded.ok) {
    process.stderr.write(`cohsh: ${loaded.error}\n`);
    return 2;
  }
  const pol = loaded.policy;
  const pick = (flag: number | undefined, env: string, fallback: number): number => flag ?? envInt(env) ?? fallback;

  const log = (l: string): void => {
    if (argv.verbose || !script) process.stderr.write(l + "\n");
  };
  let transport: Transport;
  if (argv.transport === "mock") transport = await mockTransport(argv["mock-wasm"]);
  else if (argv.transport === "qemu") transport = await qemuTransport({ gic: argv["qemu-gic-version"], cpu: argv["qemu-cpu"], image: argv["qemu-image"], log });
  else transport = tcpTransport(argv["tcp-host"], argv["tcp-port"]);

  // A guest cohsh booted must not outlive it, whatever ends cohsh.
  for (const sig of ["SIGTERM", "SIGHUP"] as const) {
    process.once(sig, () => {
      void transport.stop().finally(() => process.exit(143));
    });
  }

  const timeoutMs = pick(argv["retry-timeout-ms"], "COHSH_RETRY_TIMEOUT_MS", pol.retry.timeoutMs);
  const session: Wire =
    argv.transport === "9p"
      ? new NsWire(new NineNamespace({ connector: transport.connector, timeoutMs, log }))
      : new ConsoleWire(
          new Session({
            connector: transport.connector,
            name: argv.transport,
            endpoint: transport.name === "mock" ? undefined : transport.endpoint,
            authToken: argv["auth-token"] ?? process.env.COHSH_AUTH_TOKEN ?? MANIFEST.console.auth_token,
            log,
            retry: {
              maxAttempts: pick(argv["retry-max-attempts"], "COHSH_RETRY_MAX_ATTEMPTS", pol.retry.maxAttempts),
              backoffMs: pick(argv["retry-backoff-ms"], "COHSH_RETRY_BACKOFF_MS", pol.retry.backoffMs),
              ceilingMs: pick(argv["retry-ceiling-ms"], "COHSH_RETRY_CEILING_MS", pol.retry.ceilingMs),
            },
            timeoutMs,
            heartbeatMs: pick(argv["heartbeat-interval-ms"], "COHSH_HEARTBEAT_INTERVAL_MS", pol.heartbeatMs),
          }),
        );
  const shell = new Shell(session, {
    connector: transport.connector,
    token: argv["auth-token"] ?? process.env.COHSH_AUTH_TOKEN ?? MANIFEST.console.auth_token,
    timeoutMs,
  });
  try {
    await session.connect();
    if (!script) for (const l of BANNER) process.stdout.write(l + "\n");
    if (argv.role) {
      const r = await shell.run(`attach ${argv.role}${argv.ticket ? " " + argv.ticket : ""}`);
      for (const l of r.lines) process.stdout.write(l + "\n");
      if (!r.ok) return 1;
    }
    if (script) {
      const result = await runScript(script, shell.runLine, (l) => process.stdout.write(l + "\n"));
      if (argv.json) process.stdout.write(JSON.stringify({ ok: result.ok, file: argv.script, commands: result.commands, failure: result.failure ?? null }) + "\n");
      if (!result.ok && result.failure) {
        process.stderr.write(`cohsh: ${argv.script}: FAIL at line ${result.failure.line} (${result.failure.text}): ${result.failure.reason}\n`);
        return 1;
      }
      return 0;
    }
    return await repl(shell);
  } catch (e) {
    if (e instanceof SessionError || e instanceof ConnectError || e instanceof NsClosed) {
      process.stderr.write(`cohsh: ${e.message}\n`);
      return 1;
    }
    throw e;
  } finally {
    session.close();
    await transport.stop();
  }
}

async function repl(shell: Shell): Promise<number> {
  const rl = createInterface({ input: process.stdin, output: process.stdout, prompt: PROMPT, historySize: 200, terminal: process.stdin.isTTY });
  // Lines are queued and run one at a time: a command may take a while, typing ahead is fine.
  const queue: string[] = [];
  let ended = false;
  let wake: (() => void) | null = null;
  let follow: AbortController | null = null;
  rl.on("line", (l) => {
    // Enter while a tail follows stops the follow; the line itself is not a command.
    if (follow && !l.trim()) return follow.abort();
    queue.push(l);
    wake?.();
  });
  rl.on("close", () => {
    ended = true;
    wake?.();
  });
  rl.on("SIGINT", () => {
    if (follow) follow.abort();
    else rl.close();
  });
  rl.prompt();
  for (;;) {
    const line = queue.shift();
    if (line === undefined) {
      if (ended) break;
      await new Promise<void>((r) => (wake = r));
      wake = null;
      continue;
    }
    if (line.trim()) {
      // Only a terminal can stop a follow, so piped input gets one snapshot per tail.
      follow = process.stdin.isTTY ? new AbortController() : null;
      try {
        const r = await shell.run(line, { follow: follow?.signal, print: (l) => process.stdout.write(l + "\n") });
        for (const l of r.lines) process.stdout.write(l + "\n");
        if (r.exit) break;
      } catch (e) {
        process.stdout.write(`error: ${e instanceof Error ? e.message : String(e)}\n`);
      }
      follow = null;
    }
    if (!ended) rl.prompt();
  }
  rl.close();
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`cohsh: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
