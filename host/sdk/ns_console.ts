// NamespaceClient over the console protocol: LS, CAT, TAIL and ECHO on one Session (which
// reconnects and silently re-attaches). Refusals are the console's own ERR lines, parsed into
// NsRefusal with the original line kept, so a tool can still print exactly what the guest said.

import { MANIFEST } from "../generated/manifest.js";
import { type Reply, refusalOf } from "./console/grammar.js";
import { ConsoleClosedError, ConsoleTimeoutError } from "./console/client.js";
import { SessionError, type Session } from "./console/session.js";
import { checkRecord, consoleRecordMax, followByPolling, NsClosed, NsTimeout, type AppendResult, type FollowOptions, type NamespaceClient, type NsCaps } from "./ns.js";

/** The file whose CAT carries only a `data=` summary (docs/CONSOLE.md); read() tails it instead. */
const QUEEN_LOG = "/log/queen.log";

/** How often follow() re-polls (the manifest's cohsh.tail_poll_ms, the original's cadence). */
export const FOLLOW_POLL_MS: number = MANIFEST.cohsh.tail_poll_ms;

/** The session's transport errors in the SDK's words (a refusal by the server stays a refusal). */
async function io<T>(f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (e instanceof ConsoleTimeoutError) throw new NsTimeout(e.message);
    if (e instanceof SessionError && e.ack) throw refusalOf(e.ack);
    if (e instanceof SessionError || e instanceof ConsoleClosedError) throw new NsClosed(e.message);
    throw e;
  }
}

export class ConsoleNamespace implements NamespaceClient {
  readonly caps: NsCaps = { protocol: "console", maxRecord: MANIFEST.console.echo_max, binary: false, concurrent: false };

  constructor(readonly session: Session) {}

  get role(): string | null {
    return this.session.role;
  }

  /** One console line; an ERR becomes an NsRefusal. For verbs outside the interface (PING, LOG…). */
  async request(line: string): Promise<Reply> {
    const r = await io(() => this.session.request(line));
    if (!r.ok) throw refusalOf(r.ack);
    return r;
  }

  async attach(role: string, ticket = ""): Promise<void> {
    const r = await io(() => this.session.attach(role, ticket));
    if (!r.ok) throw refusalOf(r.ack);
  }

  async ls(path: string): Promise<string[]> {
    return (await this.request(`LS ${path}`)).lines;
  }

  async read(path: string): Promise<string[]> {
    if (path === QUEEN_LOG) return this.tail(path);
    return (await this.request(`CAT ${path}`)).lines;
  }

  /**
   * The console is line-oriented: a binary file's CAT is `b64:` lines (48 bytes each), which
   * this decodes; any other file comes back as its lines joined with "\n" (plus a final one).
   */
  async readBytes(path: string): Promise<Uint8Array> {
    const lines = await this.read(path);
    if (lines.length > 0 && lines.every((l) => l.startsWith("b64:"))) return new Uint8Array(Buffer.concat(lines.map((l) => Buffer.from(l.slice(4), "base64"))));
    return new Uint8Array(Buffer.from(lines.length ? lines.join("\n") + "\n" : "", "utf8"));
  }

  async append(path: string, record: string): Promise<AppendResult> {
    checkRecord(record, Math.max(this.caps.maxRecord, consoleRecordMax(path)), path);
    const r = await this.request(`ECHO ${path} ${record}`);
    const m = / bytes=(\d+)/.exec(r.ack);
    return { bytes: m ? Number(m[1]) : Buffer.byteLength(record) };
  }

  async tail(path: string): Promise<string[]> {
    return (await this.request(`TAIL ${path}`)).lines;
  }

  follow(path: string, opts: FollowOptions): Promise<void> {
    return followByPolling(() => this.tail(path), opts, FOLLOW_POLL_MS);
  }

  async close(): Promise<void> {
    if (this.session.isConnected) await this.session.request("QUIT").catch(() => undefined);
    this.session.close();
  }
}
