// The mount's backend through hive-gateway (docs/HIVE_GATEWAY.md). The gateway speaks the console
// (LS, CAT, TAIL, ECHO), which has no stat: a path is a directory when LS lists it, a file when
// LS names only itself and CAT answers, and a file's size is the length of what CAT returns
// (base64, raw bytes). The console cannot say whether a file is append-only either, so files show 0644 and a write to a read-only
// file is refused by the hive at write(2) (EACCES); reads re-fetch on every open. The console's
// CAT of /log/queen.log is a one-line summary, so that file reads as its TAIL (the last
// console.log_lines records). The gateway gone (unreachable after its read retries, polled every
// heartbeat) is the hive gone for this mount.

import { MANIFEST } from "../../generated/manifest.js";
import { consoleRecordMax, NsClosed, NsRefusal } from "../../sdk/ns.js";
import { RestNamespaceClient, type RestOptions } from "../../sdk/rest/index.js";
import { snapshotHandle, type AppendHandle, type Backend, type FsStats, type Kind, type NodeInfo, type ReadHandle } from "./backend.js";
import { E, errnoOf, MountError } from "./errno.js";

export interface RestBackendOptions extends RestOptions {
  /** Kinds are kept this long (coh.mount_entry_ttl_ms). */
  kindTtlMs: number;
  /** Liveness poll of /v1/meta/status (cohsh.heartbeat_ms). */
  pollMs: number;
  log?: (line: string) => void;
}

const QUEEN_LOG = "/log/queen.log";

export class RestBackend implements Backend {
  readonly mode = "rest" as const;
  private readonly ns: RestNamespaceClient;
  private kinds = new Map<string, { kind: Kind; at: number }>();
  private goneWhy: string | null = null;
  private goneCbs: Array<(why: string) => void> = [];
  private readonly timer: NodeJS.Timeout;
  private polling = false;

  private constructor(private readonly o: RestBackendOptions) {
    this.ns = new RestNamespaceClient(o);
    this.timer = setInterval(() => void this.poll(), Math.max(1000, o.pollMs));
  }

  /** Learns the gateway's bounds and checks it admits this caller as the queen. */
  static async open(o: RestBackendOptions): Promise<RestBackend> {
    const b = new RestBackend(o);
    try {
      await b.ns.attach("queen", o.ticket);
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

  private async poll(): Promise<void> {
    if (this.polling || this.goneWhy !== null) return;
    this.polling = true;
    try {
      const r = await this.ns.http.get("/v1/meta/status");
      if (r.status === 0) this.gone(`the gateway went away: ${r.error ?? "unreachable"}`);
    } finally {
      this.polling = false;
    }
  }

  private gone(why: string): void {
    if (this.goneWhy !== null) return;
    this.goneWhy = why;
    for (const cb of this.goneCbs.splice(0)) cb(why);
  }

  private async guard<T>(f: () => Promise<T>): Promise<T> {
    if (this.goneWhy !== null) throw new MountError(E.EIO, this.goneWhy);
    try {
      return await f();
    } catch (e) {
      if (e instanceof NsClosed) {
        void this.poll();
        throw new MountError(E.EIO, e.message);
      }
      if (e instanceof NsRefusal && / detail=too-large/.test(e.line ?? "")) throw new MountError(E.EFBIG, `${e.path ?? ""} is larger than one gateway read`);
      throw e;
    }
  }

  private async kindOf(path: string): Promise<Kind> {
    if (path === "/") return "dir";
    const k = this.kinds.get(path);
    if (k && Date.now() - k.at < this.o.kindTtlMs) return k.kind;
    let kind: Kind;
    try {
      const names = await this.guard(() => this.ns.ls(path));
      kind = "dir";
      // The console's LS of a file lists the file itself; a directory holding only its namesake
      // would read the same, so CAT decides (it refuses a directory).
      const base = path.slice(path.lastIndexOf("/") + 1);
      if (names.length === 1 && names[0] === base) {
        try {
          await this.guard(() => this.ns.readBytes(path));
          kind = "file";
        } catch {
          kind = "dir";
        }
      }
    } catch (e) {
      // LS of a file is refused invalid-path (ENOTDIR/EINVAL): it is a file if CAT answers.
      const n = errnoOf(e);
      if (n !== E.EINVAL && n !== E.ENOTDIR) throw e;
      kind = "file";
    }
    this.kinds.set(path, { kind, at: Date.now() });
    return kind;
  }

  private async bytes(path: string): Promise<Buffer> {
    if (path === QUEEN_LOG) {
      const lines = await this.guard(() => this.ns.tail(path));
      return Buffer.from(lines.length ? lines.join("\n") + "\n" : "");
    }
    return Buffer.from(await this.guard(() => this.ns.readBytes(path)));
  }

  async stat(path: string): Promise<NodeInfo> {
    const kind = await this.kindOf(path);
    if (kind === "dir") return { kind, size: 0, mtimeMs: Date.now(), readable: true, writable: false };
    const size = (await this.bytes(path)).length;
    return { kind, size, mtimeMs: Date.now(), readable: true, writable: true };
  }

  list(path: string): Promise<string[]> {
    return this.guard(() => this.ns.ls(path));
  }

  async openRead(path: string, snapshotMax: number): Promise<ReadHandle> {
    if ((await this.kindOf(path)) === "dir") throw new MountError(E.EISDIR, path);
    const b = await this.bytes(path);
    if (b.length > Math.max(snapshotMax, this.ns.maxRead)) throw new MountError(E.EFBIG, `${path}: ${b.length} bytes`);
    return snapshotHandle(b);
  }

  async openAppend(path: string): Promise<AppendHandle> {
    if ((await this.kindOf(path)) === "dir") throw new MountError(E.EISDIR, path);
    return {
      // One console ECHO carries the record (the gateway's echo bound, or a host ticket's line).
      maxRecord: Math.max(this.ns.caps.maxRecord, consoleRecordMax(path)),
      append: async (record) => {
        await this.guard(() => this.ns.append(path, record));
      },
      close: async () => {},
    };
  }

  async statfs(): Promise<FsStats> {
    return { bsize: 4096, namemax: MANIFEST.namespace.component_max };
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.ns.close();
  }
}
