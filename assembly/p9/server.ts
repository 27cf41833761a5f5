// One Secure9P session (docs/SECURE9P.md): 9P2000.L, or the original's classic dialect, over
// the NineDoor namespace. Same role views, scopes, quotas, lifecycle gates and audit records as
// the console; only the framing differs. Requests are answered in arrival order, one at a time.

import { TELEMETRY_INGEST_MAX_RECORD_BYTES } from "../generated/manifest";
import { Namespace } from "../ninedoor/namespace";
import { Dir, File, MODE_QUEEN_AO, MODE_RO, Node } from "../ninedoor/node";
import { OP_LIST, OP_READ, OP_WALK, OP_WRITE } from "../ninedoor/access";
import {
  attach, ATTACH_INVALID_ROLE, ATTACH_LIFECYCLE, ATTACH_NOT_FOUND, ATTACH_SUBJECT_MISMATCH, ATTACH_TICKET_REQUIRED, Attachment, AttachResult,
  Backoff, PreauthSink, SECURE9P,
} from "../ninedoor/session";
import { pressure } from "../ninedoor/stats";
import { canonicalRole, claimedRole } from "../ticket/verify";
import { safePoint } from "../platform/gc";
import { fnv1a, FNV1A_OFFSET } from "../crypto/fnv1a";
import { wall_ms } from "../platform/abi";
import { OutQueue } from "../net/out_queue";
import { Reassembler, RX_BAD_SIZE, RX_FRAME } from "../net/reassembler";
import { validUtf8 } from "../text/utf8";
import { decodeT, NOFID, P9_HEADER, P9_MSIZE_MAX, P9_MSIZE_MIN, Qid, QT_APPEND, QT_DIR, QT_FILE, TMsg, Writer } from "./codec";
import {
  classicWord, EACCES, EAGAIN, EBADF, EBUSY, EDQUOT, EINVAL, EISDIR, EMFILE, EMSGSIZE, ENOENT, ENOTDIR, EOPNOTSUPP, EPERM,
  R_ATTACH, R_CLUNK, R_ERROR, R_FLUSH, R_FSYNC, R_GETATTR, R_LERROR, R_READ, R_READDIR, R_STATFS, R_VERSION, R_WALK, R_WRITE,
  T_ATTACH, T_AUTH, T_CLUNK, T_CREATE, T_FLUSH, T_FSYNC, T_GETATTR, T_GETLOCK, T_LCREATE, T_LINK, T_LOCK, T_LOPEN, T_MKDIR,
  T_MKNOD, T_OPEN, T_READ, T_READDIR, T_READLINK, T_REMOVE, T_RENAME, T_RENAMEAT, T_SETATTR, T_STAT, T_STATFS, T_SYMLINK,
  T_UNLINKAT, T_VERSION, T_WALK, T_WRITE, T_XATTRCREATE, T_XATTRWALK,
} from "../generated/protocol";

export const P9_MAX_FIDS: i32 = 64;

class Fid {
  open: bool = false;
  read: bool = false;
  write: bool = false;
  entries: string[] | null = null; // a directory's listing, taken when it is opened
  // A line file's encoding, taken by a read from offset 0 (or past the end of the last one) and
  // served by offset after that: one rendering per pass, not one per Tread, and one version of
  // the file for the whole pass. Freed with the fid; at most one file's view per fid.
  snap: ArrayBuffer | null = null;
  constructor(public path: string, public auth: Attachment) {}
}

/** Asks the transport for a session slot before an attach is answered ("" = granted, else why not). */
export abstract class Admission extends PreauthSink {
  abstract admit(role: string): string;
}

export class P9Session {
  admission: Admission | null = null;
  private fids: Map<u32, Fid> = new Map<u32, Fid>();
  private w: Writer = new Writer();
  // 9P messages: size in [7, msize]; a lying size cannot be skipped over (no resync), so it closes.
  private rx: Reassembler = new Reassembler(<i32>P9_MSIZE_MAX, P9_HEADER, P9_MSIZE_MAX, false);
  msize: u32 = P9_MSIZE_MAX;
  versioned: bool = false;
  classic: bool = false; // Rerror(code, message) instead of Rlerror(errno)
  attached: bool = false; // some Tattach succeeded (the session then counts as authenticated)
  wantsClose: bool = false;
  cut: bool = false; // the peer stopped reading
  private backoff: Backoff = new Backoff();
  private now: u64 = 0; // the current request's monotonic time
  private msg: string = "";

  constructor(private ns: Namespace, private out: OutQueue) {}

  /** True when no partial frame is pending. */
  get idle(): bool {
    return this.rx.idle;
  }

  /** Consumes stream bytes; answers each complete frame. */
  push(ptr: usize, len: u32, now: u64): void {
    const rx = this.rx;
    let i: u32 = 0;
    while (i < len && !this.wantsClose) {
      i = rx.feed(ptr, len, i);
      if (rx.event == RX_BAD_SIZE) {
        // A stream cannot be resynchronised after a lying size: refuse and close.
        pressure.count("policy");
        this.msg = "frame size " + rx.size.toString() + " outside [7, msize]";
        this.error(0xffff, EMSGSIZE);
        this.wantsClose = true;
        return;
      }
      if (rx.event == RX_FRAME) {
        // A safe point (the session and its frame buffer are reachable from the console's table).
        if (safePoint(now)) this.handle(rx.frame.dataStart, rx.size, now);
        else this.busy(rx.frame.dataStart, rx.size);
      }
    }
  }

  /** Memory headroom could not be restored: the request is refused whole with EAGAIN. */
  private busy(ptr: usize, len: u32): void {
    pressure.count("busy");
    this.msg = "busy: out of memory headroom, retry";
    this.error(len >= P9_HEADER ? load<u16>(ptr + 5) : 0xffff, EAGAIN);
  }

  /** Answers one whole frame. */
  handle(ptr: usize, len: u32, now: u64): void {
    this.now = now;
    const m = decodeT(ptr, len);
    this.msg = "";
    if (m.err != 0) {
      pressure.count("policy");
      this.msg = m.known ? "malformed message" : "unsupported message type " + m.type.toString();
      return this.error(m.tag, m.err);
    }
    const t = m.type;
    if (t == T_VERSION) return this.version(m);
    if (!this.versioned) return this.fail(m.tag, EINVAL, "version negotiation required before " + (t == T_ATTACH ? "attach" : "use"));
    // ENOENT, not EOPNOTSUPP: libnpclient-style clients read it as "no authentication needed".
    if (t == T_AUTH) return this.fail(m.tag, ENOENT, "no authentication file: the ticket goes in aname");
    if (t == T_ATTACH) return this.attach(m, now);
    if (t == T_FLUSH) return this.send(this.w.begin(R_FLUSH, m.tag)); // every earlier request is already answered
    if (t == T_WALK) return this.walk(m);
    if (t == T_LOPEN || t == T_OPEN) return this.open(m);
    if (t == T_GETATTR) return this.getattr(m);
    if (t == T_READ) return this.read(m);
    if (t == T_READDIR) return this.readdir(m);
    if (t == T_WRITE) return this.write(m, ptr);
    if (t == T_CLUNK || t == T_REMOVE) {
      const fid = <u32>m.int(0);
      if (!this.fids.has(fid)) return this.fail(m.tag, EBADF, "unknown fid");
      this.fids.delete(fid); // Tremove clunks the fid even when refused
      if (t == T_REMOVE) return this.fail(m.tag, EPERM, "remove is disabled");
      return this.send(this.w.begin(R_CLUNK, m.tag));
    }
    if (t == T_STATFS) {
      if (!this.fids.has(<u32>m.int(0))) return this.fail(m.tag, EBADF, "unknown fid");
      this.w.begin(R_STATFS, m.tag).u32(0x01021997).u32(4096).u64(0).u64(0).u64(0).u64(0).u64(0).u64(0);
      return this.send(this.w.u32(64));
    }
    if (t == T_FSYNC) {
      if (!this.fids.has(<u32>m.int(0))) return this.fail(m.tag, EBADF, "unknown fid");
      return this.send(this.w.begin(R_FSYNC, m.tag)); // appends are applied synchronously
    }
    if (t == T_SETATTR) return this.fail(m.tag, EPERM, "attributes are fixed; append-only files cannot be truncated");
    if (t == T_LCREATE || t == T_CREATE || t == T_MKDIR || t == T_SYMLINK || t == T_MKNOD || t == T_LINK ||
        t == T_RENAME || t == T_RENAMEAT || t == T_UNLINKAT) {
      return this.fail(m.tag, EPERM, "the namespace's names are fixed");
    }
    if (t == T_READLINK) return this.fail(m.tag, EINVAL, "not a symlink");
    if (t == T_XATTRWALK || t == T_XATTRCREATE || t == T_LOCK || t == T_GETLOCK || t == T_STAT) {
      return this.fail(m.tag, EOPNOTSUPP, "not supported");
    }
    this.fail(m.tag, EOPNOTSUPP, "not supported");
  }

  private version(m: TMsg): void {
    const req = <u32>m.int(0);
    const v = m.str(0);
    this.fids.clear(); // a Tversion aborts everything outstanding
    this.versioned = false;
    if (v != "9P2000.L" && v != "9P2000") {
      this.w.begin(R_VERSION, m.tag).u32(this.msize).str("unknown");
      return this.send(this.w);
    }
    if (req < P9_MSIZE_MIN) return this.fail(m.tag, EINVAL, "msize below " + P9_MSIZE_MIN.toString());
    this.msize = req < P9_MSIZE_MAX ? req : P9_MSIZE_MAX;
    this.rx.max = this.msize;
    this.classic = v == "9P2000";
    this.versioned = true;
    this.send(this.w.begin(R_VERSION, m.tag).u32(this.msize).str(v));
  }

  private attach(m: TMsg, now: u64): void {
    const fid = <u32>m.int(0);
    if (<u32>m.int(1) != NOFID) return this.fail(m.tag, EINVAL, "no authentication files: afid must be NOFID");
    if (this.fids.has(fid)) return this.fail(m.tag, EBADF, "fid in use");
    if (this.fids.size >= P9_MAX_FIDS) return this.fail(m.tag, EMFILE, "fid limit");
    const wait = this.backoff.waitMs(now);
    if (wait > 0) {
      pressure.count("quota");
      return this.fail(m.tag, EAGAIN, "throttled delay_ms=" + wait.toString());
    }
    const uname = m.str(0);
    const ticket = m.str(1);
    let role = uname;
    let ident = "";
    const colon = uname.indexOf(":");
    if (colon >= 0) {
      role = uname.substring(0, colon);
      ident = uname.substring(colon + 1);
    }
    // Generic clients send an empty uname, or the Linux kernel's default "nobody": the ticket names the role.
    if (role.length == 0 || (role == "nobody" && colon < 0)) role = claimedRole(ticket);
    if (!this.attached && this.admission != null) {
      const why = this.admission!.admit(canonicalRole(role));
      if (why.length > 0) {
        pressure.count("busy");
        return this.fail(m.tag, EBUSY, "console full: " + why);
      }
    }
    const r = attach(this.ns, SECURE9P, this.backoff, role, ticket, ident, now, this.attached ? null : this.admission);
    const a = r.attachment;
    if (a == null) return this.attachRefused(m, r); // audited and counted by the session
    this.attached = true;
    this.fids.set(fid, new Fid("/", a));
    this.send(this.w.begin(R_ATTACH, m.tag).qid(this.qidOf("/", this.ns.root)));
  }

  /** The 9P wording of an attach refusal: an errno, and the console's detail word as the message. */
  private attachRefused(m: TMsg, r: AttachResult): void {
    let e = EACCES;
    if (r.code == ATTACH_INVALID_ROLE) e = EINVAL;
    else if (r.code == ATTACH_LIFECYCLE) e = EPERM;
    else if (r.code == ATTACH_NOT_FOUND) e = ENOENT;
    this.fail(m.tag, e, r.code == ATTACH_INVALID_ROLE ? "invalid role" : r.detail);
  }

  /**
   * The ticket of `f`'s attach holds for the whole session: checked (and one op charged) on
   * each request. When it has run out every fid of that attach is dropped and the refusal sent.
   */
  private live(tag: u16, f: Fid): bool {
    const e = f.auth.request(wall_ms(), this.now);
    if (e == null) return true;
    const ids = this.fids.keys();
    for (let i = 0; i < ids.length; i++) if (this.fids.get(ids[i]).auth === f.auth) this.fids.delete(ids[i]);
    this.fail(tag, e.errno, e.error);
    return false;
  }

  private walk(m: TMsg): void {
    const fid = <u32>m.int(0);
    const newfid = <u32>m.int(1);
    if (!this.fids.has(fid)) return this.fail(m.tag, EBADF, "unknown fid");
    const f = this.fids.get(fid);
    if (!this.live(m.tag, f)) return;
    // Cloning an opened fid into a new one is allowed (diod and the libnpclient tools walk from
    // the directory fid they are reading: `diodls -l`); moving an opened fid itself is not.
    if (f.open && newfid == fid) return this.fail(m.tag, EBADF, "fid is open");
    if (newfid != fid && this.fids.has(newfid)) return this.fail(m.tag, EBADF, "newfid in use");
    if (newfid != fid && this.fids.size >= P9_MAX_FIDS) return this.fail(m.tag, EMFILE, "fid limit");
    const names = m.names;
    this.w.begin(R_WALK, m.tag).u16(0);
    let path = f.path;
    let n = 0;
    for (; n < names.length; n++) {
      const next = path == "/" ? "/" + names[n] : path + "/" + names[n];
      const e = this.access(f.auth, next, OP_WALK);
      let err: u32 = e;
      let node: Node | null = null;
      if (err == 0) {
        const l = this.ns.lookup(next);
        if (l.error != null) {
          err = ENOENT;
          this.msg = "no such file: " + next;
          // Distinguish "walked through a file" for the client.
          const parent = this.ns.lookup(path);
          if (parent.node != null && !parent.node!.isDir()) err = ENOTDIR;
        } else node = l.node;
      }
      if (err != 0) {
        if (n == 0) return this.error(m.tag, err);
        break; // a partial walk: the qids so far, newfid not created
      }
      this.w.qid(this.qidOf(next, node!));
      path = next;
    }
    store<u16>(this.w.buf.dataStart + 7, <u16>n);
    if (n == names.length) this.fids.set(newfid, new Fid(path, f.auth));
    this.send(this.w);
  }

  private open(m: TMsg): void {
    const fid = <u32>m.int(0);
    if (!this.fids.has(fid)) return this.fail(m.tag, EBADF, "unknown fid");
    const f = this.fids.get(fid);
    if (!this.live(m.tag, f)) return;
    if (f.open) return this.fail(m.tag, EBADF, "fid already open");
    let rd = true;
    let wr = false;
    let trunc = false;
    const fl = <u32>m.int(1);
    if (m.type == T_OPEN) {
      this.classic = true; // the original's clients announce 9P2000.L but speak classic
      const base = fl & 3;
      rd = base == 0 || base == 2 || base == 3;
      wr = base == 1 || base == 2 || (fl & 0x80) != 0;
      trunc = (fl & 0x10) != 0;
    } else {
      const acc = fl & 3;
      rd = acc == 0 || acc == 2;
      wr = acc == 1 || acc == 2;
      trunc = (fl & 0x200) != 0;
    }
    const l = this.ns.lookup(f.path);
    if (l.error != null) return this.fail(m.tag, ENOENT, "no such file: " + f.path);
    const node = l.node!;
    if (node.isDir()) {
      if (wr || trunc) return this.fail(m.tag, EISDIR, "is a directory");
      const e = this.access(f.auth, f.path, OP_LIST);
      if (e != 0) return this.error(m.tag, e);
      const ents = (node as Dir).entries();
      const names: string[] = [];
      for (let i = 0; i < ents.length; i++) names.push(ents[i].name);
      f.entries = names;
    } else {
      const file = node as File;
      if (trunc) return this.fail(m.tag, EPERM, "append-only files cannot be truncated");
      if (wr && file.mode == MODE_RO) return this.fail(m.tag, EACCES, "cannot write read-only file " + f.path);
      if (wr && file.mode == MODE_QUEEN_AO && f.auth.role != "queen") return this.fail(m.tag, EACCES, "only the queen writes " + f.path);
      if (wr) {
        const e = this.access(f.auth, f.path, OP_WRITE);
        if (e != 0) return this.error(m.tag, e);
      }
      if (rd) {
        const e = this.access(f.auth, f.path, OP_READ);
        if (e != 0) return this.error(m.tag, e);
      }
    }
    f.open = true;
    f.read = rd;
    f.write = wr;
    this.send(this.w.begin(m.type + 1, m.tag).qid(this.qidOf(f.path, node)).u32(this.msize - 24));
  }

  private getattr(m: TMsg): void {
    const fid = <u32>m.int(0);
    if (!this.fids.has(fid)) return this.fail(m.tag, EBADF, "unknown fid");
    const f = this.fids.get(fid);
    if (!this.live(m.tag, f)) return;
    const l = this.ns.lookup(f.path);
    if (l.error != null) return this.fail(m.tag, ENOENT, "no such file: " + f.path);
    const node = l.node!;
    const q = this.qidOf(f.path, node);
    let mode: u32 = 0o40555;
    let size: u64 = 0;
    if (!node.isDir()) {
      const file = node as File;
      mode = file.mode == MODE_RO ? 0o100444 : 0o100644;
      const raw = file.bytes();
      size = raw != null ? <u64>raw.length : <u64>contentBytes(file.read());
    }
    const secs = wall_ms() / 1000;
    this.w.begin(R_GETATTR, m.tag).u64(0x7ff).qid(q).u32(mode).u32(0).u32(0).u64(node.isDir() ? 2 : 1).u64(0);
    this.w.u64(size).u64(4096).u64((size + 511) / 512);
    for (let i = 0; i < 4; i++) this.w.u64(secs).u64(0); // atime, mtime, ctime, btime
    this.send(this.w.u64(0).u64(0));
  }

  private read(m: TMsg): void {
    const fid = <u32>m.int(0);
    if (!this.fids.has(fid)) return this.fail(m.tag, EBADF, "unknown fid");
    const f = this.fids.get(fid);
    if (!this.live(m.tag, f)) return;
    if (!f.open || !f.read) return this.fail(m.tag, EBADF, "fid not open for reading");
    if (f.entries != null) return this.fail(m.tag, EISDIR, "is a directory: use Treaddir");
    const l = this.ns.lookupFile(f.path);
    if (l.error != null) return this.fail(m.tag, ENOENT, "no such file: " + f.path);
    // Binary files are served as their bytes; line files as their lines joined by "\n".
    const file = l.node as File;
    const unreadable = file.readError();
    if (unreadable != null) return this.fail(m.tag, ENOENT, unreadable.error);
    const raw = file.bytes();
    let base: usize = 0;
    let total: u64 = 0;
    if (raw != null) {
      base = raw.dataStart;
      total = <u64>raw.length;
    } else {
      const at = m.int(1);
      let body = f.snap;
      // Render again at offset 0 (a new pass) and past the snapshot's end (the file may have
      // grown: `tail -f` over v9fs reads on from where it was).
      if (body == null || at == 0 || at >= <u64>body.byteLength) {
        body = String.UTF8.encode(content(file.read()), false);
        f.snap = body;
      }
      base = changetype<usize>(body);
      total = <u64>body.byteLength;
    }
    const off = m.int(1);
    let count = <u64>m.int(2);
    const room = <u64>(this.msize - 11);
    if (count > room) count = room;
    const from = off < total ? off : total;
    const n = <i32>(total - from < count ? total - from : count);
    // A UI ticket pays for the bytes served; a telemetry read from offset 0 advances a cursor.
    if (n > 0 && !f.auth.charge(f.path, <u64>n, from == 0 && file.meteredAsCursor())) return this.fail(m.tag, EDQUOT, "ELIMIT");
    this.w.begin(R_READ, m.tag).u32(<u32>n).bytes(base + <usize>from, n);
    this.send(this.w);
  }

  private readdir(m: TMsg): void {
    const fid = <u32>m.int(0);
    if (!this.fids.has(fid)) return this.fail(m.tag, EBADF, "unknown fid");
    const f = this.fids.get(fid);
    if (!this.live(m.tag, f)) return;
    if (!f.open || f.entries == null) return this.fail(m.tag, ENOTDIR, "fid is not an open directory");
    const names = f.entries!;
    const off = m.int(1);
    let count = <u32>m.int(2);
    if (count > this.msize - 11) count = this.msize - 11;
    this.w.begin(R_READDIR, m.tag).u32(0);
    const start = this.w.at;
    for (let i = <i32>min<u64>(off, <u64>names.length); i < names.length; i++) {
      const path = f.path == "/" ? "/" + names[i] : f.path + "/" + names[i];
      const l = this.ns.lookup(path);
      if (l.node == null) continue; // gone since the listing was taken
      const need = 13 + 8 + 1 + 2 + String.UTF8.byteLength(names[i]);
      if (<u32>(this.w.at - start + need) > count) break;
      const q = this.qidOf(path, l.node!);
      this.w.qid(q).u64(<u64>(i + 1)).u8(l.node!.isDir() ? 4 : 8).str(names[i]);
    }
    store<u32>(this.w.buf.dataStart + 7, <u32>(this.w.at - start));
    this.send(this.w);
  }

  private write(m: TMsg, ptr: usize): void {
    const fid = <u32>m.int(0);
    if (!this.fids.has(fid)) return this.fail(m.tag, EBADF, "unknown fid");
    const f = this.fids.get(fid);
    if (!this.live(m.tag, f)) return;
    if (!f.open || !f.write) return this.fail(m.tag, EBADF, "fid not open for writing");
    const dp = ptr + <usize>m.dataOff;
    const l = this.ns.lookupFile(f.path);
    if (l.error != null) return this.fail(m.tag, ENOENT, "no such file: " + f.path);
    const off = m.int(1);
    if ((l.node as File).takesBytes()) {
      // Update chunks and manifests: the bytes as they are, no lines, no base64.
      if (m.dataLen == 0) return this.send(this.w.begin(R_WRITE, m.tag).u32(0));
      const err = this.ns.appendBytes(f.path, off, dp, <i32>m.dataLen, f.auth.caller());
      if (err != null) {
        pressure.count(err.reason);
        this.msg = err.detail + " " + err.error;
        return this.error(m.tag, err.errno);
      }
      return this.send(this.w.begin(R_WRITE, m.tag).u32(<u32>m.dataLen));
    }
    if (!validUtf8(dp, <usize>m.dataLen)) return this.fail(m.tag, EINVAL, "records are UTF-8");
    const text = String.UTF8.decodeUnsafe(dp, <usize>m.dataLen, false);
    if ((l.node as File).appendAtEndOnly()) {
      // Ingest segments take appends only at their end (or at u64::MAX), reference §3.4.
      const end = <u64>contentBytes((l.node as File).read());
      if (off != end && off != u64.MAX_VALUE) return this.fail(m.tag, EINVAL, "append offset rejected");
    }
    const lines = text.split("\n");
    if ((l.node as File).oneRecordPerWrite()) {
      let records = 0;
      for (let i = 0; i < lines.length; i++) if (lines[i].length > 0 && lines[i] != "\r") records++;
      if (records > 1) return this.fail(m.tag, EINVAL, "one request per write");
    }
    for (let i = 0; i < lines.length; i++) {
      let s = lines[i];
      if (s.endsWith("\r")) s = s.substring(0, s.length - 1);
      if (s.length == 0) continue;
      // The largest record any file takes; each file then applies its own (smaller) bound.
      if (String.UTF8.byteLength(s) > TELEMETRY_INGEST_MAX_RECORD_BYTES) return this.fail(m.tag, EMSGSIZE, "record too big");
      const err = this.ns.append(f.path, s, f.auth.caller());
      if (err != null) {
        pressure.count(err.reason);
        this.msg = err.detail + " " + err.error;
        return this.error(m.tag, err.errno);
      }
    }
    this.send(this.w.begin(R_WRITE, m.tag).u32(<u32>m.dataLen));
  }

  /** The session's role view and ticket scopes, as an errno (0 = allowed); audited and counted by the session. */
  private access(a: Attachment, path: string, op: i32): u32 {
    const e = a.access(path, op);
    if (e == null) return 0;
    this.msg = "access to " + path + " denied" + (e.byRole ? "" : ": " + e.error);
    return e.reason == "quota" ? EDQUOT : EACCES;
  }

  /** Qid: path = FNV-1a 64 of the bound-resolved path, so it is stable for the life of the node. */
  private qidOf(path: string, node: Node): Qid {
    // Real paths are ASCII (every provider's names are), so UTF-8 bytes = UTF-16 units here.
    const h = fnv1a(FNV1A_OFFSET, this.ns.ctl.resolveBinds(path));
    if (node.isDir()) return new Qid(QT_DIR, 0, h);
    return new Qid((node as File).mode == MODE_RO ? QT_FILE : QT_APPEND, 0, h);
  }

  private fail(tag: u16, e: u32, msg: string): void {
    this.msg = msg;
    this.error(tag, e);
  }

  private error(tag: u16, e: u32): void {
    if (this.classic) this.w.begin(R_ERROR, tag).str(classicWord(e)).str(this.msg.length > 0 ? this.msg : "errno " + e.toString());
    else this.w.begin(R_LERROR, tag).u32(e);
    this.send(this.w);
  }

  private send(w: Writer): void {
    if (w.over) {
      // Cannot happen for bounded replies; answer rather than send a truncated frame.
      w.begin(R_LERROR, load<u16>(w.buf.dataStart + 5)).u32(EMSGSIZE);
    }
    const n = w.end();
    if (!this.out.write(w.buf.dataStart, n)) this.cut = true;
  }
}

/** File content as served: lines joined by "\n" with a trailing "\n" (nothing for no lines). */
function content(lines: string[]): string {
  return lines.length == 0 ? "" : lines.join("\n") + "\n";
}

function contentBytes(lines: string[]): i32 {
  let n = 0;
  for (let i = 0; i < lines.length; i++) n += String.UTF8.byteLength(lines[i]) + 1;
  return n;
}

