// cohsh's commands: what each shell line sends on the wire and what it prints. The REPL and
// `.coh` scripts both run lines through here, so a script behaves exactly like typing.

import type { Reply } from "../console/client.js";
import { parsePoolArgs, poolBench } from "./pool.js";
import { formatReport, parseTestArgs, selfTest } from "./selftest.js";
import type { Connector, Session } from "./session.js";
import { PushError, telemetryPush } from "./telemetry_push.js";

export interface Outcome {
  /** Lines to show, in the order the server sent them. */
  lines: string[];
  /** The acknowledgement line EXPECT looks at (`OK …` / `ERR …`). */
  response: string;
  ok: boolean;
  /** The shell should exit after this command (quit). */
  exit?: boolean;
}

export const ROLES = ["queen", "worker-heartbeat", "worker", "worker-gpu", "worker-bus", "worker-lora"];
const STREAMED = new Set(["LOG", "TAIL", "CAT", "LS"]);
const QUEEN_CTL = "/queen/ctl";
const QUEEN_LOG = "/log/queen.log";

export const HELP = [
  "cohsh commands:",
  "  attach <role> [ticket]     attach this session (alias: login)",
  "  detach                     close the console session, stay in the shell",
  "  ping                       liveness check",
  "  ls <path>                  list a directory",
  "  cat <path>                 show a file",
  "  tail <path>                show a file's lines (interactive: follows until Enter or Ctrl-C)",
  "  log                        tail /log/queen.log",
  "  echo <text> > <path>       append one record",
  "  spawn heartbeat ticks=N [ttl_s=S] [ops=N]",
  "  spawn gpu gpu_id=ID mem_mb=N streams=N ttl_s=S [priority=N] [budget_ttl_s=S] [budget_ops=N]",
  "  kill <worker>              request a worker's termination",
  "  bind <from> <to>           overlay <from> at <to> (via /queen/ctl)",
  "  mount <service> <path>     mount a named service at <path> (via /queen/ctl)",
  "  lifecycle <cordon|drain|resume|quiesce|reset>",
  "  telemetry push <file> --device <id>   push a .txt/.log/.json/.ndjson/.csv file as a new segment",
  "  test [--mode quick|full|negative] [--json] [--timeout s] [--no-mutate]   run the guest's self-test",
  "  pool bench [path=P] [ops=N] [batch=N] [payload_bytes=N] [inject_failures=N] [exhaust=1] [kind=control|telemetry]",
  "  help                       this text",
  "  quit                       close the session and exit",
];

/** The wire lines of a reply, in server order. */
export function replyLines(r: Reply): string[] {
  const label = r.ack.split(" ")[1] ?? "";
  return r.ok && STREAMED.has(label) ? [r.ack, ...r.lines, "END"] : [...r.lines, r.ack];
}

function local(verb: string, detail: string): Outcome {
  const line = `ERR ${verb} reason=policy detail=${detail}`;
  return { lines: [line], response: line, ok: false };
}

function fromReply(r: Reply): Outcome {
  return { lines: replyLines(r), response: r.ack, ok: r.ok };
}

/** Splits `key=value` words; returns an error text for anything else or a repeated key. */
function keyValues(words: string[], allowed: string[]): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (const w of words) {
    const i = w.indexOf("=");
    if (i <= 0) return `expected key=value, got '${w}'`;
    const k = w.slice(0, i);
    if (!allowed.includes(k)) return `unknown option '${k}' (allowed: ${allowed.join(", ")})`;
    if (k in out) return `option '${k}' given twice`;
    out[k] = w.slice(i + 1);
  }
  return out;
}

function uint(v: string | undefined, name: string): number | string {
  if (v === undefined) return `missing ${name}=`;
  if (!/^\d{1,9}$/.test(v)) return `${name} must be a non-negative integer, got '${v}'`;
  return Number(v);
}

/** `spawn …` arguments to the /queen/ctl JSON line (reference §2.6), or an error text. */
export function spawnJson(args: string[]): string {
  const kind = args[0];
  if (kind === "heartbeat") {
    const kv = keyValues(args.slice(1), ["ticks", "ttl_s", "ops"]);
    if (typeof kv === "string") throw new Error(kv);
    const ticks = uint(kv.ticks, "ticks");
    if (typeof ticks === "string") throw new Error(ticks);
    const budget: Record<string, number> = {};
    for (const k of ["ttl_s", "ops"]) {
      if (kv[k] === undefined) continue;
      const v = uint(kv[k], k);
      if (typeof v === "string") throw new Error(v);
      budget[k] = v;
    }
    return JSON.stringify(Object.keys(budget).length ? { spawn: "heartbeat", ticks, budget } : { spawn: "heartbeat", ticks });
  }
  if (kind === "gpu") {
    const kv = keyValues(args.slice(1), ["gpu_id", "mem_mb", "streams", "ttl_s", "priority", "budget_ttl_s", "budget_ops"]);
    if (typeof kv === "string") throw new Error(kv);
    if (!kv.gpu_id || !/^[A-Za-z0-9_-]{1,32}$/.test(kv.gpu_id)) throw new Error("gpu_id must be 1-32 characters of [A-Za-z0-9_-]");
    const lease: Record<string, string | number> = { gpu_id: kv.gpu_id };
    for (const k of ["mem_mb", "streams", "ttl_s"]) {
      const v = uint(kv[k], k);
      if (typeof v === "string") throw new Error(v);
      lease[k] = v;
    }
    if (kv.priority !== undefined) {
      const v = uint(kv.priority, "priority");
      if (typeof v === "string") throw new Error(v);
      lease.priority = v;
    }
    const budget: Record<string, number> = {};
    for (const [k, key] of [
      ["budget_ttl_s", "ttl_s"],
      ["budget_ops", "ops"],
    ] as const) {
      if (kv[k] === undefined) continue;
      const v = uint(kv[k], k);
      if (typeof v === "string") throw new Error(v);
      budget[key] = v;
    }
    return JSON.stringify(Object.keys(budget).length ? { spawn: "gpu", lease, budget } : { spawn: "gpu", lease });
  }
  throw new Error(`spawn needs 'heartbeat' or 'gpu', got '${kind ?? ""}'`);
}

/** The command word of a shell line, or null if the line is not a known command. */
export function commandOf(line: string): string | null {
  const w = line.trim().split(/\s+/)[0]?.toLowerCase() ?? "";
  const known = ["attach", "login", "detach", "ping", "ls", "cat", "tail", "log", "echo", "spawn", "kill", "bind", "mount", "lifecycle", "telemetry", "pool", "test", "help", "quit"];
  return known.includes(w) ? w : null;
}

export interface RunOptions {
  /** Interactive tail: print new lines every poll until the signal aborts. */
  follow?: AbortSignal;
  print?: (line: string) => void;
}

/** What `pool bench` needs to open sessions of its own. */
export interface PoolContext {
  connector: Connector;
  token: string;
  timeoutMs: number;
}

export class Shell {
  constructor(
    private readonly session: Session,
    private readonly pool?: PoolContext,
  ) {}

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
        return fromReply(await this.session.request("PING"));
      case "ls":
      case "cat":
        if (!arg) return local(cmd.toUpperCase(), "missing required argument: path");
        return fromReply(await this.session.request(`${cmd.toUpperCase()} ${arg}`));
      case "tail":
        if (!arg) return local("TAIL", "missing required argument: path");
        return this.tail(arg, opts);
      case "log":
        return this.tail(QUEEN_LOG, opts);
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
        let json: string;
        try {
          json = spawnJson(words.slice(1));
        } catch (e) {
          return local("SPAWN", e instanceof Error ? e.message : String(e));
        }
        return fromReply(await this.session.request(`ECHO ${QUEEN_CTL} ${json}`));
      }
      case "kill":
        if (!arg || /\s/.test(arg)) return local("KILL", "usage: kill <worker>");
        return fromReply(await this.session.request(`ECHO ${QUEEN_CTL} ${JSON.stringify({ kill: arg })}`));
      case "bind":
      case "mount": {
        const a = words.slice(1);
        if (a.length !== 2) return local(cmd.toUpperCase(), cmd === "bind" ? "usage: bind <from> <to>" : "usage: mount <service> <path>");
        const body = cmd === "bind" ? { bind: { from: a[0], to: a[1] } } : { mount: { service: a[0], at: a[1] } };
        return fromReply(await this.session.request(`ECHO ${QUEEN_CTL} ${JSON.stringify(body)}`));
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
          const r = await telemetryPush(file, device, (l) => this.session.request(l));
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
        const r = await selfTest(this, o);
        const lines = formatReport(r, o.json);
        const ack = r.ok ? `OK TEST mode=${o.mode} checks=${r.checks.length}` : `ERR TEST reason=policy detail=failed mode=${o.mode}`;
        return { lines, response: ack, ok: r.ok };
      }
      case "pool": {
        if (words[1] !== "bench" || !this.pool) return local("POOL", "usage: pool bench k=v ...");
        const o = parsePoolArgs(words.slice(2));
        if (typeof o === "string") return local("POOL", o);
        const r = await poolBench(o, this.pool.connector, this.pool.token, this.pool.timeoutMs);
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
    if (!ROLES.includes(role)) return local("ATTACH", `unknown role '${role}'`);
    if (this.session.role) return local("ATTACH", "already attached; run 'quit' to close the current session");
    return fromReply(await this.session.attach(role, args[1] ?? ""));
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

  private async tail(path: string, opts: RunOptions): Promise<Outcome> {
    const first = await this.session.request(`TAIL ${path}`);
    const out = fromReply(first);
    if (!opts.follow || !first.ok) return out;
    // Follow mode: print the snapshot, then only lines that are new at each poll.
    opts.print?.(out.lines.join("\n"));
    let seen = first.lines;
    const poll = TAIL_POLL_MS;
    while (!opts.follow.aborted) {
      await new Promise<void>((res) => {
        const t = setTimeout(res, poll);
        opts.follow?.addEventListener("abort", () => {
          clearTimeout(t);
          res();
        });
      });
      if (opts.follow.aborted) break;
      const r = await this.session.request(`TAIL ${path}`);
      if (!r.ok) return fromReply(r);
      const fresh = newLines(seen, r.lines);
      for (const l of fresh) opts.print?.(l);
      seen = r.lines;
    }
    return { lines: [], response: first.ack, ok: true };
  }
}

/** Which states each lifecycle command may start from (reference §5). */
const LIFECYCLE_FROM: Record<string, (s: string) => boolean> = {
  cordon: (s) => s === "ONLINE" || s === "DEGRADED",
  drain: (s) => s === "DRAINING",
  quiesce: (s) => s === "ONLINE" || s === "DEGRADED" || s === "DRAINING",
  resume: (s) => s !== "ONLINE",
  reset: (s) => s !== "BOOTING",
};

// How often an interactive tail re-polls (the original's cohsh tail default).
const TAIL_POLL_MS = 1000;

/** Lines of `now` that follow the longest suffix of `before` found at its start. */
export function newLines(before: string[], now: string[]): string[] {
  for (let k = Math.min(before.length, now.length); k > 0; k--) {
    let match = true;
    for (let i = 0; i < k; i++) {
      if (before[before.length - k + i] !== now[i]) {
        match = false;
        break;
      }
    }
    if (match) return now.slice(k);
  }
  return now;
}
