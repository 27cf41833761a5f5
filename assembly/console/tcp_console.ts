// The TCP console (port 31337): framing, AUTH with lockout, per-session state, timeouts, and
// a bounded number of concurrent sessions. Bytes arrive through the platform ABI; commands run
// through the same Commands table whatever the transport.

import {
  AUDIT_PREAUTH_WINDOW_MS,
  CONSOLE_AUTH_FAIL_LIMIT,
  CONSOLE_AUTH_FAIL_WINDOW_MS,
  CONSOLE_AUTH_LOCKOUT_MS,
  CONSOLE_AUTH_TIMEOUT_MS,
  CONSOLE_AUTH_TOKEN,
  CONSOLE_FRAME_MAX,
  CONSOLE_IDLE_TIMEOUT_MS,
  CONSOLE_LINE_MAX,
  CONSOLE_MAX_SESSIONS,
  CONSOLE_PATH_MAX,
  CONSOLE_PREAUTH_MAX,
  CONSOLE_QUEEN_RESERVED,
  CONSOLE_REPLY_BACKLOG_BYTES,
  CONSOLE_TX_QUEUE_BYTES,
} from "../generated/manifest";
import { now_ms, stream_close, stream_send } from "../platform/abi";
import { Namespace } from "../ninedoor/namespace";
import { encodeFrame, FRAME_BAD_LENGTH, FRAME_BAD_UTF8, FRAME_LINE, FrameDecoder, FrameEvent } from "../net/frame";
import { OutQueue } from "../net/out_queue";
import { netStats } from "../net/stats";
import { pressure, sessions } from "../ninedoor/stats";
import { Commands, Reply, SessionState } from "./commands";
import { Admission, P9Session } from "../p9/server";
import { CAT_CONSOLE, INFO, WARN } from "../trace/trace";
import { safePoint } from "../platform/gc";

const ST_PREAUTH: i32 = 0;
const ST_AUTHED: i32 = 1;
const ST_CLOSING: i32 = 2;
// How long a closing connection may take to drain its queue before it is closed regardless.
const CLOSE_GRACE_MS: u64 = 2000;
// Peers remembered for AUTH lockout; the oldest entry is recycled when full.
const LOCKOUT_PEERS: i32 = 16;

class Conn extends Reply {
  state: i32 = ST_PREAUTH;
  decoder: FrameDecoder = new FrameDecoder(<u32>CONSOLE_FRAME_MAX, CONSOLE_LINE_MAX);
  out: OutQueue;
  session: SessionState = new SessionState();
  lastRx: u64;
  closeBy: u64 = 0;
  closeSent: bool = false;
  counted: bool = false; // included in /proc/9p/session/active
  events: FrameEvent[] = [];
  // Secure9P on the same port: the first frame decides (a Tversion has type 100 at offset 4).
  sniff: Uint8Array = new Uint8Array(5);
  sniffHave: i32 = 0;
  decided: bool = false;
  p9: P9Session | null = null;
  backlog: string[] = [];
  backlogHead: i32 = 0;
  backlogBytes: i32 = 0;
  cut: bool = false;
  role: string = ""; // the role holding this slot ("" until attached)
  rxTotal: u64 = 0;
  admission: Admission | null = null;

  constructor(public id: u32, public peer: u32, public acceptedAt: u64) {
    super();
    this.out = new OutQueue(id, CONSOLE_TX_QUEUE_BYTES);
    this.lastRx = acceptedAt;
  }

  line(s: string): void {
    if (this.p9 != null) return; // 9P peers get 9P replies only
    if ((this.state == ST_CLOSING && this.closeSent) || this.cut) return;
    // The guest never emits a frame over its own bound (issue 10, finding 3): a longer line is
    // cut at a character boundary and says so.
    if (String.UTF8.byteLength(s) + 4 > CONSOLE_FRAME_MAX) s = fitFrame(s);
    const n = String.UTF8.byteLength(s) + 4;
    netStats.framesOut++;
    netStats.txBytes += <u64>n;
    // Lines that do not fit the queue wait, in order, until the peer reads (drain). A peer that
    // stops reading past the backlog bound is cut rather than buffered forever.
    if (this.backlogHead == this.backlog.length && this.out.writeFrame(s)) return;
    if (this.backlogBytes + n > CONSOLE_REPLY_BACKLOG_BYTES) {
      netStats.slowReaderCuts++;
      pressure.count("cut");
      this.state = ST_CLOSING;
      this.cut = true; // the rest of this reply, and any after it, go nowhere
      this.backlog = [];
      this.backlogHead = 0;
      this.backlogBytes = 0;
      return;
    }
    this.backlog.push(s);
    this.backlogBytes += n;
  }

  /** Offers queued bytes to the platform, then moves waiting lines into the queue as room frees. */
  drain(): void {
    this.out.flush();
    while (this.backlogHead < this.backlog.length && !this.out.dead) {
      const s = this.backlog[this.backlogHead];
      if (!this.out.writeFrame(s)) break;
      this.backlogBytes -= String.UTF8.byteLength(s) + 4;
      this.backlogHead++;
    }
    if (this.backlogHead == this.backlog.length && this.backlogHead > 0) {
      this.backlog = [];
      this.backlogHead = 0;
      this.backlogBytes = 0;
    }
  }

  get waiting(): bool {
    return this.out.pending > 0 || this.backlogHead < this.backlog.length;
  }
}

/** Lets a 9P attach ask the console for a slot before it is answered. */
class ConnAdmission extends Admission {
  constructor(private console: TcpConsole, private c: Conn) {
    super();
  }
  refused(kind: string, line: string, now: u64): void {
    this.console.audit.event(kind, line, now);
  }
  admit(role: string): string {
    const why = this.console.admit(this.c, role);
    if (why.length == 0) this.c.role = role;
    else netStats.consoleFull++;
    return why;
  }
}

/**
 * Refused unauthenticated events (issue 10, finding 4): the first of each window is logged as
 * it is, the rest only counted, and the count written as one summary line when the window ends.
 * Both go to the queen log's own store for them, so no number of them evicts an audit record.
 */
class PreauthAudit {
  private windowStart: u64 = 0;
  private open: bool = false;
  private suppressed: i32 = 0;
  private kinds: Map<string, i32> = new Map<string, i32>();

  constructor(private ns: Namespace) {}

  event(kind: string, line: string, now: u64): void {
    this.flush(now);
    if (!this.open) {
      this.open = true;
      this.windowStart = now;
      this.ns.queenLog.preauth(line);
      return;
    }
    this.suppressed++;
    this.kinds.set(kind, (this.kinds.has(kind) ? this.kinds.get(kind) : 0) + 1);
  }

  /** Ends the window once it is over: one summary line if anything was counted. */
  flush(now: u64): void {
    if (!this.open || now - this.windowStart < <u64>AUDIT_PREAUTH_WINDOW_MS) return;
    if (this.suppressed > 0) {
      const keys = this.kinds.keys();
      keys.sort();
      let parts = "";
      for (let i = 0; i < keys.length; i++) parts += " " + keys[i] + "=" + this.kinds.get(keys[i]).toString();
      this.ns.queenLog.preauth("preauth refused summary suppressed=" + this.suppressed.toString() + " window_ms=" + AUDIT_PREAUTH_WINDOW_MS.toString() + parts);
    }
    this.open = false;
    this.suppressed = 0;
    this.kinds.clear();
  }
}

const FULL_LINE = "ERR CONSOLE reason=busy detail=console-full max_sessions=" + CONSOLE_MAX_SESSIONS.toString();

class PeerRecord {
  failures: u64[] = [];
  lockedUntil: u64 = 0;
  constructor(public addr: u32) {}
}

export class TcpConsole {
  private conns: Map<u32, Conn> = new Map<u32, Conn>();
  private peers: PeerRecord[] = [];
  private commands: Commands;
  audit: PreauthAudit;

  constructor(private ns: Namespace, commands: Commands) {
    this.commands = commands;
    this.audit = new PreauthAudit(ns);
  }

  get sessions(): i32 {
    return this.conns.size;
  }

  /**
   * Admission (issue 10, finding 5). Authenticated sessions (console AUTH or a 9P attach) hold
   * the max_sessions slots; connections that have not authenticated yet wait in their own pool
   * of preauth_max, each for at most auth_timeout_ms, and a new connection evicts the oldest
   * waiting one. So silent connections can delay a login by one eviction but never hold a slot,
   * and queen_reserved slots stay free for a queen whatever workers attach.
   */
  accepted(id: u32, addr: u32, now: u64): void {
    netStats.connsAccepted++;
    if (this.authedCount() >= CONSOLE_MAX_SESSIONS) {
      // Every slot is held by an authenticated session: say so, then close, without waiting.
      this.refuseFull(id);
      return;
    }
    // The victim: the oldest connection that has sent nothing yet, else the oldest of all. A
    // client mid-login (a Tversion answered, its Tattach on the way) outlives silent ones.
    let waiting = 0;
    let oldest: Conn | null = null;
    let oldestSilent: Conn | null = null;
    const all = this.conns.values();
    for (let i = 0; i < all.length; i++) {
      const c = all[i];
      if (c.state != ST_PREAUTH) continue;
      waiting++;
      if (oldest == null || c.acceptedAt < oldest!.acceptedAt) oldest = c;
      if (c.rxTotal == 0 && (oldestSilent == null || c.acceptedAt < oldestSilent!.acceptedAt)) oldestSilent = c;
    }
    if (oldestSilent != null) oldest = oldestSilent;
    if (waiting >= CONSOLE_PREAUTH_MAX && oldest != null) {
      const o = oldest!;
      netStats.preauthEvicted++;
      pressure.count("busy");
      this.ns.trace.emit(WARN, CAT_CONSOLE, "session evicted conn=" + o.id.toString() + " phase=auth");
      this.fatal(o, o.p9 != null ? "" : "ERR AUTH reason=busy detail=evicted", now);
      o.drain();
      this.settle(o, now);
    }
    const c = new Conn(id, addr, now);
    c.admission = new ConnAdmission(this, c);
    this.conns.set(id, c);
    this.ns.trace.emit(INFO, CAT_CONSOLE, "session open conn=" + id.toString());
  }

  private refuseFull(id: u32): void {
    netStats.connsRefusedBusy++;
    netStats.consoleFull++;
    pressure.count("busy");
    this.ns.trace.emit(WARN, CAT_CONSOLE, "session refused conn=" + id.toString() + " reason=busy");
    const f = encodeFrame(FULL_LINE);
    stream_send(id, changetype<usize>(f), <u32>f.byteLength);
    stream_close(id);
  }

  /** Sessions holding a slot: authenticated and not yet closing. */
  authedCount(): i32 {
    let n = 0;
    const all = this.conns.values();
    for (let i = 0; i < all.length; i++) if (all[i].counted && !all[i].closeSent) n++;
    return n;
  }

  /** Slots held by sessions attached to a role other than the queen. */
  nonQueenCount(except: Conn | null): i32 {
    let n = 0;
    const all = this.conns.values();
    for (let i = 0; i < all.length; i++) {
      const c = all[i];
      if (c != except && c.counted && !c.closeSent && c.role.length > 0 && c.role != "queen") n++;
    }
    return n;
  }

  /** "" when `c` may take a slot as `role`, else why not (the text after `detail=`). */
  admit(c: Conn, role: string): string {
    if (!c.counted && this.authedCount() >= CONSOLE_MAX_SESSIONS) return "console-full max_sessions=" + CONSOLE_MAX_SESSIONS.toString();
    if (role != "queen" && this.nonQueenCount(c) >= CONSOLE_MAX_SESSIONS - CONSOLE_QUEEN_RESERVED) {
      return "console-full max_sessions=" + CONSOLE_MAX_SESSIONS.toString() + " queen_reserved=" + CONSOLE_QUEEN_RESERVED.toString();
    }
    return "";
  }

  rx(id: u32, ptr: usize, len: u32, now: u64): void {
    if (!this.conns.has(id)) return;
    const c = this.conns.get(id);
    if (c.state == ST_CLOSING) return; // input after a fatal error or QUIT is ignored
    c.lastRx = now;
    c.rxTotal += <u64>len;
    netStats.rxBytes += <u64>len;
    if (!c.decided) {
      let i: u32 = 0;
      while (i < len && !c.decided) {
        c.sniff[c.sniffHave++] = load<u8>(ptr + i++);
        const size = c.sniffHave >= 4 ? load<u32>(c.sniff.dataStart) : 0;
        if (c.sniffHave == 4 && (size < 7 || size > <u32>CONSOLE_FRAME_MAX)) c.decided = true;
        else if (c.sniffHave == 5) {
          c.decided = true;
          if (c.sniff[4] == 100) {
            const p = new P9Session(this.ns, c.out);
            p.admission = c.admission;
            c.p9 = p;
          }
        }
      }
      if (!c.decided) return;
      this.feed(c, c.sniff.dataStart, <u32>c.sniffHave, now);
      if (i < len && c.state != ST_CLOSING) this.feed(c, ptr + i, len - i, now);
    } else this.feed(c, ptr, len, now);
    c.drain();
    this.settle(c, now);
  }

  private feed(c: Conn, ptr: usize, len: u32, now: u64): void {
    if (c.p9 != null) return this.feed9p(c, c.p9!, ptr, len, now);
    const events = c.events;
    events.length = 0; // reused: no per-chunk array on the request path
    c.decoder.push(ptr, len, events);
    c.out.hold = true;
    for (let i = 0; i < events.length && c.state != ST_CLOSING; i++) {
      // A safe point: the connection, its decoder and the decoded lines are all reachable from
      // the console's table, so collecting here frees only what earlier requests left behind.
      if (safePoint(now)) this.frame(c, events[i], now);
      else this.busy(c, events[i]);
    }
    c.out.hold = false;
  }

  /** A Secure9P connection: its session parses and answers; this counts and closes it. */
  private feed9p(c: Conn, p: P9Session, ptr: usize, len: u32, now: u64): void {
    c.out.hold = true;
    p.push(ptr, len, now);
    c.out.hold = false;
    if (p.attached && !c.counted) {
      // The attach passed admit() (ConnAdmission) just before it was answered.
      c.counted = true;
      c.state = ST_AUTHED;
      sessions.active++;
    }
    if (p.cut) {
      netStats.slowReaderCuts++;
      pressure.count("cut");
      c.state = ST_CLOSING;
    }
    if (p.wantsClose) this.beginClose(c, now);
  }

  sent(id: u32, now: u64): void {
    if (!this.conns.has(id)) return;
    const c = this.conns.get(id);
    c.drain();
    this.settle(c, now);
  }

  closed(id: u32): void {
    if (!this.conns.has(id)) return;
    const c = this.conns.get(id);
    if (!c.decoder.idle || (!c.decided && c.sniffHave > 0) || (c.p9 != null && !c.p9!.idle)) {
      netStats.midFrameCloses++;
      if (c.counted) this.ns.queenLog.system("console conn closed mid-frame");
      else this.audit.event("mid_frame", "console conn closed mid-frame", now_ms());
    }
    if (c.counted) sessions.active--;
    this.ns.trace.emit(INFO, CAT_CONSOLE, "session close conn=" + id.toString() + (c.p9 != null ? " proto=9p" : ""));
    this.conns.delete(id);
  }

  tick(now: u64): void {
    this.audit.flush(now);
    const all = this.conns.values();
    for (let i = 0; i < all.length; i++) {
      const c = all[i];
      if (c.state == ST_PREAUTH && now - c.acceptedAt >= <u64>CONSOLE_AUTH_TIMEOUT_MS) {
        netStats.timeouts++;
        this.ns.trace.emit(WARN, CAT_CONSOLE, "session timeout conn=" + c.id.toString() + " phase=auth");
        this.fatal(c, "ERR AUTH reason=timeout", now);
      } else if (c.state == ST_AUTHED && now - c.lastRx >= <u64>CONSOLE_IDLE_TIMEOUT_MS) {
        netStats.timeouts++;
        pressure.count("busy");
        this.ns.trace.emit(INFO, CAT_CONSOLE, "session timeout conn=" + c.id.toString() + " phase=idle");
        this.fatal(c, "ERR CONSOLE reason=timeout", now);
      }
      c.drain();
      this.settle(c, now);
    }
  }

  /** The headroom could not be restored: refuse this request whole (nothing of it ran). */
  private busy(c: Conn, ev: FrameEvent): void {
    pressure.count("busy");
    if (c.state == ST_PREAUTH || ev.kind != FRAME_LINE) {
      c.line("ERR CONSOLE reason=busy detail=memory");
      return;
    }
    c.line("ERR " + verbLabel(ev.line) + " reason=busy detail=memory");
  }

  private frame(c: Conn, ev: FrameEvent, now: u64): void {
    if (ev.kind != FRAME_LINE) {
      netStats.frameErrors++;
      if (c.state == ST_PREAUTH || ev.kind == FRAME_BAD_UTF8) {
        // Before AUTH any framing error is fatal; non-UTF-8 is fatal at any time (reference §2.1).
        return this.fatal(c, c.state == ST_PREAUTH ? "ERR AUTH reason=invalid-length" : "ERR FRAME reason=invalid-length", now);
      }
      pressure.count("policy");
      c.line("ERR FRAME reason=invalid-length");
      return;
    }
    netStats.framesIn++;
    if (c.state == ST_PREAUTH) return this.auth(c, ev.line, now);
    if (isEcho(ev.line) && hasControl(ev.line)) {
      // A record is one line: an embedded LF would make two, and the second could pass for a
      // system audit record (issue 10, finding 8). CR and other C0 characters are refused too.
      pressure.count("policy");
      c.line("ERR ECHO reason=policy detail=invalid-payload path=" + echoPath(ev.line) + " error=control characters (CR, LF, C0) are not allowed in a record");
      return;
    }
    const role = attachRole(ev.line);
    if (role.length > 0 && role != "queen" && role != c.role) {
      const why = this.admit(c, role);
      if (why.length > 0) {
        netStats.consoleFull++;
        pressure.count("busy");
        c.line("ERR ATTACH reason=busy detail=" + why);
        return;
      }
    }
    this.commands.run(ev.line, c.session, c, now);
    c.role = c.session.role;
    if (c.session.wantsClose) this.beginClose(c, now);
  }

  private auth(c: Conn, line: string, now: u64): void {
    const peer = this.peer(c.peer);
    if (now < peer.lockedUntil) {
      pressure.count("quota");
      this.ns.trace.emit(WARN, CAT_CONSOLE, "auth refused conn=" + c.id.toString() + " reason=locked-out");
      return this.fatal(c, "ERR AUTH reason=quota detail=rate-limited delay_ms=" + (peer.lockedUntil - now).toString(), now);
    }
    const prefix = line.length >= 5 ? line.substring(0, 5).toUpperCase() : "";
    const token = line.length > 5 ? line.substring(5) : "";
    if (prefix != "AUTH " || token.length == 0) {
      return this.authFailed(c, peer, "expected-token", now);
    }
    if (!sameSecret(token, CONSOLE_AUTH_TOKEN)) return this.authFailed(c, peer, "invalid-token", now);
    if (this.authedCount() >= CONSOLE_MAX_SESSIONS) {
      netStats.consoleFull++;
      pressure.count("busy");
      this.ns.trace.emit(WARN, CAT_CONSOLE, "session refused conn=" + c.id.toString() + " reason=busy");
      return this.fatal(c, FULL_LINE, now);
    }
    netStats.authOk++;
    // The failure window is NOT cleared here (issue 10, finding 7): under slirp every host
    // client shares one address, so a success by the operator's own tools would otherwise wipe
    // an attacker's failures and "3 failures in 60 s" would never lock anything.
    c.state = ST_AUTHED;
    c.counted = true;
    sessions.active++;
    this.ns.trace.emit(INFO, CAT_CONSOLE, "auth ok conn=" + c.id.toString());
    c.line("OK AUTH");
  }

  private authFailed(c: Conn, peer: PeerRecord, reason: string, now: u64): void {
    netStats.authFail++;
    const kept: u64[] = [];
    for (let i = 0; i < peer.failures.length; i++) {
      if (now - peer.failures[i] < <u64>CONSOLE_AUTH_FAIL_WINDOW_MS) kept.push(peer.failures[i]);
    }
    kept.push(now);
    peer.failures = kept;
    if (kept.length >= CONSOLE_AUTH_FAIL_LIMIT) {
      netStats.lockouts++;
      peer.lockedUntil = now + <u64>CONSOLE_AUTH_LOCKOUT_MS;
      peer.failures = [];
      this.ns.queenLog.system("console auth lockout ms=" + CONSOLE_AUTH_LOCKOUT_MS.toString());
      this.ns.trace.emit(WARN, CAT_CONSOLE, "lockout conn=" + c.id.toString() + " ms=" + CONSOLE_AUTH_LOCKOUT_MS.toString());
    }
    this.audit.event("auth_deny", "console auth outcome=deny reason=" + reason, now);
    this.ns.trace.emit(WARN, CAT_CONSOLE, "auth fail conn=" + c.id.toString() + " reason=" + reason);
    pressure.count("policy");
    this.fatal(c, "ERR AUTH reason=" + reason, now);
  }

  private peer(addr: u32): PeerRecord {
    for (let i = 0; i < this.peers.length; i++) if (this.peers[i].addr == addr) return this.peers[i];
    if (this.peers.length >= LOCKOUT_PEERS) {
      // Recycle an entry that is not locked out; if all are, recycle the oldest.
      let victim = 0;
      for (let i = 0; i < this.peers.length; i++) if (this.peers[i].lockedUntil == 0) { victim = i; break; }
      this.peers.splice(victim, 1);
    }
    const p = new PeerRecord(addr);
    this.peers.push(p);
    return p;
  }

  private fatal(c: Conn, msg: string, now: u64): void {
    if (msg.length > 0) c.line(msg);
    this.beginClose(c, now);
  }

  private beginClose(c: Conn, now: u64): void {
    if (c.state == ST_CLOSING && c.closeBy != 0) return;
    c.state = ST_CLOSING;
    c.closeBy = now + CLOSE_GRACE_MS;
  }

  /** Closes a closing connection once its queue has drained (or its grace period is over). */
  private settle(c: Conn, now: u64): void {
    if (c.state == ST_CLOSING && c.closeBy == 0) c.closeBy = now + CLOSE_GRACE_MS; // cut by line()
    if (c.state != ST_CLOSING || c.closeSent) return;
    if (!c.waiting || c.out.dead || now >= c.closeBy) {
      c.closeSent = true;
      stream_close(c.id);
    }
  }
}

/** The ACK label of a request line (its verb upper-cased, `bi` → BOOTINFO), at most 12 letters. */
function verbLabel(line: string): string {
  let n = 0;
  while (n < line.length && n < 12) {
    const ch = line.charCodeAt(n);
    if (!((ch >= 0x41 && ch <= 0x5a) || (ch >= 0x61 && ch <= 0x7a))) break;
    n++;
  }
  const v = line.substring(0, n).toUpperCase();
  return v == "BI" ? "BOOTINFO" : n == 0 ? "PARSE" : v;
}

const CUT_MARK = " ...(cut)";

/** `s` shortened so that it and CUT_MARK fit one frame of CONSOLE_FRAME_MAX bytes. */
function fitFrame(s: string): string {
  const room = CONSOLE_FRAME_MAX - 4 - CUT_MARK.length;
  let bytes = 0;
  let i = 0;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    const w = c < 0x80 ? 1 : c < 0x800 ? 2 : c >= 0xd800 && c < 0xdc00 ? 4 : 3;
    if (bytes + w > room) break;
    bytes += w;
    i += w == 4 ? 2 : 1;
  }
  return s.substring(0, i) + CUT_MARK;
}

/** The path argument of an ECHO line, cut to path_max, with control characters shown as `?`. */
function echoPath(line: string): string {
  let end = 5;
  while (end < line.length && end < 5 + CONSOLE_PATH_MAX && line.charCodeAt(end) != 0x20) end++;
  const parts = new Array<string>(end - 5);
  for (let i = 5; i < end; i++) {
    const ch = line.charCodeAt(i);
    parts[i - 5] = ch < 0x20 || ch == 0x7f ? "?" : String.fromCharCode(ch);
  }
  return parts.length == 0 ? "-" : parts.join("");
}

function isEcho(line: string): bool {
  return line.length >= 5 && line.substring(0, 5).toLowerCase() == "echo ";
}

/** True when the line holds a C0 control character or DEL (TAB included: records are plain text). */
function hasControl(line: string): bool {
  for (let i = 0; i < line.length; i++) {
    const ch = line.charCodeAt(i);
    if (ch < 0x20 || ch == 0x7f) return true;
  }
  return false;
}

/** The role an `ATTACH <role> …` line asks for (lower-cased, `worker` as the original's alias), or "". */
function attachRole(line: string): string {
  if (line.length < 8) return "";
  const verb = line.substring(0, 7).toLowerCase();
  if (verb != "attach ") return "";
  let end = 7;
  while (end < line.length && end < 7 + 32 && line.charCodeAt(end) != 0x20) end++;
  const role = line.substring(7, end).toLowerCase();
  return role == "worker" ? "worker-heartbeat" : role;
}

/** Compares without an early exit, so timing does not reveal how much of a token matched. */
function sameSecret(a: string, b: string): bool {
  const x = String.UTF8.encode(a, false);
  const y = String.UTF8.encode(b, false);
  const n = x.byteLength > y.byteLength ? x.byteLength : y.byteLength;
  let diff: u32 = <u32>(x.byteLength ^ y.byteLength);
  for (let i = 0; i < n; i++) {
    const p = i < x.byteLength ? load<u8>(changetype<usize>(x) + <usize>i) : 0;
    const q = i < y.byteLength ? load<u8>(changetype<usize>(y) + <usize>i) : 0;
    diff |= <u32>(p ^ q);
  }
  return diff == 0;
}
