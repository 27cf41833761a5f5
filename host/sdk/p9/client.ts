// A small 9P2000.L client over a BytePipe (TCP socket or the Node host's loopback): version,
// attach, walk, open, read, write, readdir, getattr, clunk, statfs. Replies are matched by tag;
// a refusal becomes a P9Error carrying the errno (Rlerror) or the classic code and message (Rerror).

import { ERRNO_NAMES as GENERATED_ERRNO_NAMES } from "../../generated/protocol.js";
import { FrameLengthError, LengthPrefixReader, type BytePipe } from "../pipe.js";
import { decode, encode, type Dirent, type Fields, type Message, NOFID, parseDirents, type Qid } from "./codec.js";

export * from "./codec.js";

/** Linux errno value → name (generated from the protocol spec the guest answers with). */
export const ERRNO_NAMES: Readonly<Record<number, string>> = GENERATED_ERRNO_NAMES as unknown as Readonly<Record<number, string>>;

export class P9Error extends Error {
  override readonly name = "P9Error";
  constructor(
    /** Linux errno (0 for a classic Rerror). */
    readonly errno: number,
    /** "EACCES", …, or the classic code ("Permission", …). */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The connection is gone; the message says why ("not 9P: …" when the server spoke something else). */
export class P9ClosedError extends Error {
  override readonly name = "P9ClosedError";
}

/** No reply within the client's timeout (the connection may still be up). */
export class P9TimeoutError extends Error {
  override readonly name = "P9TimeoutError";
}

export interface Attr {
  qid: Qid;
  mode: number;
  size: bigint;
  nlink: bigint;
}

export const O_RDONLY = 0;
export const O_WRONLY = 1;
export const O_RDWR = 2;
export const O_TRUNC = 0o1000;
export const O_APPEND = 0o2000;

export class P9Client {
  // Frames up to msize (+ slack for a server that rounds up) before Tversion, the negotiated msize after.
  private frames = new LengthPrefixReader(7, 8192 + 8192, "9P");
  private waiting = new Map<number, (m: Message) => void>();
  private nextTag = 1;
  private nextFid = 1;
  private closedReason: string | null = null;
  msize = 8192;
  version = "";

  constructor(private readonly pipe: BytePipe, private readonly timeoutMs = 5000) {
    pipe.onData((b) => this.onData(b));
    pipe.onClose((r) => {
      this.closedReason ??= r;
      for (const w of this.waiting.values()) w({ name: "closed", type: -1, tag: -1, fields: {} });
      this.waiting.clear();
    });
  }

  get closed(): string | null {
    return this.closedReason;
  }

  private onData(b: Uint8Array): void {
    let frames: Uint8Array[];
    try {
      frames = this.frames.push(b);
    } catch (e) {
      return this.fail(`not 9P: ${e instanceof FrameLengthError ? e.message : String(e)}`);
    }
    for (const frame of frames) {
      let m: Message;
      try {
        m = decode(frame);
      } catch (e) {
        // Not 9P (e.g. a console reply): callers see why, not just "closed".
        return this.fail(`not 9P: ${e instanceof Error ? e.message : String(e)}`);
      }
      const w = this.waiting.get(m.tag);
      if (w) {
        this.waiting.delete(m.tag);
        w(m);
      }
    }
  }

  private fail(reason: string): void {
    this.closedReason ??= reason;
    this.pipe.end();
    for (const w of this.waiting.values()) w({ name: "closed", type: -1, tag: -1, fields: {} });
    this.waiting.clear();
  }

  /** Sends raw bytes (tests) and waits for the reply carrying `tag`. */
  rawRequest(bytes: Uint8Array, tag: number): Promise<Message> {
    if (this.closedReason !== null) return Promise.reject(new P9ClosedError(this.closedReason));
    return new Promise((res, rej) => {
      const t = setTimeout(() => {
        this.waiting.delete(tag);
        rej(new P9TimeoutError(`no reply to tag ${tag} within ${this.timeoutMs} ms`));
      }, this.timeoutMs);
      this.waiting.set(tag, (m) => {
        clearTimeout(t);
        if (m.type === -1) rej(new P9ClosedError(this.closedReason ?? "closed"));
        else res(m);
      });
      this.pipe.write(bytes);
    });
  }

  /** One request; resolves with the reply or rejects with a P9Error. */
  async rpc(name: string, fields: Fields = {}, tag?: number): Promise<Message> {
    const tg = tag ?? this.allocTag();
    const m = await this.rawRequest(encode(name, tg, fields), tg);
    if (m.name === "Rlerror") {
      const e = m.fields.ecode as number;
      const code = ERRNO_NAMES[e] ?? `errno ${e}`;
      throw new P9Error(e, code, `${name}: ${code}`);
    }
    if (m.name === "Rerror") throw new P9Error(0, m.fields.code, `${name}: ${m.fields.code}: ${m.fields.message}`);
    if (m.name !== "R" + name.slice(1)) throw new Error(`${name}: unexpected reply ${m.name}`);
    return m;
  }

  private allocTag(): number {
    const t = this.nextTag;
    this.nextTag = this.nextTag >= 0xfffe ? 1 : this.nextTag + 1;
    return t;
  }

  allocFid(): number {
    return this.nextFid++;
  }

  async negotiate(msize = 8192, version = "9P2000.L"): Promise<{ msize: number; version: string }> {
    const r = await this.rpc("Tversion", { msize, version }, 0xffff);
    this.msize = r.fields.msize;
    this.version = r.fields.version;
    this.frames.setMax(this.msize + 8192);
    return { msize: this.msize, version: this.version };
  }

  /** Attaches `fid` (a new one by default) as uname with the ticket in aname. */
  async attach(uname: string, ticket: string, fid = this.allocFid()): Promise<{ fid: number; qid: Qid }> {
    const r = await this.rpc("Tattach", { fid, afid: NOFID, uname, aname: ticket, n_uname: NOFID });
    return { fid, qid: r.fields.qid };
  }

  /** Walks `names` from `fid` to a new fid; a partial walk is an ENOENT-like P9Error. */
  async walk(fid: number, names: string[], newfid = this.allocFid()): Promise<{ fid: number; qids: Qid[] }> {
    const r = await this.rpc("Twalk", { fid, newfid, names });
    const qids = r.fields.qids as Qid[];
    if (qids.length !== names.length) throw new P9Error(2, "ENOENT", `walk stopped after ${qids.length} of ${names.length} names`);
    return { fid: newfid, qids };
  }

  /** Walks an absolute path from the attach fid. */
  walkPath(root: number, path: string): Promise<{ fid: number; qids: Qid[] }> {
    return this.walk(root, path.split("/").filter((s) => s.length > 0));
  }

  async open(fid: number, flags = O_RDONLY): Promise<{ qid: Qid; iounit: number }> {
    const r = await this.rpc("Tlopen", { fid, flags });
    return { qid: r.fields.qid, iounit: r.fields.iounit };
  }

  async read(fid: number, offset: bigint | number, count: number): Promise<Uint8Array> {
    const r = await this.rpc("Tread", { fid, offset: BigInt(offset), count });
    return r.fields.data;
  }

  /** Reads a whole file from offset 0, as bytes. */
  async readAllBytes(fid: number): Promise<Uint8Array> {
    const parts: Buffer[] = [];
    let off = 0n;
    for (;;) {
      const d = await this.read(fid, off, this.msize - 24);
      if (d.length === 0) break;
      parts.push(Buffer.from(d));
      off += BigInt(d.length);
    }
    return new Uint8Array(Buffer.concat(parts));
  }

  /** Reads a whole file from offset 0, as UTF-8 text. */
  async readAll(fid: number): Promise<string> {
    return Buffer.from(await this.readAllBytes(fid)).toString("utf8");
  }

  async write(fid: number, offset: bigint | number, data: Uint8Array | string): Promise<number> {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    const r = await this.rpc("Twrite", { fid, offset: BigInt(offset), data: bytes });
    return r.fields.count;
  }

  async readdir(fid: number): Promise<Dirent[]> {
    const out: Dirent[] = [];
    let off = 0n;
    for (;;) {
      const r = await this.rpc("Treaddir", { fid, offset: off, count: this.msize - 11 });
      const ents = parseDirents(r.fields.data);
      if (ents.length === 0) break;
      out.push(...ents);
      off = ents[ents.length - 1].offset;
    }
    return out;
  }

  async getattr(fid: number): Promise<Attr> {
    const r = await this.rpc("Tgetattr", { fid, mask: 0x7ffn });
    return { qid: r.fields.qid, mode: r.fields.mode, size: r.fields.size, nlink: r.fields.nlink };
  }

  async clunk(fid: number): Promise<void> {
    await this.rpc("Tclunk", { fid });
  }

  async statfs(fid: number): Promise<Fields> {
    return (await this.rpc("Tstatfs", { fid })).fields;
  }

  /** Convenience: walk, open, read all, clunk. */
  async catBytes(root: number, path: string): Promise<Uint8Array> {
    const { fid } = await this.walkPath(root, path);
    try {
      await this.open(fid, O_RDONLY);
      return await this.readAllBytes(fid);
    } finally {
      await this.clunk(fid).catch(() => undefined);
    }
  }

  /** Convenience: walk, open, read all as UTF-8, clunk. */
  async cat(root: number, path: string): Promise<string> {
    return Buffer.from(await this.catBytes(root, path)).toString("utf8");
  }

  /** Convenience: walk, open for append, write, clunk. */
  async append(root: number, path: string, text: string): Promise<number> {
    const { fid } = await this.walkPath(root, path);
    try {
      await this.open(fid, O_WRONLY | O_APPEND);
      return await this.write(fid, 0xffffffffffffffffn, text);
    } finally {
      await this.clunk(fid).catch(() => undefined);
    }
  }

  /** Convenience: walk, open, readdir, clunk; names in server order. */
  async ls(root: number, path: string): Promise<string[]> {
    const { fid } = await this.walkPath(root, path);
    try {
      await this.open(fid, O_RDONLY);
      return (await this.readdir(fid)).map((d) => d.name);
    } finally {
      await this.clunk(fid).catch(() => undefined);
    }
  }

  end(): void {
    this.pipe.end();
  }
}
