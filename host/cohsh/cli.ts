// cohsh: the operator shell for a Cohesix hive — the coh> prompt on a terminal, a script from
// --script or piped stdin, `--check`, `--mint-ticket`. Where the hive is (--transport) and what
// is spoken to it (--protocol) come from host/sdk; this file wires options to them and makes sure
// nothing cohsh started (a mock core, a QEMU guest, a console lock) outlives it.

import { readFileSync } from "node:fs";
import { join } from "node:path";
import { hideBin } from "yargs/helpers";
import { MANIFEST } from "../generated/manifest.js";
import { Session, SessionError } from "../sdk/console/session.js";
import { mockTransport, qemuTransport, restClient, RestUnavailableError, tcpTransport, type Transport } from "../sdk/connect.js";
import { NsClosed } from "../sdk/ns.js";
import { NineNamespace } from "../sdk/ns_9p.js";
import { ConnectError } from "../sdk/pipe.js";
import { DEFAULT_POLICY, loadPolicy } from "../sdk/policy.js";
import { mintTicket, parseRole } from "../sdk/ticket/index.js";
import { LockError, takeConsoleLock } from "./lock.js";
import { mintTicketCli, resolveTicketSecret } from "./mint.js";
import { parseOptions, type CliOptions } from "./options.js";
import { POOL_SESSIONS } from "./pool.js";
import { repl } from "./repl.js";
import { parseScript, runScript, type Statement } from "./script.js";
import { Shell } from "./shell.js";
import { loadTrace, replayConnector, TraceError, TraceRecorder } from "./trace.js";
import { ConsoleWire, NsWire, type Wire } from "./wire.js";

const BANNER = "Welcome to Cohesix. Type 'help' for commands.";
const DETACHED = "detached shell: run 'attach <role>' to connect";

const out = (l: string): void => void process.stdout.write(l + "\n");
const err = (l: string): void => void process.stderr.write(l + "\n");

/** Everything cohsh started, stopped once whatever ends it (exit, signal, closed stdout). */
class Lifetime {
  private stops: Array<() => Promise<void> | void> = [];
  private stopping: Promise<void> | null = null;

  add(stop: () => Promise<void> | void): void {
    this.stops.unshift(stop);
  }

  stop(): Promise<void> {
    this.stopping ??= (async () => {
      for (const s of this.stops.splice(0)) await Promise.resolve().then(s).catch(() => undefined);
    })();
    return this.stopping;
  }

  /** Signals and a closed stdout (`cohsh … | head`) stop everything, then exit. */
  guard(): void {
    const end = (code: number) => (): void => {
      void this.stop().finally(() => process.exit(code));
    };
    process.once("SIGTERM", end(143));
    process.once("SIGHUP", end(129));
    process.once("SIGPIPE", end(141));
    process.stdout.on("error", (e: NodeJS.ErrnoException) => {
      if (e.code === "EPIPE") end(141)();
    });
  }
}

async function scriptSource(o: CliOptions): Promise<{ name: string; text: string } | null> {
  if (o.script) return { name: o.script, text: readFileSync(o.script, "utf8") };
  // Piped stdin is a script: no banner, no prompts, non-zero exit on the first failure. Read as a
  // stream, not readFileSync(0): a parent that spawned us with a non-blocking pipe would make a
  // synchronous read fail with EAGAIN.
  if (!process.stdin.isTTY) {
    const parts: Buffer[] = [];
    for await (const c of process.stdin) parts.push(typeof c === "string" ? Buffer.from(c) : (c as Buffer));
    return { name: "<stdin>", text: Buffer.concat(parts).toString("utf8") };
  }
  return null;
}

/** A ticket for `attach <role>` typed without one: --ticket for --role, else minted if a secret was named. */
function ticketProvider(o: CliOptions): (role: string) => string | undefined {
  return (role) => {
    const r = parseRole(role);
    if (r === null) return undefined;
    if (o.ticket && o.role && parseRole(o.role) === r) return o.ticket;
    if (o.ticketSecret === undefined && o.ticketConfig === undefined && !process.env.COHSH_TICKET_SECRET && !process.env.COHSH_TICKET_CONFIG) return undefined;
    const secret = resolveTicketSecret(r, { ticketSecret: o.ticketSecret, ticketConfig: o.ticketConfig }, process.env);
    if (!secret.ok) return undefined;
    const t = mintTicket({ role: r, subject: o.ticketSubject, secret: secret.value.secret });
    return t.ok ? t.value.token : undefined;
  };
}

async function openTransport(o: CliOptions, life: Lifetime, log: (l: string) => void, onDiverge: (why: string) => void): Promise<{ transport: Transport | null; recorder: TraceRecorder | null }> {
  if (o.transport === "rest") return { transport: null, recorder: null };
  if (o.transport === "mock" && o.replayTrace) {
    const t = loadTrace(o.replayTrace);
    if (!t.ok) throw new TraceError(t.error);
    if (t.value.protocol !== o.protocol) throw new TraceError(`trace file ${o.replayTrace} was recorded with --protocol ${t.value.protocol}`);
    return { transport: { name: "mock", connector: replayConnector(t.value, onDiverge), endpoint: "mock", describe: `replay of ${o.replayTrace}`, stop: async () => {} }, recorder: null };
  }
  let t: Transport;
  if (o.transport === "mock") t = await mockTransport(o.mockWasm);
  else if (o.transport === "qemu") {
    const image = o.qemuImage ?? (o.qemuOutDir ? join(o.qemuOutDir, "cohesix.img") : undefined);
    t = await qemuTransport({ gic: o.qemuGic, cpu: o.qemuCpu, image, qemuBin: o.qemuBin, extraArgs: o.qemuArgs, log });
  } else t = tcpTransport(o.tcpHost, o.tcpPort);
  life.add(() => t.stop());
  if (process.env.COHSH_CONSOLE_LOCK === "1" && t.name !== "mock") life.add(takeConsoleLock(t.endpoint));
  if (o.recordTrace) {
    const rec = new TraceRecorder(o.recordTrace, o.protocol);
    return { transport: { ...t, connector: rec.wrap(t.connector) }, recorder: rec };
  }
  return { transport: t, recorder: null };
}

async function main(): Promise<number> {
  const parsed = await parseOptions(hideBin(process.argv));
  if (parsed.kind === "help") {
    out(parsed.text);
    return 0;
  }
  if (parsed.kind === "error") {
    err(`cohsh: ${parsed.message}`);
    return 2;
  }
  const o = parsed.options;

  if (o.mintTicket) {
    const r = mintTicketCli({ role: o.role, ticketSubject: o.ticketSubject, ticketSecret: o.ticketSecret, ticketConfig: o.ticketConfig });
    process.stdout.write(r.stdout);
    process.stderr.write(r.stderr);
    return r.code;
  }

  if (o.check) {
    try {
      const stmts = parseScript(readFileSync(o.check, "utf8"));
      if (o.json) out(JSON.stringify({ ok: true, file: o.check, statements: stmts.length }));
      else out(`${o.check}: OK (${stmts.length} statements)`);
      return 0;
    } catch (e) {
      const msg = e instanceof Error ? e.message : String(e);
      if (o.json) out(JSON.stringify({ ok: false, file: o.check, error: msg }));
      else err(`${o.check}: ${msg}`);
      return 2;
    }
  }

  // Parse a script before connecting, so a typo never half-runs against a live hive.
  let script: { name: string; stmts: Statement[] } | null = null;
  try {
    const src = await scriptSource(o);
    if (src) script = { name: src.name, stmts: parseScript(src.text) };
  } catch (e) {
    err(`cohsh: ${o.script ?? "<stdin>"}: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }

  // The client policy must be the one this cohsh was generated with (hash-checked).
  const loaded = loadPolicy(o.policy ?? DEFAULT_POLICY);
  if (!loaded.ok) {
    err(`cohsh: ${loaded.error}`);
    return 2;
  }
  const pol = loaded.policy;
  // Record and replay must see the same bytes: no keepalive PINGs in between.
  const heartbeatMs = o.recordTrace || o.replayTrace ? 0 : (o.heartbeatMs ?? pol.heartbeatMs);
  const timeoutMs = o.retryTimeoutMs ?? pol.retry.timeoutMs;
  const authToken = o.authToken ?? MANIFEST.console.auth_token;
  const log = (l: string): void => {
    if (o.verbose || !script) err(l);
  };

  const life = new Lifetime();
  life.guard();
  let diverged: string | null = null;
  try {
    const { transport, recorder } = await openTransport(o, life, log, (why) => (diverged ??= why));
    let wire: Wire;
    if (o.transport === "rest") wire = new NsWire(await restClient(o.restUrl ?? "", o.restAuthToken));
    else if (o.protocol === "9p") wire = new NsWire(new NineNamespace({ connector: transport!.connector, timeoutMs, log }));
    else
      wire = new ConsoleWire(
        new Session({
          connector: transport!.connector,
          name: transport!.name,
          endpoint: transport!.name === "mock" ? undefined : transport!.endpoint,
          authToken,
          log,
          retry: {
            maxAttempts: o.retryMaxAttempts ?? pol.retry.maxAttempts,
            backoffMs: o.retryBackoffMs ?? pol.retry.backoffMs,
            ceilingMs: o.retryCeilingMs ?? pol.retry.ceilingMs,
          },
          timeoutMs,
          heartbeatMs,
        }),
      );
    life.add(() => wire.close());
    const shell = new Shell(wire, {
      pool: transport ? { connector: transport.connector, token: authToken, timeoutMs, sessions: { control: o.poolControlSessions ?? POOL_SESSIONS.control, telemetry: o.poolTelemetrySessions ?? POOL_SESSIONS.telemetry } } : undefined,
      ticketFor: ticketProvider(o),
    });

    await wire.connect();
    if (!script) out(BANNER);
    if (o.role) {
      const r = await shell.run(`attach ${o.role}${o.ticket ? " " + o.ticket : ""}`);
      r.lines.forEach(out);
      if (!r.ok) return 1;
    }
    let code = 0;
    if (script) {
      const result = await runScript(script.stmts, shell.runLine, out);
      if (o.json) out(JSON.stringify({ ok: result.ok, file: script.name, commands: result.commands, failure: result.failure ?? null }));
      if (!result.ok && result.failure) {
        err(`cohsh: ${script.name}: FAIL at line ${result.failure.line} (${result.failure.text}): ${result.failure.reason}`);
        code = 1;
      }
    } else {
      // The second banner line says what the session is, after any --role attach.
      out(wire.role ? `attached shell: role=${wire.role}; 'quit' closes the session` : DETACHED);
      code = await repl(shell, { input: process.stdin, output: process.stdout, note: err, print: out });
    }
    if (diverged) {
      err(`cohsh: ${diverged}`);
      code = 1;
    }
    if (recorder) {
      await wire.close();
      recorder.save();
    }
    return code;
  } catch (e) {
    if (e instanceof SessionError || e instanceof ConnectError || e instanceof NsClosed || e instanceof TraceError || e instanceof LockError || e instanceof RestUnavailableError) {
      err(`cohsh: ${diverged ?? e.message}`);
      return e instanceof TraceError || e instanceof RestUnavailableError ? 2 : 1;
    }
    throw e;
  } finally {
    await life.stop();
  }
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    err(`cohsh: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
