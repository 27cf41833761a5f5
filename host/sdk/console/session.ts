// One operator session against a Cohesix console: connect, AUTH, ATTACH, requests, silent
// keepalive, and reconnection with back-off that re-sends AUTH and ATTACH without echoing them.

import { MANIFEST } from "../../generated/manifest.js";
import type { Connector } from "../pipe.js";
import { ConsoleClient, ConsoleClosedError, type Reply } from "./client.js";

export type { Connector } from "../pipe.js";

export interface SessionOptions {
  connector: Connector;
  authToken: string;
  /** Label for progress lines: `[<tool>][<name>] …` (tcp, mock, qemu). */
  name?: string;
  /** The tool in progress lines (default "cohsh"). */
  tool?: string;
  /** Where the connector goes (`127.0.0.1:31337`): the connected line names it. */
  endpoint?: string;
  /** Where progress lines go (`[cohsh][tcp] …`); never mixed into command output. */
  log?: (line: string) => void;
  retry?: { maxAttempts: number; backoffMs: number; ceilingMs: number };
  /** Reply timeout per command. */
  timeoutMs?: number;
  /** Idle time after which a silent PING is sent; 0 disables. */
  heartbeatMs?: number;
}

/** The console refused the session (ack set: final, no retry) or the connection broke. */
export class SessionError extends Error {
  override readonly name = "SessionError";
  constructor(
    message: string,
    readonly ack?: string,
  ) {
    super(message);
  }
}

// The manifest's [cohsh] defaults (also in out/cohsh_policy.toml, which cohsh loads hash-pinned).
export const DEFAULT_RETRY = { maxAttempts: MANIFEST.cohsh.retry_max_attempts, backoffMs: MANIFEST.cohsh.retry_backoff_ms, ceilingMs: MANIFEST.cohsh.retry_ceiling_ms };
export const DEFAULT_HEARTBEAT_MS: number = MANIFEST.cohsh.heartbeat_ms;

export class Session {
  private client: ConsoleClient | null = null;
  private attached: { role: string; ticket: string } | null = null;
  private connects = 0;
  private busy: Promise<unknown> = Promise.resolve();
  private keepalive: NodeJS.Timeout | null = null;
  private lastUse = Date.now();
  private closedByUs = false;

  constructor(private readonly opts: SessionOptions) {}

  get role(): string | null {
    return this.attached?.role ?? null;
  }

  private tag(): string {
    return `[${this.opts.tool ?? "cohsh"}][${this.opts.name ?? "tcp"}]`;
  }

  /** How many times this session has (re)connected. */
  get connectCount(): number {
    return this.connects;
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  /** Connects and authenticates (once; later calls reuse the connection). */
  async connect(): Promise<void> {
    if (this.client && this.client.closed === null) return;
    const retry = this.opts.retry ?? DEFAULT_RETRY;
    let delay = retry.backoffMs;
    for (let attempt = 1; ; attempt++) {
      try {
        await this.open();
        return;
      } catch (e) {
        // Refusals by the server (wrong token, lockout) are final; only transport errors retry.
        if (e instanceof SessionError && e.ack) throw e;
        if (attempt >= retry.maxAttempts) throw e instanceof Error ? e : new Error(String(e));
        this.log(`${this.tag()} reconnect attempt #${attempt + 1} in ${delay} ms (${e instanceof Error ? e.message : String(e)})`);
        await new Promise((r) => setTimeout(r, delay));
        delay = Math.min(delay * 2, retry.ceilingMs);
      }
    }
  }

  private async open(): Promise<void> {
    const pipe = await this.opts.connector();
    const client = new ConsoleClient(pipe);
    const auth = await client.request(`AUTH ${this.opts.authToken}`, this.timeout());
    if (!auth.ok) {
      client.close();
      throw new SessionError(`authentication refused: ${auth.ack}`, auth.ack);
    }
    this.client = client;
    this.connects++;
    this.log(`${this.tag()} connected${this.opts.endpoint ? ` to ${this.opts.endpoint}` : ""} (connects=${this.connects})`);
    void client.whenClosed().then((reason) => {
      if (!this.closedByUs && this.client === client) this.log(`${this.tag()} connection lost: ${reason}`);
    });
    if (this.attached) {
      // Silent re-ATTACH after a reconnect: the operator's session carries on.
      const r = await client.request(this.attachLine(this.attached.role, this.attached.ticket), this.timeout());
      if (!r.ok) {
        this.attached = null;
        throw new SessionError(`re-attach refused: ${r.ack}`, r.ack);
      }
    }
    this.armKeepalive();
  }

  private timeout(): number {
    return this.opts.timeoutMs ?? MANIFEST.cohsh.timeout_ms;
  }

  private attachLine(role: string, ticket: string): string {
    // The original's clients send the trailing space when there is no ticket; keep it.
    return `ATTACH ${role} ${ticket}`;
  }

  /** Sends one wire line and returns its reply; reconnects once if the connection had dropped. */
  request(line: string): Promise<Reply> {
    const run = async (): Promise<Reply> => {
      this.lastUse = Date.now();
      await this.connect();
      try {
        return await (this.client as ConsoleClient).request(line, this.timeout());
      } catch (e) {
        if (!(e instanceof ConsoleClosedError)) throw e;
        // The connection died under this command: do not resend (it may have run); report it.
        throw new SessionError(`connection lost during '${line.split(" ")[0]}': ${e.message}`);
      } finally {
        this.lastUse = Date.now();
      }
    };
    const p = this.busy.then(run, run);
    this.busy = p.catch(() => undefined);
    return p;
  }

  async attach(role: string, ticket = ""): Promise<Reply> {
    const r = await this.request(this.attachLine(role, ticket));
    if (r.ok) this.attached = { role, ticket };
    return r;
  }

  forgetAttach(): void {
    this.attached = null;
  }

  private armKeepalive(): void {
    const every = this.opts.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    if (this.keepalive || every <= 0) return;
    this.keepalive = setInterval(() => {
      if (Date.now() - this.lastUse < every || !this.client || this.client.closed !== null) return;
      // The PONG and OK PING of a keepalive are consumed here and never shown.
      const p = this.busy.then(async () => {
        if (this.client && this.client.closed === null) await this.client.request("PING", this.timeout());
        this.lastUse = Date.now();
      });
      this.busy = p.catch(() => undefined);
    }, Math.min(every, 1000));
    this.keepalive.unref();
  }

  /** Closes the connection without QUIT (the caller sends QUIT first if it wants one). */
  close(): void {
    this.closedByUs = true;
    if (this.keepalive) clearInterval(this.keepalive);
    this.keepalive = null;
    this.client?.close();
    this.client = null;
  }

  get isConnected(): boolean {
    return this.client !== null && this.client.closed === null;
  }
}

export const CONSOLE_DEFAULTS = {
  port: MANIFEST.network.console_port,
  token: MANIFEST.console.auth_token,
};
