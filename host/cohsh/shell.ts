// cohsh's commands: what each shell line sends on the wire and what it prints. The REPL and
// `.coh` scripts both run lines through here, so a script behaves exactly like typing.

import { replyLines, type Reply } from "../sdk/console/grammar.js";
import { Session } from "../sdk/console/session.js";
import { newLines } from "../sdk/ns.js";
import { FOLLOW_POLL_MS } from "../sdk/ns_console.js";
import type { Connector } from "../sdk/pipe.js";
import { bindRequest, killRequest, mountRequest, QUEEN_CTL, spawnRequest } from "../sdk/queen_ctl.js";
import { PushError, telemetryPush } from "../sdk/telemetry.js";
import { parseRole } from "../sdk/ticket/index.js";
import { LIFECYCLE_TRANSITIONS } from "../generated/protocol.js";
import { commandOf, local, type Outcome } from "./grammar.js";
import { parsePoolArgs, poolBench } from "./pool.js";
import { formatReport, parseTestArgs, selfTest, type SpawnTracker } from "./selftest.js";
import { ConsoleWire, type Wire } from "./wire.js";

export type { Outcome } from "./grammar.js";
export { commandOf } from "./grammar.js";
export { spawnJson } from "../sdk/queen_ctl.js";

const QUEEN_LOG = "/log/queen.log";

export const HELP = [
  "cohsh commands:",
  "  attach <role> [ticket]     attach this session (alias: login)",
  "  detach                     close the console session, stay in the shell",
  "  ping                       liveness check (needs an attached session)",
  "  ls <path>                  list a directory",
  "  cat <path>                 show a file",
  "  tail <path>                show a file's lines (interactive: follows until Enter or Ctrl-C)",
  "  log [N]                    the last N (default and at most 64) records of /log/queen.log; follows like tail",
  "  echo <text> > <path>       append one record",
  "  spawn heartbeat ticks=N [ttl_s=S] [ops=N]",
  "  spawn gpu gpu_id=ID mem_mb=N streams=N ttl_s=S [priority=N] [budget_ttl_s=S] [budget_ops=N]",
  "  kill <worker>              request a worker's termination",
  "  bind <from> <to>           overlay <from> at <to> (via /queen/ctl)",
  "  mount <service> <path>     mount a named service at <path> (via /queen/ctl)",
  "  lifecycle <cordon|drain|resume|quiesce|reset>",
  "  telemetry push <file> --device <id>   push a .txt/.log/.json/.ndjson/.csv file as a new segment",
  "  test [--mode quick|full|negative|smp] [--json] [--timeout s] [--no-mutate]   run the guest's self-test",
  "  pool bench [path=P] [ops=N] [batch=N] [payload=TEXT] [payload_bytes=N] [delay_ms=N] [inject_failures=N] [inject_bytes=N] [exhaust=1] [kind=control|telemetry]",
  "  help                       this text",
  "  quit                       close the session and exit",
];

function fromReply(r: Reply): Outcome {
  return { lines: replyLines(r), response: r.ack, ok: r.ok };
}

export interface RunOptions {
  /** Interactive tail: print new lines every poll until the signal aborts. */
  follow?: AbortSignal;
  print?: (line: string) => void;
  /** Told once when a follow starts (the REPL says how to stop it). */
  onFollow?: (what: string) => void;
}

/** What `pool bench` needs to open sessions of its own. */
export interface PoolContext {
  connector: Connector;
  token: string;
  timeoutMs: number;
  /** Sessions per pool kind (--pool-control-sessions, --pool-telemetry-sessions). */
  sessions?: { control: number; telemetry: number };
}

export interface ShellOptions {
  pool?: PoolContext;
  /** The ticket for an `attach <role>` typed without one (from --ticket, or minted on request). */
  ticketFor?: (role: string) => string | undefined;
}

export class Shell {
  private readonly session: Wire;

  /** `session`: a console Session, or any Wire (NsWire over 9P or REST). */
  private readonly pool?: PoolContext;
  private readonly ticketFor?: (role: string) => string | undefined;

  constructor(session: Session | Wire, opts: ShellOptions | PoolContext = {}) {
    this.session = session instanceof Session ? new ConsoleWire(session) : session;
    const o: ShellOptions = "connector" in opts ? { pool: opts } : opts;
    this.pool = o.pool;
    this.ticketFor = o.ticketFor;
  }

  /** The shell's run, bound: what scripts and the self-test are given. */
  readonly runLine = (line: string): Promise<Outcome> => this.run(line);

  async run(input: string, opts: RunOptions = {}): Promise<Outcome> {
    const line = input.trim();
    const words = line.split(/\s+/);
    const cmd = commandOf(line);
    if (cmd === null) return local("SHELL", `unknown command '${words[0]}' (try help)`);
    const arg = line.slice(words[0].length).trim();
    switch (cmd) {
      case "help":
        return { lines: HELP, response: "OK HELP", ok: true };
      case "attach":
      case "login":
        return this.attach(words.slice(1));
      case "detach": {
        if (this.session.isConnected) await this.session.request("QUIT").catch(() => undefined);
        this.session.close();
        this.session.forgetAttach();
        return { lines: ["OK DETACH"], response: "OK DETACH", ok: true };
      }
      case "ping":
        // The original's ping reports attachment: an error when detached or given arguments.
        if (arg) return local("PING", "ping takes no arguments");
        if (!this.session.role) return local("PING", "not-attached (run 'attach <role>' first)");
        return fromReply(await this.session.request("PING"));
      case "ls":
        if (!arg) return local("LS", "missing required argument: path");
        return fromReply(await this.session.request(`LS ${arg}`));
      case "cat":
        if (!arg) return local("CAT", "missing required argument: path");
        return this.cat(arg);
      case "tail":
        if (!arg) return local("TAIL", "missing required argument: path");
        return this.tail(arg, opts);
      case "log": {
        if (arg && !/^\d{1,9}$/.test(arg)) return local("LOG", "usage: log [N] (N: how many of the newest records)");
        const n = arg ? Number(arg) : undefined;
        if (n === 0) return local("LOG", "N must be at least 1");
        return this.tail(QUEEN_LOG, opts, n);
      }
      case "echo": {
        const i = arg.lastIndexOf(" > ");
        if (i < 0) return local("ECHO", "usage: echo <text> > <path>");
        let text = arg.slice(0, i).replace(/[\r\n]+/g, " ");
        // As in a shell, one pair of outer single quotes is not part of the record (seed 000).
        if (text.length >= 2 && text.startsWith("'") && text.endsWith("'")) text = text.slice(1, -1);
        const path = arg.slice(i + 3).trim();
        if (!path) return local("ECHO", "missing required argument: path");
        return fromReply(await this.session.request(`ECHO ${path} ${text}`));
      }
      case "spawn": {
        const json = spawnRequest(words.slice(1));
        if (!json.ok) return local("SPAWN", json.error);
        return fromReply(await this.session.request(`ECHO ${QUEEN_CTL} ${json.value}`));
      }
      case "kill": {
        const json = killRequest(arg);
        if (!json.ok) return local("KILL", json.error);
        return fromReply(await this.session.request(`ECHO ${QUEEN_CTL} ${json.value}`));
      }
      case "bind":
      case "mount": {
        const a = words.slice(1);
        if (a.length !== 2) return local(cmd.toUpperCase(), cmd === "bind" ? "usage: bind <from> <to>" : "usage: mount <service> <path>");
        const json = cmd === "bind" ? bindRequest(a[0], a[1]) : mountRequest(a[0], a[1]);
        if (!json.ok) return local(cmd.toUpperCase(), json.error);
        if (cmd === "mount") {
          const known = await this.services();
          if (known && !known.includes(a[0])) return local("MOUNT", `unknown service '${a[0]}' (the hive serves: ${known.join(", ")})`);
        }
        return fromReply(await this.session.request(`ECHO ${QUEEN_CTL} ${json.value}`));
      }
      case "lifecycle":
        return this.lifecycle(arg);
      case "telemetry": {
        const a = words.slice(1);
        const di = a.indexOf("--device");
        if (a[0] !== "push" || a.length !== 4 || di < 0 || di === a.length - 1) return local("TELEMETRY", "usage: telemetry push <file> --device <id>");
        const device = a[di + 1];
        const file = a.filter((_, i) => i !== 0 && i !== di && i !== di + 1)[0];
        try {
          const r = await telemetryPush(file, device, this.session.ns);
          const line = `OK TELEMETRY action=push device=${r.device} seg_id=${r.seg} records=${r.records} bytes=${r.bytes}`;
          return { lines: [line], response: line, ok: true };
        } catch (e) {
          if (e instanceof PushError) return local("TELEMETRY", e.message);
          throw e;
        }
      }
      case "test": {
        const o = parseTestArgs(words.slice(1));
        if (typeof o === "string") return local("TEST", o);
        const r = await selfTest(this.runLine, o, this.spawnTracker());
        const lines = formatReport(r, o.json);
        const ack = r.ok ? `OK TEST mode=${o.mode} checks=${r.checks.length}` : `ERR TEST reason=policy detail=failed mode=${o.mode}`;
        return { lines, response: ack, ok: r.ok };
      }
      case "pool": {
        if (words[1] !== "bench" || !this.pool) return local("POOL", "usage: pool bench k=v ...");
        const o = parsePoolArgs(words.slice(2));
        if (typeof o === "string") return local("POOL", o);
        const r = await poolBench(o, this.pool.connector, this.pool.token, this.pool.timeoutMs, this.pool.sessions);
        const last = r.lines[r.lines.length - 1];
        return { lines: r.lines, response: last, ok: r.ok };
      }
      case "quit": {
        let r: Outcome = { lines: [], response: "OK QUIT", ok: true };
        if (this.session.isConnected) r = fromReply(await this.session.request("QUIT"));
        this.session.close();
        return { ...r, lines: [...r.lines, "closing session"], exit: true };
      }
    }
    return local("SHELL", "unreachable");
  }

  private async attach(args: string[]): Promise<Outcome> {
    if (args.length === 0) return local("ATTACH", "attach requires a role");
    if (args.length > 2) return local("ATTACH", "attach takes at most two arguments: role and optional ticket");
    const role = args[0];
    if (parseRole(role) === null) return local("ATTACH", `unknown role '${role}'`);
    if (this.session.role) return local("ATTACH", "already attached; run 'quit' to close the current session");
    return fromReply(await this.session.attach(role, args[1] ?? this.ticketFor?.(role) ?? ""));
  }

  /** The hive's top-level names (what `mount` may name), or null if it cannot be listed. */
  private async services(): Promise<string[] | null> {
    const r = await this.session.request("LS /");
    return r.ok ? r.lines : null;
  }

  /** `cat`: the file's lines; for the queen log, whose CAT is a summary only, its records too. */
  private async cat(path: string): Promise<Outcome> {
    const r = await this.session.request(`CAT ${path}`);
    if (!r.ok || path !== QUEEN_LOG || r.lines.length > 0) return fromReply(r);
    // The guest answers the queen log's CAT with the data= summary and no body (the original's
    // clients read the summary); the records the seeds show there come from one TAIL.
    const t = await this.session.request(`TAIL ${path}`);
    return fromReply(t.ok ? { ...r, lines: t.lines } : r);
  }

  /** Lets the self-test learn which workers a `spawn` created (`{spawned}`) and remove them after. */
  private spawnTracker(): SpawnTracker {
    return {
      workers: async () => {
        const r = await this.session.request("LS /worker");
        return r.ok ? r.lines : [];
      },
    };
  }

  /** Checks the transition against /proc/lifecycle/state first, as the original cohsh does. */
  private async lifecycle(cmd: string): Promise<Outcome> {
    const from = LIFECYCLE_FROM[cmd];
    if (!from) return local("LIFECYCLE", `usage: lifecycle <${Object.keys(LIFECYCLE_FROM).join("|")}>`);
    const st = await this.session.request("CAT /proc/lifecycle/state");
    if (!st.ok) return fromReply(st);
    const state = (st.lines[0] ?? "").replace(/^state=/, "");
    if (!from(state)) {
      const line = `ERR LIFECYCLE action=${cmd} state=${state} reason=invalid-transition`;
      return { lines: [line], response: line, ok: false };
    }
    return fromReply(await this.session.request(`ECHO /queen/lifecycle/ctl ${cmd}`));
  }

  /** `tail`/`log`: one snapshot (the newest `last` lines when given); at a prompt, then follows. */
  private async tail(path: string, opts: RunOptions, last?: number): Promise<Outcome> {
    const cut = (lines: string[]): string[] => (last === undefined ? lines : lines.slice(-last));
    const first = await this.session.request(`TAIL ${path}`);
    const out = fromReply(first.ok ? { ...first, lines: cut(first.lines) } : first);
    if (!opts.follow || !first.ok) return out;
    // Follow mode: print the snapshot, then only lines that are new at each poll.
    for (const l of out.lines) opts.print?.(l);
    opts.onFollow?.(path);
    let seen = first.lines;
    while (!opts.follow.aborted) {
      await new Promise<void>((res) => {
        const t = setTimeout(res, FOLLOW_POLL_MS);
        opts.follow?.addEventListener("abort", () => {
          clearTimeout(t);
          res();
        }, { once: true });
      });
      if (opts.follow.aborted) break;
      const r = await this.session.request(`TAIL ${path}`);
      if (!r.ok) return fromReply(r);
      for (const l of newLines(seen, r.lines)) opts.print?.(l);
      seen = r.lines;
    }
    return { lines: [], response: first.ack, ok: true };
  }
}

/** Which states each lifecycle command may start from: the generated transition table ("*" = any but its target). */
const LIFECYCLE_FROM: Record<string, (s: string) => boolean> = Object.fromEntries(
  LIFECYCLE_TRANSITIONS.map((t) => [t.cmd, (s: string) => (t.from === "*" ? s !== t.to : (t.from as readonly string[]).includes(s))]),
);
