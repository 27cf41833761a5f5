// A small Kubernetes API client: JSON over HTTP(S) with the target's credentials, a deadline per
// call, and the API's own Status message in every error (a 429 from an eviction is how a
// PodDisruptionBudget says no, so callers see the status code, not just a string).

import { request as httpRequest, type IncomingMessage } from "node:http";
import { request as httpsRequest } from "node:https";
import type { K8sTarget } from "./config.js";

export class K8sApiError extends Error {
  override readonly name = "K8sApiError";
  constructor(
    readonly status: number,
    message: string,
    readonly body: unknown = undefined,
  ) {
    super(message);
  }
}

export interface K8sReply<T> {
  status: number;
  body: T;
}

/** The API's Status message, if the body is one. */
export function statusMessage(body: unknown, status: number): string {
  const o = body as { message?: unknown; reason?: unknown } | null;
  if (o && typeof o.message === "string" && o.message !== "") return o.message;
  if (o && typeof o.reason === "string") return o.reason;
  return `HTTP ${status}`;
}

const MAX_BODY = 4 << 20; // a node or pod list of a large cluster; past it the reply is refused

export class K8sApi {
  constructor(
    readonly target: K8sTarget,
    private readonly timeoutMs: number,
  ) {}

  /** One call; resolves for every HTTP status (callers decide), rejects on transport failure. */
  call<T = unknown>(method: string, path: string, body?: unknown, contentType = "application/json"): Promise<K8sReply<T>> {
    const url = new URL(this.target.server + path);
    const tls = url.protocol === "https:";
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.target.token) headers.authorization = `Bearer ${this.target.token}`;
    if (payload) {
      headers["content-type"] = contentType;
      headers["content-length"] = String(payload.length);
    }
    const opts = { method, hostname: url.hostname.replace(/^\[|\]$/g, ""), port: url.port || (tls ? 443 : 80), path: url.pathname + url.search, headers, timeout: this.timeoutMs };
    return new Promise((res, rej) => {
      const done = (r: IncomingMessage): void => {
        const chunks: Buffer[] = [];
        let n = 0;
        r.on("data", (d: Buffer) => {
          n += d.length;
          if (n > MAX_BODY) {
            r.destroy();
            rej(new K8sApiError(0, `Kubernetes API ${method} ${url.pathname}: reply over ${MAX_BODY} bytes`));
          } else chunks.push(d);
        });
        r.on("end", () => {
          const text = Buffer.concat(chunks).toString("utf8");
          let parsed: unknown = text;
          try {
            parsed = text === "" ? {} : JSON.parse(text);
          } catch {
            /* a proxy's HTML error page: keep the text */
          }
          res({ status: r.statusCode ?? 0, body: parsed as T });
        });
      };
      const req = tls
        ? httpsRequest({ ...opts, ca: this.target.ca, cert: this.target.cert, key: this.target.key, rejectUnauthorized: !this.target.insecure }, done)
        : httpRequest(opts, done);
      req.on("timeout", () => req.destroy(new Error(`no answer in ${this.timeoutMs} ms`)));
      req.on("error", (e) => rej(new K8sApiError(0, `Kubernetes API unavailable at ${this.target.server} (${this.target.source}): ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
      if (payload) req.write(payload);
      req.end();
    });
  }

  /** A call that must answer 2xx; anything else throws with the API's message. */
  async must<T = unknown>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const r = await this.call<T>(method, path, body, contentType);
    if (r.status < 200 || r.status > 299) throw new K8sApiError(r.status, `${method} ${path.split("?")[0]}: ${statusMessage(r.body, r.status)}`, r.body);
    return r.body;
  }
}
