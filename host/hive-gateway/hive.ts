// The gateway's operations (ls, cat, tail, echo, echo-batch) over the broker and the read cache,
// shared by the REST routes and the MCP tools. Each returns the reference's GatewayResponse,
// plus `ack`: the console's own acknowledgement line, so REST clients can print exactly what
// the TCP console prints. A console ERR becomes a GatewayError with its HTTP status.

import { type Broker, type LaneName } from "./broker.js";
import { ReadCache, cacheable, invalidatedBy } from "./cache.js";
import { consoleStatus, GatewayError } from "./errors.js";
import type { Authority, Caller } from "./auth.js";
import type { GatewayManifest } from "./manifest.js";
import { UpstreamError, type UpstreamReply } from "./upstream.js";

// The wire shape is the SDK's (host/sdk/rest is its client): one declaration for both ends.
import type { GatewayBody } from "../sdk/rest/client.js";
export type GatewayResponse = GatewayBody;

export class Hive {
  readonly cache: ReadCache<UpstreamReply>;

  constructor(
    readonly broker: Broker,
    readonly manifest: GatewayManifest,
    readonly authority: Authority,
  ) {
    const g = manifest.m.gateway;
    this.cache = new ReadCache<UpstreamReply>(g.cache_ttl_ms, g.cache_max_entries);
  }

  /** What one CAT or TAIL may ask for: what one console reply can carry. */
  get maxReadBytes(): number {
    const c = this.manifest.m.console;
    return c.reply_backlog_bytes + c.tx_queue_bytes;
  }

  checkPath(path: string | undefined): string {
    if (path === undefined || path === "") throw new GatewayError(400, "path is required");
    if (!path.startsWith("/")) throw new GatewayError(400, "path must be absolute");
    if (path.includes("\0")) throw new GatewayError(400, "path contains NUL byte");
    if (/[\r\n\s]/.test(path)) throw new GatewayError(400, "path must not contain whitespace or line breaks");
    // Length, depth and '.'/'..' are the guest's own path rule: its refusal is forwarded as a 400
    // with the console's words, so a script's transcript over REST matches the TCP console's.
    return path;
  }

  checkMaxBytes(v: number | undefined): number {
    if (v === undefined || v === 0) throw new GatewayError(400, "max_bytes is required");
    if (v > this.maxReadBytes) throw new GatewayError(400, `max_bytes ${v} exceeds bound ${this.maxReadBytes}`);
    return v;
  }

  checkLine(line: string, path: string): string {
    const l = line.replace(/\n+$/, "");
    if (/[\r\n]/.test(l)) throw new GatewayError(400, "payload must be a single line");
    if (l.includes("\0")) throw new GatewayError(400, "payload contains NUL byte");
    const wire = Buffer.byteLength(`ECHO ${path} ${l}`);
    const frame = this.manifest.m.console.frame_max - 4;
    if (wire > frame) throw new GatewayError(400, `command line of ${wire} bytes exceeds the console frame (${frame})`);
    return l;
  }

  private async read(lane: LaneName, verb: "LS" | "CAT" | "TAIL", path: string): Promise<UpstreamReply> {
    const line = `${verb} ${path}`;
    const fetch = (): Promise<UpstreamReply> => this.broker.line(lane, line, true).catch(rethrow(false));
    const r = cacheable(verb, path) ? await this.cache.get(line, path, fetch, (v) => v.ok) : await fetch();
    if (!r.ok) throw new GatewayError(consoleStatus(r.ack), r.ack, { ack: r.ack });
    return r;
  }

  async ls(caller: Caller, path: string): Promise<GatewayResponse> {
    this.checkPath(path);
    this.authority.authorize(caller, "read", path, 0);
    const r = await this.read("telemetry", "LS", path);
    return { status: "OK", verb: "LS", path, end: true, lines: r.lines, ack: r.ack };
  }

  async cat(caller: Caller, path: string, maxBytes: number | undefined, encoding?: string): Promise<GatewayResponse> {
    this.checkPath(path);
    const max = this.checkMaxBytes(maxBytes);
    this.authority.authorize(caller, "read", path, max);
    const r = await this.read("telemetry", "CAT", path);
    return this.shape("CAT", path, r.lines, r.ack, max, encoding);
  }

  async tail(caller: Caller, path: string, maxBytes: number | undefined, lines: number | undefined, encoding?: string): Promise<GatewayResponse> {
    this.checkPath(path);
    const max = this.checkMaxBytes(maxBytes);
    const cap = this.manifest.m.console.log_lines;
    if (lines !== undefined && lines < 1) throw new GatewayError(400, "lines must be >= 1");
    if (lines !== undefined && lines > cap) throw new GatewayError(400, `lines ${lines} exceeds max_tail_lines ${cap}`);
    this.authority.authorize(caller, "read", path, max);
    const r = await this.read("telemetry", "TAIL", path);
    const body = lines !== undefined ? r.lines.slice(-lines) : r.lines;
    return this.shape("TAIL", path, body, r.ack, max, encoding);
  }

  private shape(verb: "CAT" | "TAIL", path: string, lines: string[], ack: string, max: number, encoding?: string): GatewayResponse {
    const text = lines.join("\n");
    const bytes = Buffer.byteLength(text);
    if (bytes > max) throw new GatewayError(400, `${verb === "CAT" ? "read" : "tail"} exceeded max_bytes ${max}`);
    if (encoding === "base64") return { status: "OK", verb, path, end: true, bytes, ack, encoding: "base64", data: fileBytes(lines).toString("base64") };
    return { status: "OK", verb, path, end: true, lines, bytes, ack };
  }

  async echo(caller: Caller, path: string, line: string): Promise<GatewayResponse> {
    this.checkPath(path);
    const l = this.checkLine(line, path);
    this.authority.authorize(caller, "write", path, Buffer.byteLength(l));
    const segCtl = /^\/queen\/telemetry\/[^/]+\/ctl$/.test(path);
    const out = await this.broker
      .submit("control", async (s) => {
        const r = await s.request(`ECHO ${path} ${l}`);
        if (!r.ok || !segCtl) return { r, seg: undefined };
        // The OS names the new segment: read it back on the same session, before anyone else writes.
        const latest = await s.request(`CAT ${path.replace(/ctl$/, "latest")}`).catch(() => null);
        return { r, seg: latest?.ok ? latest.lines[0] : undefined };
      })
      .catch(rethrow(true));
    if (!out.r.ok) throw new GatewayError(consoleStatus(out.r.ack), out.r.ack, { ack: out.r.ack });
    this.cache.invalidate(invalidatedBy(path, l));
    const res: GatewayResponse = { status: "OK", verb: "ECHO", path, end: true, bytes: Buffer.byteLength(l), ack: out.r.ack };
    if (out.seg && /^[A-Za-z0-9_-]{1,64}$/.test(out.seg)) {
      res.seg_id = out.seg;
      res.lines = [out.seg];
    }
    return res;
  }

  async echoBatch(caller: Caller, path: string, lines: string[]): Promise<GatewayResponse> {
    this.checkPath(path);
    const max = this.manifest.m.gateway.echo_batch_max;
    if (lines.length < 1 || lines.length > max) throw new GatewayError(400, `lines must hold 1..${max} entries`);
    const clean = lines.map((l) => this.checkLine(l, path));
    // Every line is authorised (and charged) before the first one is written.
    for (const l of clean) this.authority.authorize(caller, "write", path, Buffer.byteLength(l));
    let done = 0;
    const acks = await this.broker
      .submit("control", async (s) => {
        const out: string[] = [];
        for (const l of clean) {
          const r = await s.request(`ECHO ${path} ${l}`);
          if (!r.ok) throw new GatewayError(consoleStatus(r.ack), `${r.ack} (after ${done} of ${clean.length} lines)`, { ack: r.ack });
          done++;
          out.push(r.ack);
        }
        return out;
      })
      .catch((e: unknown) => {
        if (done > 0) this.cache.invalidate(invalidatedBy(path, ""));
        return rethrow(true)(e);
      });
    this.cache.invalidate(invalidatedBy(path, ""));
    return { status: "OK", verb: "ECHO_BATCH", path, end: true, bytes: clean.reduce((n, l) => n + Buffer.byteLength(l), 0), ack: acks[acks.length - 1] };
  }
}

/**
 * A file's bytes from its console lines: a binary file's CAT is `b64:` lines (decoded here), any
 * other file is its lines, each ended by a newline (what Secure9P would read).
 */
function fileBytes(lines: string[]): Buffer {
  if (lines.length > 0 && lines.every((l) => l.startsWith("b64:"))) return Buffer.concat(lines.map((l) => Buffer.from(l.slice(4), "base64")));
  return Buffer.from(lines.length ? lines.join("\n") + "\n" : "", "utf8");
}

/**
 * Upstream failures as HTTP: never sent → 503; a write whose acknowledgement was lost → 503
 * with uncertain:true (it may have landed: the caller must read back, never blindly resend).
 */
function rethrow(write: boolean): (e: unknown) => never {
  return (e: unknown) => {
    if (e instanceof UpstreamError) {
      if (write && e.sent) throw new GatewayError(503, `${e.message}; the write may have been applied: read back before retrying`, { uncertain: true });
      if (e.kind === "timeout") throw new GatewayError(504, e.message);
      throw new GatewayError(503, e.message, { retryAfterS: 1, uncertain: false });
    }
    throw e;
  };
}
