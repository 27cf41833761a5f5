// One upstream console session of the gateway's pool: connect, AUTH, ATTACH with the gateway's
// role, one command at a time, silent keepalive, and a connection manager that re-attaches with
// back-off whenever the guest goes away (a reboot, a cut, a stale reply after a timeout).
//
// Why console sessions (not 9P) in the pool: the console's OK/ERR acknowledgements are what
// cohsh scripts EXPECT on, and the gateway hands them back verbatim (`ack`), so a transcript over
// REST is byte-identical to one over TCP. 9P would force the gateway to invent those lines.

import { ConsoleClient, ConsoleClosedError, ConsoleTimeoutError } from "../sdk/console/client.js";
import type { Connector } from "../sdk/pipe.js";

export type { Connector };

export interface UpstreamReply {
  lines: string[];
  ack: string;
  ok: boolean;
}

/**
 * `down`: nothing was sent (safe to retry anything). `lost` / `timeout`: the line went out and no
 * acknowledgement came back, so a write may or may not have happened.
 */
export type UpstreamFailure = "down" | "lost" | "timeout";

export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly kind: UpstreamFailure,
  ) {
    super(message);
  }
  get sent(): boolean {
    return this.kind !== "down";
  }
}

export interface UpstreamOptions {
  connector: Connector;
  authToken: string;
  role: string;
  ticket: string;
  timeoutMs: number;
  heartbeatMs: number;
  backoffMs: number;
  ceilingMs: number;
  name: string;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  onState?: () => void;
}

export type UpstreamState = "down" | "connecting" | "up";

export class UpstreamSession {
  state: UpstreamState = "down";
  connects = 0;
  reconnects = 0;
  lastError: string | null = null;
  lastChangeMs = Date.now();
  private client: ConsoleClient | null = null;
  private stopped = false;
  private chain: Promise<unknown> = Promise.resolve();
  /** Set by the broker while a job holds this session. */
  leased = false;
  private lastUse = Date.now();
  private keepalive: NodeJS.Timeout | null = null;
  private wakeManager: (() => void) | null = null;
  private loop: Promise<void> | null = null;

  constructor(private readonly o: UpstreamOptions) {}

  get idle(): boolean {
    return this.state === "up" && !this.leased;
  }

  start(): void {
    if (this.loop) return;
    this.loop = this.manage();
    if (this.o.heartbeatMs > 0) {
      this.keepalive = setInterval(() => void this.ping(), Math.min(this.o.heartbeatMs, 1000));
      this.keepalive.unref();
    }
  }

  /** Resolves once the session is up (or rejects after `ms`). */
  async waitUp(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (this.state !== "up") {
      if (Date.now() > deadline) throw new Error(`upstream ${this.o.name} not up after ${ms} ms: ${this.lastError ?? "connecting"}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  private setState(s: UpstreamState, err?: string): void {
    if (err !== undefined) this.lastError = err;
    if (s === this.state) return;
    this.state = s;
    this.lastChangeMs = Date.now();
    this.o.onState?.();
  }

  private async manage(): Promise<void> {
    let delay = this.o.backoffMs;
    while (!this.stopped) {
      this.setState("connecting");
      try {
        const client = await this.open();
        if (this.stopped) {
          client.close();
          break;
        }
        this.client = client;
        this.connects++;
        delay = this.o.backoffMs;
        this.setState("up");
        this.o.log?.("upstream attached", { session: this.o.name, connects: this.connects });
        const reason = await Promise.race([client.whenClosed(), new Promise<string>((r) => (this.wakeManager = () => r("stopped")))]);
        this.client = null;
        if (this.stopped) break;
        this.reconnects++;
        this.setState("down", `connection lost: ${reason}`);
        this.o.log?.("upstream lost", { session: this.o.name, reason });
      } catch (e) {
        this.reconnects++;
        this.setState("down", e instanceof Error ? e.message : String(e));
      }
      if (this.stopped) break;
      await new Promise<void>((r) => {
        const t = setTimeout(r, delay);
        this.wakeManager = () => {
          clearTimeout(t);
          r();
        };
      });
      delay = Math.min(delay * 2, this.o.ceilingMs);
    }
    this.setState("down");
  }

  private async open(): Promise<ConsoleClient> {
    const client = new ConsoleClient(await this.o.connector());
    try {
      const auth = await client.request(`AUTH ${this.o.authToken}`, this.o.timeoutMs);
      if (!auth.ok) throw new Error(`upstream AUTH refused: ${auth.ack}`);
      // The trailing space when there is no ticket is what the original's clients send.
      const att = await client.request(`ATTACH ${this.o.role} ${this.o.ticket}`, this.o.timeoutMs);
      if (!att.ok) throw new Error(`upstream ATTACH refused: ${att.ack}`);
      return client;
    } catch (e) {
      client.close();
      throw e;
    }
  }

  /** Sends one line and gathers its reply; lines are serialised per session (keepalive included). */
  request(line: string): Promise<UpstreamReply> {
    const run = (): Promise<UpstreamReply> => this.send(line);
    const p = this.chain.then(run, run);
    this.chain = p.catch(() => undefined);
    return p;
  }

  private async send(line: string): Promise<UpstreamReply> {
    const client = this.client;
    if (this.state !== "up" || !client || client.closed !== null) throw new UpstreamError(`gateway transport unavailable: upstream ${this.o.name} is not connected (${this.lastError ?? "connecting"})`, "down");
    this.lastUse = Date.now();
    try {
      return await client.request(line, this.o.timeoutMs);
    } catch (e) {
      if (e instanceof ConsoleTimeoutError) {
        // A late reply would be taken for the next command's: drop the connection and re-attach.
        client.close();
        throw new UpstreamError(`gateway timeout: no upstream reply within ${this.o.timeoutMs} ms`, "timeout");
      }
      if (e instanceof ConsoleClosedError) throw new UpstreamError(`upstream connection lost during ${line.split(" ")[0]}: ${e.message}`, "lost");
      throw e;
    } finally {
      this.lastUse = Date.now();
    }
  }

  private async ping(): Promise<void> {
    if (this.state !== "up" || this.leased || Date.now() - this.lastUse < this.o.heartbeatMs) return;
    try {
      await this.request("PING");
    } catch {
      // The manager sees the close and reconnects; nothing to report per ping.
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.keepalive) clearInterval(this.keepalive);
    this.client?.close();
    this.wakeManager?.();
    await this.loop;
  }
}
