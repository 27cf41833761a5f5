// The console verbs of an authenticated TCP session, in the original's ACK grammar:
// `OK <LABEL>[ detail]`, `ERR <LABEL> reason=<busy|quota|cut|policy>[ detail]`, streamed
// replies ending in `END`. One table; each verb is a few lines over the namespace.

import {
  CONSOLE_ECHO_MAX,
  CONSOLE_JSON_MAX,
  CONSOLE_LOG_LINES,
  CONSOLE_REPLY_BACKLOG_BYTES,
  CONSOLE_TX_QUEUE_BYTES,
  CONSOLE_PATH_MAX,
  CONSOLE_ROLE_MAX,
  CONSOLE_TICKET_MAX,
  CONSOLE_WORKER_ID_MAX,
  TICKET_ROLES,
} from "../generated/manifest";
import { BootInfo } from "../platform/bootinfo";
import { Namespace } from "../ninedoor/namespace";
import { checkPath } from "../ninedoor/path";
import { Caller, Dir, File, NsError } from "../ninedoor/node";
import { netStats, pressure } from "../net/stats";
import { bootinfoLines, capsLines, memLines } from "./bootinfo_lines";
import { splitVerb } from "./format";
import { DIAGNOSTIC_HELP } from "./help";
import { OP_LIST, OP_READ, OP_WRITE, roleAllows, ScopeState, scopeCheck } from "../ninedoor/access";
import { GATE_WORKER_ATTACH } from "../ninedoor/lifecycle";
import { KIND_GPU, KIND_HEARTBEAT } from "../ninedoor/workers";
import { verifyTicket } from "../ticket/verify";
import { FLAG_QUOTAS } from "../ticket/claims";
import { sha256Hex } from "../crypto/sha256";
import { now_ms, wall_ms } from "../platform/abi";
import { CAT_CONSOLE, INFO, WARN } from "../trace/trace";
import { onlyChars } from "../text/charset";
import { logField } from "../text/field";

/** Where a command's reply lines go (one frame each on TCP). */
export abstract class Reply {
  abstract line(s: string): void;
}

/** What a console session carries between commands. */
export class SessionState {
  role: string = ""; // "" until ATTACH succeeds
  subject: string = ""; // the worker id / scope a worker ticket names
  scopes: ScopeState | null = null; // the ticket's scopes, if it carried any
  ticketTag: string = "-"; // short hash of the ticket for audit lines; never the ticket itself
  // Quotas of a UI ticket (one with scopes or quotas): bytes it may still read, telemetry reads
  // ("cursor advances") it may still make. u64.MAX_VALUE / u32.MAX_VALUE = not limited.
  bandwidthLeft: u64 = u64.MAX_VALUE;
  advancesLeft: u32 = u32.MAX_VALUE;
  attachFailures: i32 = 0;
  attachRetryAt: u64 = 0;
  wantsClose: bool = false;
}

const NEED_NONE: i32 = 0;
const NEED_ATTACHED: i32 = 1;
const NEED_QUEEN: i32 = 2;


const HELP: string[] = DIAGNOSTIC_HELP.concat([
  "test - Self-tests run host-side (cohsh test)",
  "nettest - Report the network self-test",
  "netstats - Show network counters",
  "attach <role> [ticket] - Attach this session to a role",
  "log - Show the queen log (queen)",
  "tail <path> - Show a file's lines",
  "cat <path> - Show a file",
  "ls <path> - List a directory",
  "echo <path> <payload> - Append one record to a file",
  "spawn <json> - Write a spawn request to /queen/ctl (queen)",
  "kill <worker> - Write a kill request to /queen/ctl (queen)",
  "quit - Close this session",
]);

function label(verb: string): string {
  return verb == "bi" ? "BOOTINFO" : verb.toUpperCase();
}

function need(verb: string): i32 {
  if (verb == "log" || verb == "spawn" || verb == "kill") return NEED_QUEEN;
  if (verb == "tail" || verb == "cat" || verb == "ls" || verb == "echo") return NEED_ATTACHED;
  return NEED_NONE;
}

function known(verb: string): bool {
  return (
    verb == "help" || verb == "bi" || verb == "caps" || verb == "mem" || verb == "ping" || verb == "test" ||
    verb == "nettest" || verb == "netstats" || verb == "attach" || verb == "log" || verb == "tail" ||
    verb == "cat" || verb == "ls" || verb == "echo" || verb == "spawn" || verb == "kill" || verb == "quit"
  );
}

export class Commands {
  constructor(private ns: Namespace, private bootinfo: BootInfo | null) {}

  run(line: string, s: SessionState, out: Reply, now: u64): void {
    const parts = splitVerb(line);
    const verb = lowerAscii(parts[0]);
    const rest = parts[1];
    if (verb.length == 0) return this.parseErr(out, "empty command");
    if (!known(verb)) return this.parseErr(out, "unsupported console command");
    const lbl = label(verb);
    const n = need(verb);
    if (n != NEED_NONE && (s.role.length == 0 || (n == NEED_QUEEN && s.role != "queen"))) {
      return this.refuse(out, lbl, "policy", "detail=unauthenticated");
    }
    if (verb == "help") {
      for (let i = 0; i < HELP.length; i++) out.line(HELP[i]);
      out.line("OK HELP");
    } else if (verb == "ping") {
      out.line("PONG");
      out.line("OK PING reply=pong");
    } else if (verb == "test") {
      this.refuse(out, "TEST", "policy", "detail=host-only");
    } else if (verb == "bi" || verb == "caps" || verb == "mem") {
      const bi = this.bootinfo;
      if (bi == null) return this.refuse(out, lbl, "policy", "detail=unavailable");
      const lines = verb == "bi" ? bootinfoLines(bi) : verb == "caps" ? capsLines(bi) : memLines(bi);
      for (let i = 0; i < lines.length; i++) out.line(lines[i]);
      out.line("OK " + lbl);
    } else if (verb == "netstats") {
      this.netstats(out);
    } else if (verb == "nettest") {
      this.nettest(out);
    } else if (verb == "attach") {
      this.attach(rest, s, out, now);
    } else if (verb == "log") {
      if (!this.allowed("LOG", "/log/queen.log", OP_READ, s, out)) return;
      out.line("OK LOG");
      const lines = this.ns.queenLog.tail(CONSOLE_LOG_LINES);
      for (let i = 0; i < lines.length; i++) out.line(lines[i]);
      out.line("END");
    } else if (verb == "tail" || verb == "cat" || verb == "ls") {
      if (!this.argOk(out, rest, "path", CONSOLE_PATH_MAX)) return;
      if (verb == "ls") this.ls(rest, s, out);
      else this.read(verb, rest, s, out);
    } else if (verb == "echo") {
      const p = splitVerb(rest);
      if (!this.argOk(out, p[0], "path", CONSOLE_PATH_MAX)) return;
      if (!this.argOk(out, p[1], "payload", CONSOLE_ECHO_MAX)) return;
      this.write("ECHO", p[0], p[1], s, out, "path=" + p[0] + " bytes=" + String.UTF8.byteLength(p[1]).toString());
    } else if (verb == "spawn") {
      if (!this.argOk(out, rest, "payload", CONSOLE_JSON_MAX)) return;
      this.write("SPAWN", "/queen/ctl", rest, s, out, "payload=" + rest);
    } else if (verb == "kill") {
      if (!this.argOk(out, rest, "worker", CONSOLE_WORKER_ID_MAX)) return;
      if (!validId(rest)) return this.parseErr(out, "invalid value for argument worker");
      this.write("KILL", "/queen/ctl", '{"kill":"' + rest + '"}', s, out, "id=" + rest);
    } else if (verb == "quit") {
      out.line("OK QUIT");
      s.wantsClose = true;
    }
  }

  private attach(rest: string, s: SessionState, out: Reply, now: u64): void {
    if (now < s.attachRetryAt) {
      return this.refuse(out, "ATTACH", "quota", "detail=throttled delay_ms=" + (s.attachRetryAt - now).toString());
    }
    const p = splitVerb(rest);
    if (!this.argOk(out, p[0], "role", CONSOLE_ROLE_MAX)) return;
    if (String.UTF8.byteLength(p[1]) > CONSOLE_TICKET_MAX) return this.parseErr(out, "argument ticket exceeds allowed length");
    let role = p[0].toLowerCase();
    if (role == "worker") role = "worker-heartbeat"; // the original's alias
    if (!TICKET_ROLES.includes(role)) return this.attachFailed(s, out, now, "policy", "detail=invalid-role", "role=" + logField(role));
    const ticket = p[1];
    let subject = "";
    let scopes: ScopeState | null = null;
    let bandwidth: u64 = u64.MAX_VALUE;
    let advances: u32 = u32.MAX_VALUE;
    if (ticket.length == 0) {
      // Only the queen may attach without a ticket (reference §2.2); workers always need one.
      if (role != "queen") return this.attachFailed(s, out, now, "policy", "detail=denied", "role=" + role + " cause=ticket-required");
    } else {
      const r = verifyTicket(ticket, role, wall_ms());
      if (!r.ok) return this.attachFailed(s, out, now, r.reason, "detail=" + r.detail, "role=" + role + " cause=" + r.cause);
      subject = r.subject;
      if (r.scopes.length > 0) scopes = new ScopeState(r.scopes);
      if (r.scopes.length > 0 || r.claims!.has(FLAG_QUOTAS)) {
        bandwidth = r.bandwidthBytes == 0 ? u64.MAX_VALUE : r.bandwidthBytes;
        advances = r.cursorAdvances == 0 ? u32.MAX_VALUE : r.cursorAdvances;
      }
    }
    if (role != "queen") {
      if (!this.ns.lifecycle.gate(GATE_WORKER_ATTACH)) {
        return this.attachFailed(s, out, now, "policy", "detail=lifecycle-denied state=" + this.ns.lifecycle.state, "role=" + role);
      }
      // Heartbeat and GPU tickets name a worker record of their own kind, which must exist.
      if (role == "worker-heartbeat" || role == "worker-gpu") {
        const w = this.ns.workers.find(subject);
        const kind = role == "worker-gpu" ? KIND_GPU : KIND_HEARTBEAT;
        if (w == null || w.kind != kind) return this.attachFailed(s, out, now, "policy", "detail=not-found", "role=" + role + " subject=" + subject);
      }
    }
    s.role = role;
    s.subject = subject;
    s.scopes = scopes;
    s.bandwidthLeft = bandwidth;
    s.advancesLeft = advances;
    s.ticketTag = ticket.length > 0 ? sha256Hex(ticket).substring(0, 16) : "-";
    s.attachFailures = 0;
    s.attachRetryAt = 0;
    this.ns.queenLog.system("console attach outcome=allow role=" + role + (subject.length > 0 ? " subject=" + subject : "") + " ticket=" + s.ticketTag);
    this.ns.trace.emit(INFO, CAT_CONSOLE, "attach ok role=" + role + (subject.length > 0 ? " subject=" + subject : "") + " ticket=" + s.ticketTag);
    out.line("OK ATTACH role=" + role);
  }

  private attachFailed(s: SessionState, out: Reply, now: u64, reason: string, detail: string, audit: string): void {
    // Exponential back-off, 250 ms x 2^min(failures, 8), reset on success (reference §2.2).
    const shift = s.attachFailures < 8 ? s.attachFailures : 8;
    s.attachFailures++;
    s.attachRetryAt = now + ((<u64>250) << (<u64>shift));
    this.ns.queenLog.system("console attach outcome=deny " + detail + " " + audit);
    this.ns.trace.emit(WARN, CAT_CONSOLE, "attach refused " + detail + (detail == "detail=invalid-role" ? "" : " " + audit)); // an unknown role is client text
    this.refuse(out, "ATTACH", reason, detail);
  }

  /** Role view, then ticket scopes; refusals are answered here and audited. */
  private allowed(lbl: string, path: string, op: i32, s: SessionState, out: Reply): bool {
    const real = this.ns.ctl.resolveBinds(path);
    const who = new Caller(s.role, s.subject);
    if (!roleAllows(who, real, op)) {
      this.refuse(out, lbl, "policy", "detail=denied path=" + path + " error=EPERM");
      return false;
    }
    const e = scopeCheck(s.scopes, real, op, now_ms());
    if (e == null) return true;
    const why = e.reason == "quota" ? "rate" : "scope";
    this.ns.queenLog.system(
      "ui-ticket outcome=deny reason=" + why + " role=" + s.role + " ticket=" + s.ticketTag + " path=" + path + " verb=" + (op == OP_WRITE ? "write" : "read"),
    );
    this.refuse(out, lbl, e.reason, "path=" + path + " error=" + e.error);
    return false;
  }

  private ls(path: string, s: SessionState, out: Reply): void {
    if (!this.pathOk(out, "LS", path) || !this.allowed("LS", path, OP_LIST, s, out)) return;
    const l = this.ns.lookup(path);
    if (l.error != null) return this.nsErr(out, "LS", path, l.error!);
    const node = l.node!;
    if (!node.isDir()) {
      out.line("OK LS path=" + path + " entries=1");
      out.line(node.name);
    } else {
      const entries = (node as Dir).entries();
      out.line("OK LS path=" + path + " entries=" + entries.length.toString());
      for (let i = 0; i < entries.length; i++) out.line(entries[i].name);
    }
    out.line("END");
  }

  private read(verb: string, path: string, s: SessionState, out: Reply): void {
    const lbl = label(verb);
    if (!this.pathOk(out, lbl, path) || !this.allowed(lbl, path, OP_READ, s, out)) return;
    const l = this.ns.lookupFile(path);
    if (l.error != null) return this.nsErr(out, lbl, path, l.error!);
    const f = l.node as File;
    // One read serves the size check, the quota charge and the reply (files build lines on demand).
    const lines = f.read();
    const body = verb == "cat" && f.catShowsBody();
    if (body) {
      // Refused whole rather than cut mid-stream: what one reply may leave waiting is bounded.
      const bytes = framedBytes(lines);
      if (bytes > CAT_REPLY_MAX) {
        return this.refuse(out, lbl, "quota", "detail=too-large path=" + path + " error=" + bytes.toString() + " bytes exceed the console's " + CAT_REPLY_MAX.toString() + "; use tail or Secure9P");
      }
    }
    if (!this.charge(lbl, path, lines, s, out)) return;
    if (verb == "cat") {
      const head = "path=" + path + " data=";
      out.line("OK CAT " + head + clip(f.summary(), 128 - head.length));
      if (body) emit(out, lines);
    } else {
      out.line("OK TAIL path=" + path);
      emit(out, lines.length > CONSOLE_LOG_LINES ? lines.slice(lines.length - CONSOLE_LOG_LINES) : lines);
    }
    out.line("END");
  }

  /** A UI ticket's read quotas: bytes (bandwidth) and telemetry reads (cursor advances). */
  private charge(lbl: string, path: string, lines: string[], s: SessionState, out: Reply): bool {
    if (s.bandwidthLeft == u64.MAX_VALUE && s.advancesLeft == u32.MAX_VALUE) return true;
    let why = "";
    const telemetry = path.endsWith("/telemetry");
    let bytes: u64 = 0;
    for (let i = 0; i < lines.length; i++) bytes += <u64>String.UTF8.byteLength(lines[i]) + 1;
    if (telemetry && s.advancesLeft == 0) why = "cursor-advance";
    else if (bytes > s.bandwidthLeft) why = "bandwidth";
    if (why.length > 0) {
      this.ns.queenLog.system("ui-ticket outcome=deny reason=" + why + " role=" + s.role + " ticket=" + s.ticketTag + " path=" + path + " verb=read");
      this.refuse(out, lbl, "quota", "path=" + path + " error=ELIMIT");
      return false;
    }
    if (s.bandwidthLeft != u64.MAX_VALUE) s.bandwidthLeft -= bytes;
    if (telemetry && s.advancesLeft != u32.MAX_VALUE) s.advancesLeft--;
    return true;
  }

  private write(lbl: string, path: string, payload: string, s: SessionState, out: Reply, detail: string): void {
    if (!this.pathOk(out, lbl, path) || !this.allowed(lbl, path, OP_WRITE, s, out)) return;
    const err = this.ns.append(path, payload, new Caller(s.role, s.subject, s.ticketTag));
    if (err != null) return this.nsErr(out, lbl, path, err!);
    out.line("OK " + lbl + " " + detail);
  }

  private netstats(out: Reply): void {
    const st = netStats;
    out.line("netstats: conns_accepted=" + st.connsAccepted.toString() + " conns_busy=" + st.connsRefusedBusy.toString() + " rx_bytes=" + st.rxBytes.toString() + " tx_bytes=" + st.txBytes.toString());
    out.line("netstats: frames_in=" + st.framesIn.toString() + " frames_out=" + st.framesOut.toString() + " frame_errors=" + st.frameErrors.toString() + " mid_frame_closes=" + st.midFrameCloses.toString());
    out.line("netstats: auth_ok=" + st.authOk.toString() + " auth_fail=" + st.authFail.toString() + " lockouts=" + st.lockouts.toString() + " timeouts=" + st.timeouts.toString() + " slow_reader_cuts=" + st.slowReaderCuts.toString());
    out.line("netstats: udp_rx=" + st.dgramsIn.toString() + " udp_tx=" + st.dgramsOut.toString() + " smoke_served=" + st.smokeServed.toString());
    out.line("nettest: console_listen=" + st.listenConsole.toString() + " smoke_listen=" + st.listenSmoke.toString() + " echo_bind=" + st.bindEcho.toString());
    out.line("OK NETSTATS");
  }

  private nettest(out: Reply): void {
    const st = netStats;
    if (st.listenConsole != 0) return this.refuse(out, "NETTEST", "policy", "detail=net-disabled");
    out.line("[net-selftest] triggered");
    // Passive self-test: the guest cannot dial out, so it reports what each service has served.
    out.line(
      "[net-selftest] result tx_ok=" + (st.txBytes > 0 ? "1" : "0") + " udp_echo_ok=" + (st.dgramsOut > 0 ? "1" : "0") +
      " tcp_ok=" + (st.smokeServed > 0 ? "1" : "0") + " console_ok=" + (st.authOk > 0 ? "1" : "0"),
    );
    out.line("OK NETTEST");
  }

  /** Path syntax first, so a malformed path is `invalid-path` for every role alike. */
  private pathOk(out: Reply, lbl: string, path: string): bool {
    const e = checkPath(path);
    if (e == null) return true;
    this.nsErr(out, lbl, path, e);
    return false;
  }

  private argOk(out: Reply, v: string, name: string, max: i32): bool {
    if (v.length == 0) {
      this.parseErr(out, "missing required argument: " + name);
      return false;
    }
    if (String.UTF8.byteLength(v) > max) {
      this.parseErr(out, "argument " + name + " exceeds allowed length");
      return false;
    }
    return true;
  }

  private parseErr(out: Reply, detail: string): void {
    this.refuse(out, "PARSE", "policy", "detail=" + detail);
  }

  private nsErr(out: Reply, lbl: string, path: string, e: NsError): void {
    this.refuse(out, lbl, e.reason, "detail=" + e.detail + " path=" + path + " error=" + e.error);
  }

  /** Every refusal goes through here, so /proc/pressure counts all of them. */
  refuse(out: Reply, lbl: string, reason: string, detail: string): void {
    pressure.count(reason);
    out.line("ERR " + lbl + " reason=" + reason + (detail.length > 0 ? " " + detail : ""));
  }
}

/** Lower-cases ASCII, returning the same string (no allocation) when it already is. */
function lowerAscii(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x41 && c <= 0x5a) return s.toLowerCase();
  }
  return s;
}

/** The most body bytes (frames included) one CAT may send: the queue plus the backlog, less room for its ACK and END. */
const CAT_REPLY_MAX: i32 = CONSOLE_TX_QUEUE_BYTES + CONSOLE_REPLY_BACKLOG_BYTES - 512;

function framedBytes(lines: string[]): i32 {
  let n = 0;
  for (let i = 0; i < lines.length; i++) n += String.UTF8.byteLength(lines[i]) + 4;
  return n;
}

function emit(out: Reply, lines: string[]): void {
  for (let i = 0; i < lines.length; i++) out.line(lines[i]);
}

function clip(s: string, max: i32): string {
  return s.length <= max ? s : s.substring(0, max);
}

function validId(s: string): bool {
  return onlyChars(s, "_-");
}
