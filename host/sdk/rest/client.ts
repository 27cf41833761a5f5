// A fetch client of hive-gateway's routes, and the SDK's NamespaceClient over it: attach, ls,
// read, readBytes, append, tail, follow, close. Reads are retried on 429/503/504 (and an
// unreachable gateway) with back-off that honours Retry-After; writes are never retried (a 503
// with uncertain:true means the write may have landed: read back). Refusals are NsRefusal (with
// the console's own ERR line and the HTTP status), an unreachable gateway NsClosed, a timeout
// NsTimeout. Browser-safe: global fetch only, no node: imports.

import { checkRecord, consoleRecordMax, followByPolling, NsClosed, NsRefusal, NsTimeout, type AppendResult, type FollowOptions, type NamespaceClient, type NsCaps } from "../ns.js";

/** What the console prints after a ticket-required refusal (assembly/console/commands.ts). */
const MINT_HINT = "cohsh --mint-ticket --role <role> --ticket-subject <id>";

export interface RestOptions {
  /** http(s)://host:port of the gateway. */
  url: string;
  token: string;
  /** Narrowing capability ticket, sent as x-cohesix-ticket. */
  ticket?: string;
  /** Per-request time limit (the gateway's own upstream timeout plus grace). */
  timeoutMs?: number;
  /** Read attempts on 429/503/504 and on an unreachable gateway, the first included. */
  readAttempts?: number;
  backoffMs?: number;
  ceilingMs?: number;
}

export interface GatewayBody {
  status: "OK" | "ERR";
  verb: string;
  path: string;
  end: true;
  lines?: string[];
  bytes?: number;
  ack?: string;
  seg_id?: string;
  encoding?: "base64";
  data?: string;
  error?: string;
  uncertain?: boolean;
  reason?: string;
  detail?: string;
}

/** A refused exchange as the SDK's NsRefusal; status 0 (unreachable) as NsClosed, a timeout as NsTimeout. */
export function refusal(r: { status: number; body?: GatewayBody; error?: string; timedOut?: boolean }, op: string, path?: string): Error {
  if (r.status === 0) return r.timedOut ? new NsTimeout(r.error ?? "gateway request timed out") : new NsClosed(r.error ?? "gateway unreachable");
  const ack = r.body?.ack;
  const line = ack?.startsWith("ERR ") ? ack : undefined;
  const m = line ? / reason=([a-z-]+)/.exec(line) : null;
  const reason = m ? m[1] : r.status === 429 ? "busy" : r.status === 503 || r.status === 504 ? "cut" : "policy";
  const detail = r.body?.error ?? `HTTP ${r.status}`;
  return new RestRefusal({ op, reason, detail, path, httpStatus: r.status, line }, r.body?.uncertain === true);
}

/** NsRefusal plus the gateway's uncertain flag: a write that may have landed (read back first). */
export class RestRefusal extends NsRefusal {
  constructor(
    init: ConstructorParameters<typeof NsRefusal>[0],
    readonly uncertain: boolean,
  ) {
    super(init);
  }
}

/** Roles the console knows (the `worker` alias is mapped before the check). */
const ROLES = ["queen", "worker-heartbeat", "worker-gpu", "worker-bus", "worker-lora"];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface Exchange {
  /** 0: the gateway could not be reached (nothing was sent upstream), or no answer in time. */
  status: number;
  body?: GatewayBody;
  raw?: unknown;
  retryAfterS?: number;
  error?: string;
  timedOut?: boolean;
}

export class RestClient {
  private readonly base: string;
  ticket: string | undefined;

  constructor(readonly o: RestOptions) {
    this.base = o.url.replace(/\/+$/, "");
    this.ticket = o.ticket;
  }

  private headers(json: boolean): Record<string, string> {
    const h: Record<string, string> = { authorization: `Bearer ${this.o.token}`, accept: "application/json" };
    if (json) h["content-type"] = "application/json";
    if (this.ticket) h["x-cohesix-ticket"] = this.ticket;
    return h;
  }

  /** One HTTP exchange; status 0 = the gateway could not be reached (nothing was sent upstream). */
  async once(method: "GET" | "POST", route: string, body?: unknown): Promise<Exchange> {
    try {
      const res = await fetch(this.base + route, {
        method,
        headers: this.headers(body !== undefined),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 35_000),
      });
      const text = await res.text();
      let raw: unknown;
      try {
        raw = JSON.parse(text);
      } catch {
        raw = undefined;
      }
      const ra = Number(res.headers.get("retry-after"));
      return { status: res.status, body: raw as GatewayBody | undefined, raw, retryAfterS: Number.isFinite(ra) && ra > 0 ? ra : undefined };
    } catch (e) {
      const timedOut = e instanceof Error && (e.name === "TimeoutError" || e.name === "AbortError");
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = timedOut ? `no answer within ${this.o.timeoutMs ?? 35_000} ms` : (cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e)));
      return { status: 0, error: `gateway unreachable at ${this.base} (${why})`, timedOut };
    }
  }

  /** GET with retries: 429/503/504 and unreachable, back-off doubling, at least Retry-After. */
  async get(route: string): Promise<Exchange> {
    const attempts = this.o.readAttempts ?? 4;
    let delay = this.o.backoffMs ?? 100;
    for (let i = 1; ; i++) {
      const r = await this.once("GET", route);
      const retryable = r.status === 0 || r.status === 429 || r.status === 503 || r.status === 504;
      if (!retryable || i >= attempts) return r;
      await sleep(Math.max(delay, (r.retryAfterS ?? 0) * 1000));
      delay = Math.min(delay * 2, this.o.ceilingMs ?? 2000);
    }
  }

  /** Writes go out once, whatever happens. */
  post(route: string, body: unknown): Promise<Exchange> {
    return this.once("POST", route, body);
  }
}

const q = (o: Record<string, string | number | undefined>): string =>
  Object.entries(o)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
    .join("&");

/** The SDK's NamespaceClient over hive-gateway's routes. */
export class RestNamespaceClient implements NamespaceClient {
  readonly http: RestClient;
  private attached: string | null = null;
  /** Filled from /v1/meta/bounds: the largest read one request may carry, the echo bound. */
  private bounds = { maxRead: 262_144 + 16_384, maxRecord: 128, tailLines: 64 };

  constructor(o: RestOptions) {
    this.http = new RestClient(o);
  }

  get caps(): NsCaps {
    return { protocol: "rest", maxRecord: this.bounds.maxRecord, binary: true, concurrent: true };
  }

  get role(): string | null {
    return this.attached;
  }

  /** The largest max_bytes the gateway takes (from /v1/meta/bounds). */
  get maxRead(): number {
    return this.bounds.maxRead;
  }

  /** Learns the gateway's bounds (once; attach does it too). */
  async connect(): Promise<void> {
    const b = await this.http.get("/v1/meta/bounds");
    if (b.status !== 200) throw refusal(b, "BOUNDS");
    const raw = b.raw as { console?: { max_echo_len?: number; max_tail_lines?: number }; gateway?: { max_read_bytes?: number } } | undefined;
    if (raw?.console?.max_echo_len) this.bounds.maxRecord = raw.console.max_echo_len;
    if (raw?.console?.max_tail_lines) this.bounds.tailLines = raw.console.max_tail_lines;
    if (raw?.gateway?.max_read_bytes) this.bounds.maxRead = raw.gateway.max_read_bytes;
  }

  /** The gateway must admit this caller with `role`: its own upstream role, or the ticket's. */
  async attach(role: string, ticket?: string): Promise<void> {
    this.attached = null;
    const want = role.toLowerCase() === "worker" ? "worker-heartbeat" : role.toLowerCase();
    // The console's words for each refusal, so cohsh over REST prints what it prints on TCP.
    // `detail` is the console's word; the gateway's fuller reason stays in the error's message.
    const no = (reason: string, detail: string, why: string, httpStatus: number): NsRefusal => {
      const r = new RestRefusal({ op: "ATTACH", reason, detail, httpStatus, line: `ERR ATTACH reason=${reason} detail=${detail}` }, false);
      if (why) r.message = `${r.message}: ${why}`;
      return r;
    };
    if (!ROLES.includes(want)) throw no("policy", "invalid-role", "", 400);
    this.http.ticket = ticket || undefined;
    await this.connect();
    const st = await this.http.get("/v1/meta/status");
    if (st.status !== 200) {
      if (st.body?.reason && st.body.detail) throw no(st.body.reason, st.body.detail, st.body.error ?? "", st.status);
      throw refusal(st, "ATTACH");
    }
    const who = (st.raw as { caller?: { role?: string } }).caller?.role;
    if (who !== want) {
      // No ticket for another role: the console's ticket-required refusal, with its mint hint.
      if (!ticket) {
        const r = new RestRefusal({ op: "ATTACH", reason: "policy", detail: "ticket-required", httpStatus: 401, line: `ERR ATTACH reason=policy detail=ticket-required hint="${MINT_HINT}"` }, false);
        r.message = `${r.message}: the gateway admits this caller as ${who ?? "unknown"}; present a ${want} ticket`;
        throw r;
      }
      throw no("policy", "denied", `the gateway admits this caller as ${who ?? "unknown"}, not ${want}`, 403);
    }
    this.attached = want;
  }

  private async body(op: string, route: string, path: string): Promise<GatewayBody> {
    // attach is this client's handshake: before it, refuse as the console does.
    // The console's own words for an unattached session (no path in them).
    if (this.attached === null) throw new NsRefusal({ op, reason: "policy", detail: "not-attached", httpStatus: 401 });
    const r = await this.http.get(route);
    if (r.status !== 200 || !r.body) throw refusal(r, op, path);
    return r.body;
  }

  async ls(path: string): Promise<string[]> {
    return (await this.body("LS", `/v1/fs/ls?${q({ path })}`, path)).lines ?? [];
  }

  async read(path: string): Promise<string[]> {
    // The console's CAT of the queen log is a summary only (docs/CONSOLE.md); its lines come from TAIL.
    if (path === "/log/queen.log") return this.tail(path);
    return (await this.body("CAT", `/v1/fs/cat?${q({ path, max_bytes: this.bounds.maxRead })}`, path)).lines ?? [];
  }

  async readBytes(path: string): Promise<Uint8Array> {
    const b = await this.body("CAT", `/v1/fs/cat?${q({ path, max_bytes: this.bounds.maxRead, encoding: "base64" })}`, path);
    const bin = atob(b.data ?? "");
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  }

  async tail(path: string, lines?: number): Promise<string[]> {
    return (await this.body("TAIL", `/v1/fs/tail?${q({ path, max_bytes: this.bounds.maxRead, lines })}`, path)).lines ?? [];
  }

  follow(path: string, opts: FollowOptions): Promise<void> {
    return followByPolling(() => this.tail(path), opts, 1000);
  }

  async append(path: string, record: string): Promise<AppendResult> {
    if (this.attached === null) throw new NsRefusal({ op: "ECHO", reason: "policy", detail: "not-attached", httpStatus: 401 });
    checkRecord(record, Math.max(this.caps.maxRecord, consoleRecordMax(path)), path);
    const r = await this.http.post("/v1/fs/echo", { path, line: record });
    if (r.status !== 200 || !r.body) throw refusal(r, "ECHO", path);
    return { bytes: r.body.bytes ?? new TextEncoder().encode(record).length };
  }

  async close(): Promise<void> {
    this.attached = null;
  }
}
