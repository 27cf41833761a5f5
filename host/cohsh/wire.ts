// The console wire lines the shell speaks, carried either by a console Session (as they are) or
// by any NamespaceClient (9P, REST), which answers them with the console's grammar rendered from
// typed results (host/sdk/console/grammar.ts), so output and EXPECTs do not depend on the protocol.

import { MANIFEST } from "../generated/manifest.js";
import { render, type Reply } from "../sdk/console/grammar.js";
import type { Session } from "../sdk/console/session.js";
import { NsClosed, NsRefusal, NsTimeout, type NamespaceClient } from "../sdk/ns.js";
import { ConsoleNamespace } from "../sdk/ns_console.js";

export interface Wire {
  readonly role: string | null;
  readonly isConnected: boolean;
  /** The same connection as a NamespaceClient (telemetry push, tools). */
  readonly ns: NamespaceClient;
  /** "console", "9p" or "rest". */
  readonly protocol: string;
  connect(): Promise<void>;
  request(line: string): Promise<Reply>;
  attach(role: string, ticket?: string): Promise<Reply>;
  forgetAttach(): void;
  close(): void;
}

/** The console: lines go out as typed. */
export class ConsoleWire implements Wire {
  readonly ns: ConsoleNamespace;
  readonly protocol = "console";
  constructor(readonly session: Session) {
    this.ns = new ConsoleNamespace(session);
  }
  get role(): string | null {
    return this.session.role;
  }
  get isConnected(): boolean {
    return this.session.isConnected;
  }
  connect(): Promise<void> {
    return this.session.connect();
  }
  request(line: string): Promise<Reply> {
    return this.session.request(line);
  }
  attach(role: string, ticket?: string): Promise<Reply> {
    return this.session.attach(role, ticket);
  }
  forgetAttach(): void {
    this.session.forgetAttach();
  }
  close(): void {
    this.session.close();
  }
}

const QUEEN_LOG = "/log/queen.log";

export interface NsWireTarget extends NamespaceClient {
  connect?(): Promise<unknown>;
  forgetAttach?(): void;
  readonly isConnected?: boolean;
}

/** Raw bytes per `b64:` line of a binary file's console view (the guest's B64_CHUNK). */
const B64_CHUNK = 48;

/**
 * Whether bytes read over 9P/REST are what the console shows as a binary file (`b64:` lines):
 * not UTF-8, or control bytes other than tab/CR/LF. The console knows the file's kind; these
 * protocols hand over bytes, so this is the one place a judgement is made (docs/COHSH.md).
 */
export function looksBinary(b: Uint8Array): boolean {
  for (const x of b) if (x < 0x20 && x !== 0x09 && x !== 0x0a && x !== 0x0d) return true;
  try {
    new TextDecoder("utf-8", { fatal: true }).decode(b);
    return false;
  } catch {
    return true;
  }
}

/** Any NamespaceClient answering console lines. */
export class NsWire implements Wire {
  /** Records this wire appended to the queen log: the console's CAT summary prefers echoed records. */
  private echoedToLog: string[] = [];

  constructor(readonly ns: NsWireTarget) {}

  get protocol(): string {
    return this.ns.caps.protocol;
  }
  get role(): string | null {
    return this.ns.role;
  }
  get isConnected(): boolean {
    return this.ns.isConnected ?? true;
  }
  async connect(): Promise<void> {
    await this.ns.connect?.();
  }
  forgetAttach(): void {
    this.ns.forgetAttach?.();
  }
  close(): void {
    void this.ns.close();
  }

  async attach(role: string, ticket = ""): Promise<Reply> {
    return this.answer("ATTACH", undefined, async () => {
      await this.ns.attach(role, ticket);
      return render.attach(this.ns.role ?? role);
    });
  }

  request(line: string): Promise<Reply> {
    const sp = line.indexOf(" ");
    const verb = (sp < 0 ? line : line.slice(0, sp)).toUpperCase();
    const rest = sp < 0 ? "" : line.slice(sp + 1);
    const path = rest.split(" ")[0];
    switch (verb) {
      case "QUIT":
        this.close();
        return Promise.resolve(render.quit());
      case "PING":
        return this.answer("PING", undefined, async () => {
          await this.ns.connect?.();
          return render.ping();
        });
      case "ATTACH": {
        const [role, ticket] = rest.split(" ");
        return this.attach(role ?? "", ticket ?? "");
      }
      case "LS":
        return this.answer("LS", path, async () => render.ls(rest, await this.ns.ls(rest)));
      case "CAT":
        return this.answer("CAT", path, async () => {
          if (rest === QUEEN_LOG) {
            // A summary only (docs/CONSOLE.md), built like the guest's: echoed records first.
            const lines = await this.ns.read(rest);
            const echoed = lines.filter((l) => this.echoedToLog.includes(l));
            return render.cat(rest, lines, false, (echoed.length ? echoed : lines).join("|"));
          }
          const bytes = await this.ns.readBytes(rest);
          if (this.ns.caps.binary && looksBinary(bytes)) {
            const b64: string[] = [];
            for (let i = 0; i < bytes.length; i += B64_CHUNK) b64.push("b64:" + Buffer.from(bytes.subarray(i, i + B64_CHUNK)).toString("base64"));
            return render.cat(rest, b64, true, `bytes=${bytes.length} encoding=b64`);
          }
          const text = Buffer.from(bytes).toString("utf8");
          return render.cat(rest, text.length === 0 ? [] : text.replace(/\n$/, "").split("\n"));
        });
      case "TAIL":
        return this.answer("TAIL", path, async () => render.tail(rest, await this.ns.tail(rest)));
      case "LOG":
        return this.answer("LOG", QUEEN_LOG, async () => render.log(await this.ns.tail(QUEEN_LOG)));
      case "ECHO": {
        const i = rest.indexOf(" ");
        const p = i < 0 ? rest : rest.slice(0, i);
        const payload = i < 0 ? "" : rest.slice(i + 1);
        if (!payload) return Promise.resolve({ lines: [], ack: "ERR PARSE reason=policy detail=missing required argument: payload", ok: false });
        return this.answer("ECHO", p, async () => {
          const r = await this.ns.append(p, payload);
          if (p === QUEEN_LOG) this.echoedToLog = [...this.echoedToLog, payload].slice(-MANIFEST.namespace.queen_log_lines);
          return render.echo(p, r.bytes);
        });
      }
    }
    return Promise.resolve({ lines: [], ack: `ERR ${verb} reason=policy detail=unsupported over ${this.protocol}`, ok: false });
  }

  private async answer(verb: string, path: string | undefined, f: () => Promise<Reply>): Promise<Reply> {
    try {
      return await f();
    } catch (e) {
      if (e instanceof NsRefusal) return render.refused(verb, e);
      // Over REST every command is its own request: a gateway that is down (or slow) fails this
      // one command, in the console's grammar, and the shell carries on. A lost TCP or 9P
      // connection still throws, so the shell's reconnect policy runs.
      if (this.protocol === "rest" && e instanceof NsClosed) {
        const detail = e instanceof NsTimeout ? "reason=timeout detail=gateway-timeout" : "reason=cut detail=gateway-unreachable";
        return { lines: [], ack: `ERR ${verb} ${detail} error=${e.message}`, ok: false };
      }
      throw e;
    }
  }
}
