// A pool of console sessions for callers that want concurrency over the console protocol (the
// console has no tags: one session answers one request at a time). Each session reconnects and
// re-attaches on its own; attach() applies to every member, so all of them act as one role.

import { MANIFEST } from "../../generated/manifest.js";
import { followByPolling, type AppendResult, type FollowOptions, type NamespaceClient, type NsCaps } from "../ns.js";
import { ConsoleNamespace, FOLLOW_POLL_MS } from "../ns_console.js";
import { Session, type SessionOptions } from "./session.js";

export interface PoolOptions extends SessionOptions {
  /** Sessions in the pool; the guest admits console.max_sessions at once. */
  size: number;
}

/** NamespaceClient over several console sessions: calls run on whichever member is free. */
export class ConsolePool implements NamespaceClient {
  readonly caps: NsCaps = { protocol: "console", maxRecord: MANIFEST.console.echo_max, binary: false, concurrent: true };
  private readonly members: ConsoleNamespace[];
  private idle: ConsoleNamespace[];
  private waiters: Array<(m: ConsoleNamespace) => void> = [];

  constructor(opts: PoolOptions) {
    if (!Number.isInteger(opts.size) || opts.size < 1 || opts.size > MANIFEST.console.max_sessions) {
      throw new RangeError(`pool size must be 1..${MANIFEST.console.max_sessions} (console.max_sessions), got ${opts.size}`);
    }
    this.members = Array.from({ length: opts.size }, () => new ConsoleNamespace(new Session(opts)));
    this.idle = [...this.members];
  }

  get size(): number {
    return this.members.length;
  }

  get role(): string | null {
    return this.members[0].role;
  }

  /** Runs `f` on a free member (waiting for one); the member is returned whatever `f` does. */
  async with<T>(f: (ns: ConsoleNamespace) => Promise<T>): Promise<T> {
    const m = this.idle.pop() ?? (await new Promise<ConsoleNamespace>((res) => this.waiters.push(res)));
    try {
      return await f(m);
    } finally {
      const w = this.waiters.shift();
      if (w) w(m);
      else this.idle.push(m);
    }
  }

  async attach(role: string, ticket = ""): Promise<void> {
    // Every member must be attached; the first refusal is the answer.
    await Promise.all(this.members.map((m) => m.attach(role, ticket)));
  }

  ls(path: string): Promise<string[]> {
    return this.with((m) => m.ls(path));
  }

  read(path: string): Promise<string[]> {
    return this.with((m) => m.read(path));
  }

  readBytes(path: string): Promise<Uint8Array> {
    return this.with((m) => m.readBytes(path));
  }

  append(path: string, record: string): Promise<AppendResult> {
    return this.with((m) => m.append(path, record));
  }

  tail(path: string): Promise<string[]> {
    return this.with((m) => m.tail(path));
  }

  follow(path: string, opts: FollowOptions): Promise<void> {
    return followByPolling(() => this.tail(path), opts, FOLLOW_POLL_MS);
  }

  async close(): Promise<void> {
    await Promise.all(this.members.map((m) => m.close()));
  }
}
