// NamespaceClient over Secure9P (docs/SECURE9P.md): attach = Tversion + Tattach (uname = role,
// aname = ticket), ls = walk/open/readdir, read = walk/open/read, append = walk/open(append)/write.
// A dropped connection is re-opened and re-attached on the next call, as the console session does.

import { MANIFEST } from "../generated/manifest.js";
import { ERRORS } from "../generated/protocol.js";
import { checkRecord, followByPolling, NsClosed, NsRefusal, NsTimeout, type AppendResult, type FollowOptions, type NamespaceClient, type NsCaps } from "./ns.js";
import { FOLLOW_POLL_MS } from "./ns_console.js";
import { O_APPEND, O_WRONLY, P9ClosedError, P9Client, P9Error, P9TimeoutError } from "./p9/client.js";
import type { Connector } from "./pipe.js";
import { parseRole } from "./ticket/index.js";

export interface NineOptions {
  connector: Connector;
  /** Reply timeout per message. */
  timeoutMs?: number;
  msize?: number;
  log?: (line: string) => void;
  /** Label for progress lines: `[<tool>][9p] …`. */
  tool?: string;
}

// Twrite: size[4] type[1] tag[2] fid[4] offset[8] count[4]; plus the record's "\n".
const TWRITE_HEADER = 23 + 1;

export class NineNamespace implements NamespaceClient {
  private p9: P9Client | null = null;
  private rootFid = -1;
  private attached: { role: string; ticket: string } | null = null;
  private opening: Promise<P9Client> | null = null;
  caps: NsCaps = { protocol: "9p", maxRecord: 8192 - TWRITE_HEADER, binary: true, concurrent: true };

  constructor(private readonly o: NineOptions) {}

  get role(): string | null {
    return this.rootFid >= 0 ? (this.attached?.role ?? null) : null;
  }

  get isConnected(): boolean {
    return this.p9 !== null && this.p9.closed === null;
  }

  /** Opens (or re-opens) the connection; re-attaches silently when an attach was made before. */
  async connect(): Promise<P9Client> {
    if (this.p9 && this.p9.closed === null) return this.p9;
    this.opening ??= this.open().finally(() => (this.opening = null));
    return this.opening;
  }

  private async open(): Promise<P9Client> {
    const pipe = await this.o.connector();
    const c = new P9Client(pipe, this.o.timeoutMs ?? 5000);
    let v: { msize: number; version: string };
    try {
      v = await c.negotiate(this.o.msize ?? 8192, "9P2000.L");
    } catch (e) {
      c.end();
      throw e instanceof P9ClosedError ? new NsClosed(`9P version negotiation failed: ${e.message}`) : e;
    }
    if (v.version !== "9P2000.L") {
      c.end();
      throw new NsClosed(`server does not speak 9P2000.L (${v.version})`);
    }
    this.p9 = c;
    this.rootFid = -1;
    this.caps = { ...this.caps, maxRecord: v.msize - TWRITE_HEADER };
    this.o.log?.(`[${this.o.tool ?? "cohsh"}][9p] connected, msize=${v.msize}`);
    if (this.attached) {
      const { fid } = await this.call("Tattach", undefined, () => c.attach(this.attached!.role, this.attached!.ticket));
      this.rootFid = fid;
    }
    return c;
  }

  async attach(role: string, ticket = ""): Promise<void> {
    const c = await this.connect();
    const r = parseRole(role) ?? role;
    const { fid } = await this.call("Tattach", undefined, () => c.attach(r, ticket));
    this.rootFid = fid;
    this.attached = { role: r, ticket };
  }

  /** Forgets the attach (the next call needs attach() again) without closing the connection. */
  forgetAttach(): void {
    this.attached = null;
    this.rootFid = -1;
  }

  private async root(op: string, _path: string): Promise<{ c: P9Client; fid: number }> {
    const c = await this.connect();
    // Refused here, before any message: no fid to walk from (the console says the same words).
    if (this.rootFid < 0) throw new NsRefusal({ op, reason: "policy", detail: "not-attached", httpStatus: 401 });
    return { c, fid: this.rootFid };
  }

  private async call<T>(op: string, path: string | undefined, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      if (e instanceof P9Error) throw refusal(op, e, path);
      if (e instanceof P9ClosedError) throw new NsClosed(`connection lost during ${op}: ${e.message}`);
      if (e instanceof P9TimeoutError) throw new NsTimeout(`${op}${path ? " " + path : ""}: ${e.message}`);
      throw e;
    }
  }

  async ls(path: string): Promise<string[]> {
    const { c, fid } = await this.root("LS", path);
    return this.call("LS", path, () => c.ls(fid, path));
  }

  async readBytes(path: string): Promise<Uint8Array> {
    const { c, fid } = await this.root("CAT", path);
    return this.call("CAT", path, () => c.catBytes(fid, path));
  }

  async read(path: string): Promise<string[]> {
    const text = Buffer.from(await this.readBytes(path)).toString("utf8");
    return text.length === 0 ? [] : text.replace(/\n$/, "").split("\n");
  }

  async append(path: string, record: string): Promise<AppendResult> {
    checkRecord(record, this.caps.maxRecord, path);
    const { c, fid } = await this.root("ECHO", path);
    await this.call("ECHO", path, () => c.append(fid, path, record + "\n"));
    return { bytes: Buffer.byteLength(record) };
  }

  /**
   * Raw bytes appended to a file that takes them (update chunks and manifests): one open, Twrites
   * of up to msize, each at the end (offset u64::MAX). Not retried: a cut mid-way leaves the guest
   * with a prefix, which its status reports and a re-run continues from.
   */
  async appendBytes(path: string, data: Uint8Array, onWrite?: (n: number) => void): Promise<AppendResult> {
    const { c, fid } = await this.root("ECHO", path);
    return this.call("ECHO", path, async () => {
      const { fid: f } = await c.walkPath(fid, path);
      try {
        await c.open(f, O_WRONLY | O_APPEND);
        for (let off = 0; off < data.length; off += this.caps.maxRecord) {
          const piece = data.subarray(off, Math.min(data.length, off + this.caps.maxRecord));
          const n = await c.write(f, 0xffffffffffffffffn, piece);
          if (n !== piece.length) throw new NsClosed(`short write to ${path}: ${n} of ${piece.length} bytes`);
          onWrite?.(n);
        }
      } finally {
        await c.clunk(f).catch(() => undefined);
      }
      return { bytes: data.length };
    });
  }

  /** What one console TAIL shows: the last console.log_lines lines. */
  async tail(path: string): Promise<string[]> {
    const { c, fid } = await this.root("TAIL", path);
    const bytes = await this.call("TAIL", path, () => c.catBytes(fid, path));
    const text = Buffer.from(bytes).toString("utf8");
    const lines = text.length === 0 ? [] : text.replace(/\n$/, "").split("\n");
    return lines.slice(-MANIFEST.console.log_lines);
  }

  follow(path: string, opts: FollowOptions): Promise<void> {
    return followByPolling(() => this.tail(path), opts, FOLLOW_POLL_MS);
  }

  async close(): Promise<void> {
    this.p9?.end();
    this.p9 = null;
    this.rootFid = -1;
  }
}

/** A 9P refusal as an NsRefusal: the errno name as the detail, the console reason it stands for. */
export function refusal(op: string, e: P9Error, path?: string): NsRefusal {
  // The error vocabulary gives each errno's console reason (EDQUOT quota, EBUSY busy, …); a
  // classic Rerror carries its word, TooBig being the quota one.
  const row = ERRORS.find((x) => x.errno === e.code);
  const reason = row ? row.reason : e.code === "EMSGSIZE" || e.code === "TooBig" ? "quota" : e.code === "EMFILE" || e.code === "EAGAIN" || e.code === "Busy" ? "busy" : "policy";
  return new NsRefusal({ op, reason, detail: e.code, path, errno: e.errno || undefined, errnoName: e.code });
}
