// The console verbs of an authenticated TCP session, in the original's ACK grammar:
// `OK <LABEL>[ detail]`, `ERR <LABEL> reason=<busy|quota|cut|policy>[ detail]`, streamed
// replies ending in `END`. The verb table (labels, what a verb needs, help) is generated from the
// protocol spec; each verb here is a few lines over the namespace.

import {
  CONSOLE_ECHO_MAX,
  CONSOLE_JSON_MAX,
  CONSOLE_LINE_MAX,
  CONSOLE_LOG_LINES,
  CONSOLE_REPLY_BACKLOG_BYTES,
  CONSOLE_TX_QUEUE_BYTES,
  CONSOLE_PATH_MAX,
  CONSOLE_ROLE_MAX,
  CONSOLE_TICKET_MAX,
  CONSOLE_WORKER_ID_MAX,
  HOST_MOUNT_AT,
} from "../generated/manifest";
import { BootInfo } from "../platform/bootinfo";
import { Namespace } from "../ninedoor/namespace";
import { checkPath } from "../ninedoor/path";
import { Dir, File, NsError } from "../ninedoor/node";
import { OP_LIST, OP_READ, OP_WRITE } from "../ninedoor/access";
import { attach, ATTACH_TICKET_REQUIRED, Attachment, Backoff, CONSOLE } from "../ninedoor/session";
import { wall_ms } from "../platform/abi";
import { pressure } from "../ninedoor/stats";
import { netStats } from "../net/stats";
import { bootinfoLines, capsLines, memLines } from "./bootinfo_lines";
import { splitVerb } from "./format";
import { NEED_NONE, NEED_QUEEN, CAT_SUMMARY_MAX, VERB_HELP, VERB_LABELS, VERB_NAMES, VERB_NEEDS } from "../generated/protocol";
import { onlyChars } from "../text/charset";

/** Where a command's reply lines go (one frame each on TCP). */
export abstract class Reply {
  abstract line(s: string): void;
}

/** What a console session carries between commands. */
export class SessionState {
  att: Attachment | null = null; // set once ATTACH succeeds
  backoff: Backoff = new Backoff();
  wantsClose: bool = false;

  get role(): string {
    const a = this.att;
    return a == null ? "" : a.role;
  }
}

const HELP: string[] = ["Commands:"].concat(VERB_HELP);

/** The verb's row in the generated verb table, or -1. */
function verbIndex(verb: string): i32 {
  return VERB_NAMES.indexOf(verb);
}

function label(verb: string): string {
  return VERB_LABELS[verbIndex(verb)];
}

export class Commands {
  constructor(private ns: Namespace, private bootinfo: BootInfo | null) {}

  run(line: string, s: SessionState, out: Reply, now: u64): void {
    const parts = splitVerb(line);
    const verb = lowerAscii(parts[0]);
    const rest = parts[1];
    if (verb.length == 0) return this.parseErr(out, "empty command");
    const row = verbIndex(verb);
    if (row < 0) return this.parseErr(out, "unsupported console command");
    const lbl = VERB_LABELS[row];
    const n = VERB_NEEDS[row];
    if (n != NEED_NONE) {
      const a = s.att;
      if (a == null) return this.refuse(out, lbl, "policy", "detail=not-attached hint=attach");
      if (n == NEED_QUEEN && a.role != "queen") return this.refuse(out, lbl, "policy", "detail=queen-only role=" + a.role);
      // The ticket holds for the whole session: ttl, ticks and ops are checked on every request.
      const e = a.request(wall_ms(), now);
      if (e != null) {
        s.att = null;
        return this.answer(out, "ERR " + lbl + " reason=" + e.reason + " detail=" + e.detail + " error=" + e.error); // counted by the session
      }
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
      // Host tickets and receipts are longer than echo_max (the original's 224-byte receipt bound):
      // for them the line bound is the only console bound; the file checks its own (docs/HOST.md).
      const ticketLine = p[0].startsWith(HOST_MOUNT_AT + "/tickets/");
      if (!this.argOk(out, p[1], "payload", ticketLine ? CONSOLE_LINE_MAX : CONSOLE_ECHO_MAX)) return;
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
    const wait = s.backoff.waitMs(now);
    if (wait > 0) return this.refuse(out, "ATTACH", "quota", "detail=throttled delay_ms=" + wait.toString());
    const p = splitVerb(rest);
    if (!this.argOk(out, p[0], "role", CONSOLE_ROLE_MAX)) return;
    if (String.UTF8.byteLength(p[1]) > CONSOLE_TICKET_MAX) return this.parseErr(out, "argument ticket " + String.UTF8.byteLength(p[1]).toString() + " bytes > " + CONSOLE_TICKET_MAX.toString());
    const r = attach(this.ns, CONSOLE, s.backoff, p[0], p[1], "", now);
    const a = r.attachment;
    if (a == null) {
      // Say how to get a ticket when one was missing (the secret stays with the operator).
      const hint = r.code == ATTACH_TICKET_REQUIRED ? ' hint="cohsh --mint-ticket --role <role> --ticket-subject <id>"' : "";
      return this.answer(out, "ERR ATTACH reason=" + r.reason + " detail=" + r.detail + hint); // counted by the session
    }
    s.att = a;
    out.line("OK ATTACH role=" + a.role);
  }

  /** The session's role view and scopes; refusals are answered here (the session audits and counts them). */
  private allowed(lbl: string, path: string, op: i32, s: SessionState, out: Reply): bool {
    const e = s.att!.access(path, op);
    if (e == null) return true;
    if (e.byRole) this.answer(out, "ERR " + lbl + " reason=policy detail=denied path=" + path + " error=EPERM");
    else this.answer(out, "ERR " + lbl + " reason=" + e.reason + " path=" + path + " error=" + e.error);
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
    const unreadable = f.readError();
    if (unreadable != null) return this.nsErr(out, lbl, path, unreadable);
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
    if (!this.charge(lbl, path, lines, f.meteredAsCursor(), s, out)) return;
    if (verb == "cat") {
      const head = "path=" + path + " data=";
      out.line("OK CAT " + head + clip(f.summary(), CAT_SUMMARY_MAX - head.length));
      if (body) emit(out, lines);
    } else {
      out.line("OK TAIL path=" + path);
      emit(out, lines.length > CONSOLE_LOG_LINES ? lines.slice(lines.length - CONSOLE_LOG_LINES) : lines);
    }
    out.line("END");
  }

  /** A UI ticket's read quotas: the whole reply is charged; a telemetry read advances a cursor. */
  private charge(lbl: string, path: string, lines: string[], cursor: bool, s: SessionState, out: Reply): bool {
    const a = s.att!;
    if (!a.metered) return true;
    let bytes: u64 = 0;
    for (let i = 0; i < lines.length; i++) bytes += <u64>String.UTF8.byteLength(lines[i]) + 1;
    if (a.charge(path, bytes, cursor)) return true;
    this.answer(out, "ERR " + lbl + " reason=quota path=" + path + " error=ELIMIT");
    return false;
  }

  private write(lbl: string, path: string, payload: string, s: SessionState, out: Reply, detail: string): void {
    if (!this.pathOk(out, lbl, path) || !this.allowed(lbl, path, OP_WRITE, s, out)) return;
    const err = this.ns.append(path, payload, s.att!.caller());
    if (err != null) return this.nsErr(out, lbl, path, err);
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
    const n = String.UTF8.byteLength(v);
    if (n > max) {
      this.parseErr(out, "argument " + name + " " + n.toString() + " bytes > " + max.toString());
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

  /** Every refusal goes through here (or through the session, which counts its own), so /proc/pressure counts all of them. */
  refuse(out: Reply, lbl: string, reason: string, detail: string): void {
    pressure.count(reason);
    this.answer(out, "ERR " + lbl + " reason=" + reason + (detail.length > 0 ? " " + detail : ""));
  }

  /** A refusal already counted by the session policy. */
  private answer(out: Reply, line: string): void {
    out.line(line);
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
