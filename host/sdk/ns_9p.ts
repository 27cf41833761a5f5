// `cohsh --transport 9p`: the shell's console wire lines mapped onto Secure9P (docs/SECURE9P.md).
// ATTACH -> Tversion + Tattach (uname = role, aname = ticket), LS -> walk/open/readdir,
// CAT/TAIL -> walk/open/read, ECHO -> walk/open(append)/write; replies are shaped like the
// console's, so the shell, scripts and EXPECT lines work unchanged.

import type { Reply } from "../console/client.js";
import { P9Client, P9Error } from "../p9/client.js";
import { Session, SessionError, type SessionOptions } from "./session.js";

const TAIL_LINES = 64;

export class NineSession extends Session {
  private p9: P9Client | null = null;
  private rootFid = -1;
  private roleName: string | null = null;
  private busy9: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: SessionOptions) {
    super(o);
  }

  override get role(): string | null {
    return this.roleName;
  }

  override get isConnected(): boolean {
    return this.p9 !== null && this.p9.closed === null;
  }

  override async connect(): Promise<void> {
    if (this.isConnected) return;
    const pipe = await this.o.connector();
    const c = new P9Client(pipe, this.o.timeoutMs ?? 5000);
    const v = await c.negotiate(8192, "9P2000.L");
    if (v.version !== "9P2000.L") throw new SessionError(`server does not speak 9P2000.L (${v.version})`);
    this.p9 = c;
    this.rootFid = -1;
    this.roleName = null;
    this.o.log?.(`[cohsh][9p] connected, msize=${v.msize}`);
  }

  override attach(role: string, ticket = ""): Promise<Reply> {
    return this.serial(async () => {
      await this.connect();
      const r = role === "worker" ? "worker-heartbeat" : role;
      try {
        const { fid } = await this.p9!.attach(r, ticket);
        this.rootFid = fid;
        this.roleName = r;
        return { lines: [], ack: `OK ATTACH role=${r}`, ok: true };
      } catch (e) {
        return refusal("ATTACH", e);
      }
    });
  }

  override forgetAttach(): void {
    this.roleName = null;
    this.rootFid = -1;
  }

  override request(line: string): Promise<Reply> {
    return this.serial(() => this.run(line));
  }

  override close(): void {
    this.p9?.end();
    this.p9 = null;
  }

  private serial(f: () => Promise<Reply>): Promise<Reply> {
    const p = this.busy9.then(f, f);
    this.busy9 = p.catch(() => undefined);
    return p;
  }

  private async run(line: string): Promise<Reply> {
    const sp = line.indexOf(" ");
    const verb = (sp < 0 ? line : line.slice(0, sp)).toUpperCase();
    const rest = sp < 0 ? "" : line.slice(sp + 1);
    if (verb === "QUIT") {
      this.close();
      return { lines: [], ack: "OK QUIT", ok: true };
    }
    await this.connect();
    const c = this.p9!;
    if (verb === "PING") return { lines: ["PONG"], ack: "OK PING reply=pong", ok: true };
    if (verb === "ATTACH") {
      const [role, ticket] = rest.split(" ");
      return this.attach(role ?? "", ticket ?? "");
    }
    if (this.rootFid < 0) return { lines: [], ack: `ERR ${verb} reason=policy detail=unauthenticated`, ok: false };
    if (verb === "LOG") return this.run("TAIL /log/queen.log").then((r) => (r.ok ? { ...r, ack: "OK LOG" } : r));
    try {
      if (verb === "LS") {
        const names = await c.ls(this.rootFid, rest);
        return { lines: names, ack: `OK LS path=${rest} entries=${names.length}`, ok: true };
      }
      if (verb === "CAT" || verb === "TAIL") {
        const text = await c.cat(this.rootFid, rest);
        const lines = text.length === 0 ? [] : text.replace(/\n$/, "").split("\n");
        if (verb === "TAIL") return { lines: lines.slice(-TAIL_LINES), ack: `OK TAIL path=${rest}`, ok: true };
        const head = `path=${rest} data=`;
        return { lines, ack: `OK CAT ${head}${lines.join("|").slice(0, 128 - head.length)}`, ok: true };
      }
      if (verb === "ECHO") {
        const i = rest.indexOf(" ");
        const path = i < 0 ? rest : rest.slice(0, i);
        const payload = i < 0 ? "" : rest.slice(i + 1);
        if (!payload) return { lines: [], ack: "ERR PARSE reason=policy detail=missing required argument: payload", ok: false };
        await c.append(this.rootFid, path, payload + "\n");
        return { lines: [], ack: `OK ECHO path=${path} bytes=${Buffer.byteLength(payload)}`, ok: true };
      }
    } catch (e) {
      return refusal(verb, e, rest.split(" ")[0]);
    }
    return { lines: [], ack: `ERR ${verb} reason=policy detail=unsupported over 9p`, ok: false };
  }
}

/** A 9P refusal in the console's ERR grammar: the errno (or classic code) as `error=`. */
function refusal(verb: string, e: unknown, path?: string): Reply {
  if (!(e instanceof P9Error)) throw e;
  const reason = e.code === "EDQUOT" || e.code === "TooBig" ? "quota" : e.code === "EMFILE" || e.code === "EAGAIN" ? "busy" : "policy";
  const where = path ? ` path=${path}` : "";
  return { lines: [], ack: `ERR ${verb} reason=${reason}${where} error=${e.code}`, ok: false };
}
