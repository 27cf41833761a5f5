// A fetch client of hive-gateway's routes, and the NamespaceClient over it (next-floor §6):
// attach, ls, read, readBytes, append, close. Reads are retried on 429/503/504 with back-off
// that honours Retry-After; writes are never retried (a 503 with uncertain:true means the write
// may have landed: read back). Browser-safe: global fetch only, no node: imports.

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
}

export type RefusalReason = "busy" | "quota" | "cut" | "policy";

/** A refused or failed request, typed like the SDK's NsRefusal (reason, detail, path, HTTP status). */
export class RestRefusal extends Error {
  constructor(
    readonly reason: RefusalReason,
    readonly detail: string,
    readonly status: number,
    readonly path?: string,
    readonly body?: GatewayBody,
  ) {
    super(detail);
  }
  /** A write that may have been applied (its acknowledgement was lost upstream or on the way back). */
  get uncertain(): boolean {
    return this.body?.uncertain === true;
  }
}

function reasonOf(status: number, body?: GatewayBody): RefusalReason {
  const ack = body?.ack ?? "";
  const m = / reason=([a-z-]+)/.exec(ack);
  if (m && (m[1] === "busy" || m[1] === "quota" || m[1] === "cut" || m[1] === "policy")) return m[1];
  if (status === 429) return "busy";
  if (status === 0 || status === 503 || status === 504) return "cut";
  return "policy";
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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
  async once(method: "GET" | "POST", route: string, body?: unknown): Promise<{ status: number; body?: GatewayBody; raw?: unknown; retryAfterS?: number; error?: string }> {
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
      const cause = (e as { cause?: { code?: string; message?: string } }).cause;
      const why = cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
      return { status: 0, error: `gateway unreachable at ${this.base} (${why})` };
    }
  }

  /** GET with retries: 429/503/504 and unreachable, back-off doubling, at least Retry-After. */
  async get(route: string): Promise<{ status: number; body?: GatewayBody; raw?: unknown; error?: string }> {
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
  post(route: string, body: unknown): Promise<{ status: number; body?: GatewayBody; raw?: unknown; error?: string }> {
    return this.once("POST", route, body);
  }
}

/** The error a failed exchange becomes. */
export function refusal(r: { status: number; body?: GatewayBody; error?: string }, path?: string): RestRefusal {
  const detail = r.body?.error ?? r.error ?? `HTTP ${r.status}`;
  return new RestRefusal(reasonOf(r.status, r.body), detail, r.status, path, r.body);
}

const q = (o: Record<string, string | number | undefined>): string =>
  Object.entries(o)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`)
    .join("&");

/** NamespaceClient over REST (the SDK's interface: attach, ls, read, readBytes, append, close, caps). */
export class RestNamespaceClient {
  readonly http: RestClient;
  private role: string | null = null;
  /** Filled from /v1/meta/bounds at attach: the largest read one request may carry, the echo bound. */
  private bounds = { maxRead: 262_144 + 16_384, maxRecord: 128 };

  constructor(o: RestOptions) {
    this.http = new RestClient(o);
  }

  /** The largest max_bytes the gateway takes (from /v1/meta/bounds after attach). */
  get maxRead(): number {
    return this.bounds.maxRead;
  }

  get caps(): { maxRecord: number; binary: boolean; concurrent: boolean } {
    return { maxRecord: this.bounds.maxRecord, binary: true, concurrent: true };
  }

  /** Checks the gateway answers for this caller with `role` (the gateway's role, or the ticket's). */
  async attach(role: string, ticket?: string): Promise<void> {
    if (ticket) this.http.ticket = ticket;
    const b = await this.http.get("/v1/meta/bounds");
    const raw = b.raw as { console?: { max_echo_len?: number }; gateway?: { max_read_bytes?: number } } | undefined;
    if (b.status === 200 && raw?.console?.max_echo_len) this.bounds.maxRecord = raw.console.max_echo_len;
    if (b.status === 200 && raw?.gateway?.max_read_bytes) this.bounds.maxRead = raw.gateway.max_read_bytes;
    const st = await this.http.get("/v1/meta/status");
    if (st.status !== 200) throw refusal(st);
    const who = (st.raw as { caller?: { role?: string } }).caller?.role;
    const want = role === "worker" ? "worker-heartbeat" : role;
    if (who !== want) throw new RestRefusal("policy", `the gateway admits this caller as ${who ?? "unknown"}, not ${want}`, 403);
    this.role = want;
  }

  async ls(path: string): Promise<string[]> {
    const r = await this.http.get(`/v1/fs/ls?${q({ path })}`);
    if (r.status !== 200 || !r.body) throw refusal(r, path);
    return r.body.lines ?? [];
  }

  async read(path: string): Promise<string[]> {
    const r = await this.http.get(`/v1/fs/cat?${q({ path, max_bytes: this.bounds.maxRead })}`);
    if (r.status !== 200 || !r.body) throw refusal(r, path);
    return r.body.lines ?? [];
  }

  async readBytes(path: string): Promise<Uint8Array> {
    const r = await this.http.get(`/v1/fs/cat?${q({ path, max_bytes: this.bounds.maxRead, encoding: "base64" })}`);
    if (r.status !== 200 || !r.body) throw refusal(r, path);
    const bin = atob(r.body.data ?? "");
    return Uint8Array.from(bin, (c) => c.charCodeAt(0));
  }

  async tail(path: string, lines?: number): Promise<string[]> {
    const r = await this.http.get(`/v1/fs/tail?${q({ path, max_bytes: this.bounds.maxRead, lines })}`);
    if (r.status !== 200 || !r.body) throw refusal(r, path);
    return r.body.lines ?? [];
  }

  async append(path: string, record: string): Promise<void> {
    const r = await this.http.post("/v1/fs/echo", { path, line: record });
    if (r.status !== 200) throw refusal(r, path);
  }

  async close(): Promise<void> {
    this.role = null;
  }

  get attachedRole(): string | null {
    return this.role;
  }
}
