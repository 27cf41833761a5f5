// Console lines over REST: cohsh's Shell sends the same wire lines it sends on TCP (`CAT /p`,
// `ECHO /p text`, `ATTACH queen`, …) and gets the same replies back, because the gateway returns
// the console's own acknowledgement (`ack`) with every answer. So a `.coh` transcript over
// `--transport rest` is byte-identical to one over the TCP console. Failures of the gateway
// itself become ERR lines in the console's grammar, one per command; the session carries on.

import { RestNamespaceClient, RestRefusal, refusal, type GatewayBody, type RestOptions } from "./client.js";

export interface Reply {
  lines: string[];
  ack: string;
  ok: boolean;
}

const NEEDS_ATTACH = new Set(["LS", "CAT", "TAIL", "ECHO", "LOG"]);

function splitVerb(line: string): [string, string] {
  const i = line.indexOf(" ");
  return i < 0 ? [line, ""] : [line.slice(0, i), line.slice(i + 1)];
}

function errLine(verb: string, e: RestRefusal): string {
  if (e.body?.ack?.startsWith("ERR ")) return e.body.ack;
  const detail = e.status === 0 ? "gateway-unreachable" : `http-${e.status}`;
  return `ERR ${verb} reason=${e.reason} detail=${detail}${e.uncertain ? " uncertain=true" : ""} error=${e.detail}`;
}

export class RestConsoleSession {
  readonly ns: RestNamespaceClient;
  private attached: string | null = null;

  constructor(o: RestOptions) {
    this.ns = new RestNamespaceClient(o);
  }

  get role(): string | null {
    return this.attached;
  }

  get isConnected(): boolean {
    return true;
  }

  /** Nothing to open: each command is its own HTTP request. */
  async connect(): Promise<void> {}

  async attach(role: string, ticket = ""): Promise<Reply> {
    const r = await this.request(`ATTACH ${role} ${ticket}`);
    return r;
  }

  forgetAttach(): void {
    this.attached = null;
  }

  close(): void {
    this.attached = null;
  }

  async request(line: string): Promise<Reply> {
    const [word, rest] = splitVerb(line.trim());
    const verb = word.toUpperCase();
    if (NEEDS_ATTACH.has(verb) && this.attached === null) {
      const ack = `ERR ${verb} reason=policy detail=unauthenticated`;
      return { lines: [], ack, ok: false };
    }
    try {
      switch (verb) {
        case "PING": {
          const st = await this.ns.http.get("/v1/meta/status");
          if (st.status !== 200) throw refusal(st);
          return { lines: ["PONG"], ack: "OK PING reply=pong", ok: true };
        }
        case "ATTACH": {
          const [role, ticket] = splitVerb(rest);
          const want = role.toLowerCase() === "worker" ? "worker-heartbeat" : role.toLowerCase();
          await this.ns.attach(want, ticket.trim() || undefined);
          this.attached = want;
          return { lines: [], ack: `OK ATTACH role=${want}`, ok: true };
        }
        case "QUIT":
          this.attached = null;
          return { lines: [], ack: "OK QUIT", ok: true };
        case "LS":
          return await this.stream("LS", `/v1/fs/ls?path=${encodeURIComponent(rest)}`, rest);
        case "CAT":
          return await this.stream("CAT", `/v1/fs/cat?path=${encodeURIComponent(rest)}&max_bytes=${this.ns.maxRead}`, rest);
        case "TAIL":
          return await this.stream("TAIL", `/v1/fs/tail?path=${encodeURIComponent(rest)}&max_bytes=${this.ns.maxRead}`, rest);
        case "LOG": {
          const r = await this.stream("TAIL", `/v1/fs/tail?path=${encodeURIComponent("/log/queen.log")}&max_bytes=${this.ns.maxRead}`, "/log/queen.log");
          return r.ok ? { ...r, ack: "OK LOG" } : r;
        }
        case "ECHO": {
          const [path, text] = splitVerb(rest);
          const r = await this.ns.http.post("/v1/fs/echo", { path, line: text });
          if (r.status !== 200 || !r.body) throw refusal(r, path);
          return { lines: [], ack: r.body.ack ?? `OK ECHO path=${path} bytes=${r.body.bytes ?? 0}`, ok: true };
        }
        default:
          return { lines: [], ack: `ERR ${verb} reason=policy detail=unsupported-over-rest`, ok: false };
      }
    } catch (e) {
      if (e instanceof RestRefusal) return { lines: [], ack: errLine(verb === "ATTACH" ? "ATTACH" : verb, e), ok: false };
      throw e;
    }
  }

  private async stream(verb: string, route: string, path: string): Promise<Reply> {
    const r = await this.ns.http.get(route);
    const body = r.body as GatewayBody | undefined;
    if (r.status !== 200 || !body) throw refusal(r, path);
    return { lines: body.lines ?? [], ack: body.ack ?? `OK ${verb} path=${path}`, ok: true };
  }
}
