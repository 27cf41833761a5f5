// The TCP console (port 31337): framing, AUTH with lockout, per-session state, timeouts, and
// a bounded number of concurrent sessions. Bytes arrive through the platform ABI; commands run
// through the same Commands table whatever the transport.

import {
  CONSOLE_AUTH_FAIL_LIMIT,
  CONSOLE_AUTH_FAIL_WINDOW_MS,
  CONSOLE_AUTH_LOCKOUT_MS,
  CONSOLE_AUTH_TIMEOUT_MS,
  CONSOLE_AUTH_TOKEN,
  CONSOLE_FRAME_MAX,
  CONSOLE_IDLE_TIMEOUT_MS,
  CONSOLE_LINE_MAX,
  CONSOLE_MAX_SESSIONS,
  CONSOLE_REPLY_BACKLOG_BYTES,
  CONSOLE_TX_QUEUE_BYTES,
} from "../generated/manifest";
import { stream_close, stream_send } from "../platform/abi";
import { Namespace } from "../ninedoor/namespace";
import { encodeFrame, FRAME_BAD_LENGTH, FRAME_BAD_UTF8, FRAME_LINE, FrameDecoder, FrameEvent } from "../net/frame";
import { OutQueue } from "../net/out_queue";
import { netStats } from "../net/stats";
import { pressure, sessions } from "../ninedoor/stats";
import { Commands, Reply, SessionState } from "./commands";
import { P9Session } from "../p9/server";
import { CAT_CONSOLE, INFO, WARN } from "../trace/trace";

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

  constructor(public id: u32, public peer: u32, public acceptedAt: u64) {
    super();
    this.out = new OutQueue(id, CONSOLE_TX_QUEUE_BYTES);
    this.lastRx = acceptedAt;
  }

  line(s: string): void {
    if (this.p9 != null) return; // 9P peers get 9P replies only
    if ((this.state == ST_CLOSING && this.closeSent) || this.cut) return;
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

class PeerRecord {
  failures: u64[] = [];
  lockedUntil: u64 = 0;
  constructor(public addr: u32) {}
}

export class TcpConsole {
  private conns: Map<u32, Conn> = new Map<u32, Conn>();
  private peers: PeerRecord[] = [];
  private commands: Commands;

  constructor(private ns: Namespace, commands: Commands) {
    this.commands = commands;
  }

  get sessions(): i32 {
    return this.conns.size;
  }

  accepted(id: u32, addr: u32, now: u64): void {
    netStats.connsAccepted++;
    if (this.conns.size >= CONSOLE_MAX_SESSIONS) {
      // Over the manifest's bound: say why, then close, without taking a slot.
      netStats.connsRefusedBusy++;
      pressure.count("busy");
      this.ns.trace.emit(WARN, CAT_CONSOLE, "session refused conn=" + id.toString() + " reason=busy");
      const f = encodeFrame("ERR CONSOLE reason=busy");
      stream_send(id, changetype<usize>(f), <u32>f.byteLength);
      stream_close(id);
      return;
    }
    this.conns.set(id, new Conn(id, addr, now));
    this.ns.trace.emit(INFO, CAT_CONSOLE, "session open conn=" + id.toString());
  }

  rx(id: u32, ptr: usize, len: u32, now: u64): void {
    if (!this.conns.has(id)) return;
    const c = this.conns.get(id);
    if (c.state == ST_CLOSING) return; // input after a fatal error or QUIT is ignored
    c.lastRx = now;
    netStats.rxBytes += <u64>len;
    if (!c.decided) {
      let i: u32 = 0;
      while (i < len && !c.decided) {
        c.sniff[c.sniffHave++] = load<u8>(ptr + i++);
        const size = c.sniffHave >= 4 ? load<u32>(c.sniff.dataStart) : 0;
        if (c.sniffHave == 4 && (size < 7 || size > <u32>CONSOLE_FRAME_MAX)) c.decided = true;
        else if (c.sniffHave == 5) {
          c.decided = true;
          if (c.sniff[4] == 100) c.p9 = new P9Session(this.ns, c.out);
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
    for (let i = 0; i < events.length && c.state != ST_CLOSING; i++) this.frame(c, events[i], now);
    c.out.hold = false;
  }

  /** A Secure9P connection: its session parses and answers; this counts and closes it. */
  private feed9p(c: Conn, p: P9Session, ptr: usize, len: u32, now: u64): void {
    c.out.hold = true;
    p.push(ptr, len, now);
    c.out.hold = false;
    if (p.attached && !c.counted) {
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
      this.ns.queenLog.system("console conn closed mid-frame");
    }
    if (c.counted) sessions.active--;
    this.ns.trace.emit(INFO, CAT_CONSOLE, "session close conn=" + id.toString() + (c.p9 != null ? " proto=9p" : ""));
    this.conns.delete(id);
  }

  tick(now: u64): void {
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
    this.commands.run(ev.line, c.session, c, now);
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
    netStats.authOk++;
    peer.failures = [];
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
    this.ns.queenLog.system("console auth outcome=deny reason=" + reason);
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
    c.line(msg);
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
