// The mount's backend over Secure9P (docs/SECURE9P.md): walk + Tgetattr give real kinds, sizes and
// times; Tlopen probes (cached per path) give what this role may do, so modes say the truth;
// reads are pipelined Treads (the guest answers in order, so several may be in flight); appends
// are one Twrite per record at offset u64::MAX (the guest's "at the end"). A dropped connection
// is re-dialled and re-attached with the manifest's retry policy; open handles re-open their fid
// on the new session. When every attempt fails the hive is gone: onGone fires once.

import { P9Client, P9ClosedError, P9Error, P9TimeoutError, O_APPEND, O_RDONLY, O_WRONLY, type Message } from "../../sdk/p9/client.js";
import type { BytePipe, Connector } from "../../sdk/pipe.js";
import { snapshotHandle, type AppendHandle, type Backend, type FsStats, type Kind, type NodeInfo, type ReadHandle } from "./backend.js";
import { E, MountError } from "./errno.js";

export interface NineBackendOptions {
  connector: Connector;
  mode: "fuse" | "mock";
  role: string;
  ticket: string;
  /** Reply timeout per message (manifest cohsh.timeout_ms). */
  timeoutMs: number;
  /** A keepalive Tgetattr on an idle session this often (cohsh.heartbeat_ms): the guest closes silent sessions. */
  keepaliveMs: number;
  retry: { attempts: number; backoffMs: number; ceilingMs: number };
  /** The guest's largest record per line over 9P (telemetry_ingest.max_record_bytes). */
  recordMax: number;
  log?: (line: string) => void;
}

const U64_MAX = 0xffffffffffffffffn;
const QTDIR = 0x80;
const QTAPPEND = 0x40;
/** Treads in flight per read (each answers at most msize − 11 bytes). */
const READ_WINDOW = 8;

interface Live {
  c: P9Client;
  root: number;
  gen: number;
}

export class NineBackend implements Backend {
  private live: Live | null = null;
  private dialling: Promise<Live> | null = null;
  private gen = 0;
  private closing = false;
  private goneWhy: string | null = null;
  private goneCbs: Array<(why: string) => void> = [];
  private perms = new Map<string, { readable: boolean; writable: boolean }>();
  private lastUse = Date.now();
  private readonly timer: NodeJS.Timeout;

  private constructor(private readonly o: NineBackendOptions) {
    this.timer = setInterval(() => void this.keepalive(), Math.max(1000, Math.floor(o.keepaliveMs)));
  }

  get mode(): "fuse" | "mock" {
    return this.o.mode;
  }

  /** Dials and attaches once; a refusal here (bad ticket, nothing listening) fails the mount. */
  static async open(o: NineBackendOptions): Promise<NineBackend> {
    const b = new NineBackend(o);
    try {
      b.live = await b.dial();
    } catch (e) {
      clearInterval(b.timer);
      throw e;
    }
    return b;
  }

  onGone(cb: (why: string) => void): void {
    if (this.goneWhy !== null) cb(this.goneWhy);
    else this.goneCbs.push(cb);
  }

  private async dial(): Promise<Live> {
    const raw = await this.o.connector();
    const pipe: BytePipe = raw;
    const c = new P9Client(pipe, this.o.timeoutMs);
    pipe.onClose((r) => this.lost(c, r));
    try {
      const v = await c.negotiate(8192, "9P2000.L");
      if (v.version !== "9P2000.L") throw new MountError(E.EIO, `the hive does not speak 9P2000.L (${v.version})`);
      const { fid } = await c.attach(this.o.role, this.o.ticket);
      return { c, root: fid, gen: ++this.gen };
    } catch (e) {
      c.end();
      throw e;
    }
  }

  // The connection dropped: re-dial with back-off; if every attempt fails, the hive is gone.
  private lost(c: P9Client, reason: string): void {
    if (this.closing || this.live?.c !== c) return;
    this.live = null;
    this.o.log?.(`[coh][mount] connection lost: ${reason}`);
    void this.session().catch(() => undefined);
  }

  private async redial(): Promise<Live> {
    let delay = this.o.retry.backoffMs;
    let last = "";
    for (let i = 1; i <= this.o.retry.attempts; i++) {
      if (this.closing) break;
      try {
        const l = await this.dial();
        this.o.log?.(`[coh][mount] reconnected (attempt ${i})`);
        return l;
      } catch (e) {
        last = e instanceof Error ? e.message : String(e);
      }
      if (i < this.o.retry.attempts) await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, this.o.retry.ceilingMs);
    }
    this.gone(`the hive went away (${this.o.retry.attempts} reconnect attempts failed: ${last})`);
    throw new MountError(E.EIO, this.goneWhy ?? "hive gone");
  }

  private gone(why: string): void {
    if (this.goneWhy !== null) return;
    this.goneWhy = why;
    for (const cb of this.goneCbs.splice(0)) cb(why);
  }

  private async session(): Promise<Live> {
    this.lastUse = Date.now();
    if (this.goneWhy !== null) throw new MountError(E.EIO, this.goneWhy);
    if (this.live && this.live.c.closed === null) return this.live;
    this.dialling ??= this.redial()
      .then((l) => (this.live = l))
      .finally(() => (this.dialling = null));
    return this.dialling;
  }

  private async keepalive(): Promise<void> {
    const l = this.live;
    if (!l || this.closing || Date.now() - this.lastUse < this.o.keepaliveMs) return;
    try {
      await l.c.rpc("Tgetattr", { fid: l.root, mask: 1n });
      this.lastUse = Date.now();
    } catch (e) {
      // No answer in time: the peer hangs. Drop the connection; lost() re-dials or declares it gone.
      if (e instanceof P9TimeoutError) l.c.end();
    }
  }

  /**
   * Runs `f` on the live session. A connection found lost mid-call is re-dialled and `f` run once
   * more when it is `idempotent` (walks, reads, stats); otherwise — an append, which may have
   * landed — it is EIO. No answer in time is EIO either way.
   */
  private async call<T>(f: (l: Live) => Promise<T>, idempotent = true): Promise<T> {
    const once = async (): Promise<T> => {
      const l = await this.session();
      try {
        return await f(l);
      } catch (e) {
        if (e instanceof P9ClosedError) {
          if (this.live?.c === l.c) this.live = null;
          throw new MountError(E.EIO, `connection lost: ${e.message}`, true);
        }
        if (e instanceof P9TimeoutError) throw new MountError(E.EIO, `no answer: ${e.message}`);
        throw e;
      }
    };
    try {
      return await once();
    } catch (e) {
      if (!(e instanceof MountError && e.retryable && idempotent && !this.closing)) throw e;
      return once();
    }
  }

  private async walk(l: Live, path: string): Promise<number> {
    return (await l.c.walkPath(l.root, path)).fid;
  }

  private clunk(l: Live, fid: number): void {
    // Not awaited: the guest answers in order, so the next request on this session sees it done.
    void l.c.clunk(fid).catch(() => undefined);
  }

  async stat(path: string): Promise<NodeInfo> {
    const attr = await this.call(async (l) => {
      const fid = await this.walk(l, path);
      try {
        return await l.c.rpc("Tgetattr", { fid, mask: 0x7ffn });
      } finally {
        this.clunk(l, fid);
      }
    });
    const kind = kindOf(attr);
    const p = await this.permsOf(path, kind);
    const f = attr.fields;
    return { kind, size: kind === "dir" ? 0 : Number(f.size), mtimeMs: Number(f.mtime_sec) * 1000 + Math.floor(Number(f.mtime_nsec) / 1e6), ...p };
  }

  // What the role may do, asked once per path with Tlopen (a walk only checks the view).
  private async permsOf(path: string, kind: Kind): Promise<{ readable: boolean; writable: boolean }> {
    const known = this.perms.get(path);
    if (known) return known;
    const readable = await this.probe(path, O_RDONLY);
    const writable = kind === "append" ? await this.probe(path, O_WRONLY | O_APPEND) : false;
    const p = { readable, writable };
    this.perms.set(path, p);
    return p;
  }

  private probe(path: string, flags: number): Promise<boolean> {
    return this.call(async (l) => {
      const fid = await this.walk(l, path);
      try {
        await l.c.open(fid, flags);
        return true;
      } catch (e) {
        if (e instanceof P9Error && (e.errno === E.EACCES || e.errno === E.EPERM)) return false;
        throw e;
      } finally {
        this.clunk(l, fid);
      }
    });
  }

  list(path: string): Promise<string[]> {
    return this.call((l) => l.c.ls(l.root, path));
  }

  async openRead(path: string, snapshotMax: number): Promise<ReadHandle> {
    const openFid = async (lv: Live): Promise<number> => {
      const f = await this.walk(lv, path);
      try {
        const r = await lv.c.open(f, O_RDONLY);
        if (r.qid.type & QTDIR) throw new MountError(E.EISDIR, path);
      } catch (e) {
        this.clunk(lv, f);
        throw e;
      }
      return f;
    };
    let l: Live | null = null;
    let fid = -1;
    // Walk, open, one Tread: a file shorter than one reply (most of the namespace) costs three
    // round trips, and that short reply is its end.
    const first = await this.call(async (lv) => {
      l = lv;
      fid = await openFid(lv);
      try {
        return Buffer.from(await lv.c.read(fid, 0, lv.c.msize - 11));
      } catch (e) {
        this.clunk(lv, fid);
        throw e;
      }
    });
    const lv: Live = l!;
    const chunk = lv.c.msize - 11;
    if (first.length < chunk) {
      this.clunk(lv, fid);
      return snapshotHandle(first);
    }
    const same = <T>(f: () => Promise<T>): Promise<T> =>
      this.call(async (now) => {
        if (now.gen !== lv.gen) throw new MountError(E.EIO, `connection re-made while reading ${path}`);
        return f();
      });
    let size: number;
    try {
      size = Number((await same(() => lv.c.rpc("Tgetattr", { fid, mask: 0x7ffn }))).fields.size);
    } catch (e) {
      this.clunk(lv, fid);
      throw e;
    }
    if (size <= snapshotMax) {
      try {
        const parts: Buffer[] = [first];
        let off = first.length;
        // The rest as Tgetattr sized it (pipelined), then on while replies come back full: the file
        // may have grown since (bounded at twice the snapshot bound).
        let want = Math.max(0, size - off);
        for (;;) {
          const n = want > 0 ? want : chunk;
          const got = await same(() => readRange(lv.c, fid, off, n, chunk));
          if (got.length) parts.push(got);
          off += got.length;
          if (got.length < n || off >= 2 * snapshotMax) break;
          want = 0;
        }
        return snapshotHandle(Buffer.concat(parts));
      } finally {
        this.clunk(lv, fid);
      }
    }
    let gen = lv.gen;
    return {
      size,
      read: (off, len) =>
        this.call(async (now) => {
          if (now.gen !== gen) {
            fid = await openFid(now);
            gen = now.gen;
          }
          return readRange(now.c, fid, off, len, now.c.msize - 11);
        }),
      close: async () => {
        if (this.live?.gen === gen) this.clunk(this.live, fid);
      },
    };
  }

  async openAppend(path: string): Promise<AppendHandle> {
    const openFid = (lv: Live): Promise<number> =>
      (async () => {
        const f = await this.walk(lv, path);
        try {
          await lv.c.open(f, O_WRONLY | O_APPEND);
        } catch (e) {
          this.clunk(lv, f);
          throw e;
        }
        return f;
      })();
    let { fid, gen, msize } = await this.call(async (lv) => ({ fid: await openFid(lv), gen: lv.gen, msize: lv.c.msize }));
    return {
      // Twrite header 23 bytes plus the record's newline; and the guest's per-line bound.
      maxRecord: Math.min(msize - 24, this.o.recordMax),
      append: (record) =>
        this.call(async (lv) => {
          if (lv.gen !== gen) {
            fid = await openFid(lv);
            gen = lv.gen;
          }
          await lv.c.write(fid, U64_MAX, record + "\n");
        }, false),
      close: async () => {
        if (this.live?.gen === gen) this.clunk(this.live, fid);
      },
    };
  }

  async statfs(): Promise<FsStats> {
    const f = await this.call((l) => l.c.statfs(l.root));
    return { bsize: Number(f.bsize), namemax: Number(f.namelen) };
  }

  async close(): Promise<void> {
    this.closing = true;
    clearInterval(this.timer);
    this.live?.c.end();
    this.live = null;
  }
}

function kindOf(attr: Message): Kind {
  const t = (attr.fields.qid as { type: number }).type;
  return t & QTDIR ? "dir" : t & QTAPPEND ? "append" : "file";
}

/** `len` bytes from `off` with up to READ_WINDOW Treads in flight; stops at the first short reply. */
async function readRange(c: P9Client, fid: number, off: number, len: number, chunk: number): Promise<Buffer> {
  const out: Buffer[] = [];
  let pos = off;
  const end = off + len;
  while (pos < end) {
    const batch: Array<Promise<Uint8Array>> = [];
    const sizes: number[] = [];
    for (let p = pos; p < end && batch.length < READ_WINDOW; p += chunk) {
      const n = Math.min(chunk, end - p);
      sizes.push(n);
      batch.push(c.read(fid, p, n));
    }
    const parts = await Promise.all(batch);
    for (let i = 0; i < parts.length; i++) {
      out.push(Buffer.from(parts[i]));
      pos += parts[i].length;
      if (parts[i].length < sizes[i]) return Buffer.concat(out);
    }
  }
  return Buffer.concat(out);
}
