// Console lines over REST, for cohsh's shell (the shape of host/cohsh/wire.ts's Wire): the shell
// sends the wire lines it sends on TCP (`CAT /p`, `ECHO /p text`, `ATTACH queen`, …) and gets the
// console's own replies back, because the gateway returns the console's acknowledgement (`ack`)
// with every answer. So a `.coh` transcript over `--transport rest` is byte-identical to one over
// the TCP console. A failure of the gateway itself becomes one ERR line in the console's grammar
// (`reason=cut detail=gateway-unreachable`, `reason=busy detail=http-429`, …); the shell carries on.

import { render, type Reply } from "../console/grammar.js";
import { NsClosed, NsRefusal } from "../ns.js";
import { refusal, RestNamespaceClient, RestRefusal, type Exchange, type RestOptions } from "./client.js";

const NEEDS_ATTACH = new Set(["LS", "CAT", "TAIL", "ECHO", "LOG"]);
const QUEEN_LOG = "/log/queen.log";

function splitVerb(line: string): [string, string] {
  const i = line.indexOf(" ");
  return i < 0 ? [line, ""] : [line.slice(0, i), line.slice(i + 1)];
}

function errLine(verb: string, e: Error): string {
  if (e instanceof NsRefusal && e.line) return e.line;
  if (e instanceof NsRefusal) return `ERR ${verb} reason=${e.reason} detail=http-${e.httpStatus ?? 0}${e instanceof RestRefusal && e.uncertain ? " uncertain=true" : ""} error=${e.detail}`;
  return `ERR ${verb} reason=cut detail=gateway-unreachable error=${e.message}`;
}

export class RestWire {
  readonly ns: RestNamespaceClient;
  readonly protocol = "rest";

  constructor(o: RestOptions) {
    this.ns = new RestNamespaceClient(o);
  }

  get role(): string | null {
    return this.ns.role;
  }

  /** Each command is its own HTTP request: there is no connection to lose. */
  get isConnected(): boolean {
    return true;
  }

  async connect(): Promise<void> {}

  attach(role: string, ticket = ""): Promise<Reply> {
    return this.request(`ATTACH ${role} ${ticket}`);
  }

  forgetAttach(): void {
    void this.ns.close();
  }

  close(): void {
    void this.ns.close();
  }

  async request(line: string): Promise<Reply> {
    const [word, rest] = splitVerb(line.trim());
    const verb = word.toUpperCase();
    // The console's answer to an unattached session, without a round trip.
    if (NEEDS_ATTACH.has(verb) && this.ns.role === null) return { lines: [], ack: `ERR ${verb} reason=policy detail=unauthenticated`, ok: false };
    try {
      switch (verb) {
        case "PING": {
          const st = await this.ns.http.get("/v1/meta/status");
          if (st.status !== 200) throw refusal(st, "PING");
          return render.ping();
        }
        case "ATTACH": {
          const [role, ticket] = splitVerb(rest);
          const want = role.toLowerCase() === "worker" ? "worker-heartbeat" : role.toLowerCase();
          await this.ns.attach(want, ticket.trim() || undefined);
          return render.attach(want);
        }
        case "QUIT":
          await this.ns.close();
          return render.quit();
        case "LS":
          return await this.stream("LS", `/v1/fs/ls?path=${encodeURIComponent(rest)}`, rest);
        case "CAT":
          return await this.stream("CAT", `/v1/fs/cat?path=${encodeURIComponent(rest)}&max_bytes=${this.ns.maxRead}`, rest);
        case "TAIL":
          return await this.stream("TAIL", `/v1/fs/tail?path=${encodeURIComponent(rest)}&max_bytes=${this.ns.maxRead}`, rest);
        case "LOG": {
          const r = await this.stream("TAIL", `/v1/fs/tail?path=${encodeURIComponent(QUEEN_LOG)}&max_bytes=${this.ns.maxRead}`, QUEEN_LOG);
          return { ...r, ack: "OK LOG" };
        }
        case "ECHO": {
          const [path, text] = splitVerb(rest);
          // Straight to the gateway (no client-side record check): the console's own refusal, in its words.
          const r = await this.ns.http.post("/v1/fs/echo", { path, line: text });
          if (r.status !== 200 || !r.body) throw refusal(r, "ECHO", path);
          return { lines: [], ack: r.body.ack ?? render.echo(path, r.body.bytes ?? 0).ack, ok: true };
        }
        default:
          return { lines: [], ack: `ERR ${verb} reason=policy detail=unsupported over rest`, ok: false };
      }
    } catch (e) {
      if (e instanceof NsRefusal || e instanceof NsClosed) return { lines: [], ack: errLine(verb, e), ok: false };
      throw e;
    }
  }

  private async stream(verb: string, route: string, path: string): Promise<Reply> {
    const r: Exchange = await this.ns.http.get(route);
    if (r.status !== 200 || !r.body) throw refusal(r, verb, path);
    return { lines: r.body.lines ?? [], ack: r.body.ack ?? `OK ${verb} path=${path}`, ok: true };
  }
}
