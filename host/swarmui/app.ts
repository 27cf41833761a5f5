// SwarmUI's HTTP surface: the built browser app and a small same-origin JSON API behind a
// per-start random session token (the browser never sees the console token), strict CSP
// (no unsafe-eval), a loopback Host check against DNS rebinding, and SSE for live batches.

import { randomBytes, timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { extname, join, normalize } from "node:path";
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { MANIFEST } from "../generated/manifest.js";
import { NsRefusal } from "../sdk/ns.js";
import { consoleCommand } from "./console.js";
import { fleetSnapshot, gpuView, withinRoots } from "./hive.js";
import { mint } from "./mint.js";
import { RateLimit } from "./ratelimit.js";
import { unreachable } from "./poller.js";
import { ReplaySource } from "./replay.js";
import type { SwarmState } from "./state.js";
import { StoreError } from "./store.js";
import type { ApiError } from "./shared/types.js";
import { encode, decode } from "cbor2";

export const CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const TYPES: Record<string, string> = { ".html": "text/html; charset=utf-8", ".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8", ".png": "image/png", ".svg": "image/svg+xml", ".json": "application/json", ".ico": "image/x-icon" };

export interface AppOptions {
  state: SwarmState;
  uiDir: string;
  /** Fixed for tests; default 24 random bytes per start. */
  token?: string;
  allowAnyHost?: boolean;
  https?: { cert: Buffer; key: Buffer };
  /** The console rate limit's clock (tests hold it still); default Date.now. */
  now?: () => number;
}

class ApiFail extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiError,
    readonly retryAfter?: number,
  ) {
    super(body.detail);
  }
}

const fail = (status: number, reason: string, detail: string, retryAfter?: number): ApiFail => new ApiFail(status, { error: `${reason}: ${detail}`, reason, detail }, retryAfter);

function fromError(e: unknown): ApiFail {
  if (e instanceof ApiFail) return e;
  if (e instanceof NsRefusal) return fail(e.httpStatus ?? 403, e.reason, e.line ?? e.detail);
  if (e instanceof StoreError) return fail(e.reason === "not-found" ? 404 : e.reason === "expired" ? 410 : e.reason === "too-large" ? 413 : 400, e.reason, e.message);
  if (unreachable(e)) return fail(503, "unreachable", e instanceof Error ? e.message : String(e), 1);
  return fail(500, "internal", e instanceof Error ? e.message : String(e));
}

const LOOPBACK_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i;

export function newToken(): string {
  return randomBytes(24).toString("hex");
}

export async function buildApp(o: AppOptions): Promise<{ app: FastifyInstance; token: string }> {
  const token = o.token ?? newToken();
  const tokenBuf = Buffer.from(token);
  const st = o.state;
  const app = (o.https ? Fastify({ logger: false, bodyLimit: 16 * 1024, https: o.https }) : Fastify({ logger: false, bodyLimit: 16 * 1024 })) as unknown as FastifyInstance;

  app.addHook("onRequest", async (req, reply) => {
    reply.header("content-security-policy", CSP);
    reply.header("x-content-type-options", "nosniff");
    reply.header("referrer-policy", "no-referrer");
    reply.header("cross-origin-opener-policy", "same-origin");
    reply.header("cross-origin-resource-policy", "same-origin");
    const host = req.headers.host ?? "";
    if (!o.allowAnyHost && !LOOPBACK_HOST.test(host)) throw fail(421, "policy", `Host '${host}' is not a loopback name (reach SwarmUI at 127.0.0.1 or through an ssh tunnel)`);
    if (!req.url.startsWith("/api/")) return;
    const given = String(req.headers["x-swarmui-session"] ?? (req.query as Record<string, string> | undefined)?.session ?? "");
    const g = Buffer.from(given);
    if (g.length !== tokenBuf.length || !timingSafeEqual(g, tokenBuf)) throw fail(401, "unauthenticated", "missing or wrong session token (reload the page: the token changes each start)");
    if (req.method !== "GET") {
      const origin = req.headers.origin;
      if (origin !== undefined && origin !== `http://${host}` && origin !== `https://${host}`) throw fail(403, "policy", `cross-origin request from ${origin} refused`);
    }
  });
  app.setErrorHandler((e: unknown, _req, reply) => {
    const code = (e as { statusCode?: number }).statusCode;
    const f = e instanceof ApiFail ? e : code !== undefined && code < 500 ? fail(code, "invalid", (e as Error).message) : fromError(e);
    if (f.retryAfter !== undefined) reply.header("retry-after", String(f.retryAfter));
    void reply.code(f.status).type("application/json").send(f.body);
  });

  const api = <T>(f: (req: FastifyRequest) => Promise<T>) => async (req: FastifyRequest, reply: FastifyReply): Promise<T> => {
    reply.header("cache-control", "no-store");
    try {
      return await f(req);
    } catch (e) {
      throw fromError(e);
    }
  };
  const q = (req: FastifyRequest, k: string): string => {
    const v = (req.query as Record<string, unknown>)[k];
    if (typeof v !== "string" || v === "") throw fail(400, "invalid", `missing query parameter ${k}`);
    return v;
  };
  const body = (req: FastifyRequest): Record<string, unknown> => {
    const b = req.body;
    if (typeof b !== "object" || b === null || Array.isArray(b)) throw fail(400, "invalid", "expected a JSON object body");
    return b as Record<string, unknown>;
  };
  const text = (b: Record<string, unknown>, k: string, max = 256, optional = false): string | undefined => {
    const v = b[k];
    if (v === undefined || v === null || v === "") {
      if (optional) return undefined;
      throw fail(400, "invalid", `missing field ${k}`);
    }
    if (typeof v !== "string" || v.length > max) throw fail(400, "invalid", `${k} must be text of at most ${max} characters`);
    return v;
  };
  const live = () => {
    if (!st.link) throw fail(409, "offline", st.mode === "offline" ? "offline mode prohibits network access" : "no hive session (replay or not connected)");
    return st.link;
  };

  /** Online: read from the hive and (with cache.enabled) store; offline: the stored copy only. */
  async function cached<T>(key: string, f: () => Promise<T>): Promise<T> {
    if (st.mode === "offline") return decode(st.store.get(key)) as T;
    const v = await f();
    if (Number(MANIFEST.swarmui.cache_enabled) === 1) {
      try {
        st.store.put(key, encode(v));
      } catch {
        // A result too large to cache is still served.
      }
    }
    return v;
  }

  app.get("/api/bootstrap", api(async () => st.bootstrap()));
  app.get("/api/poll", api(async (req) => {
    const after = Number((req.query as Record<string, string>).after ?? 0);
    return { batches: await st.batchesAfter(Number.isFinite(after) ? after : 0) };
  }));
  app.get("/api/detail", api(async (req) => {
    const agent = q(req, "agent");
    const d = st.source.detail(agent, MANIFEST.swarmui.detail_lines);
    if (!d) throw fail(404, "not-found", `no agent ${agent}`);
    return d;
  }));
  app.get("/api/status", api(async () => ({ mode: st.mode, connected: st.link !== null, role: st.link?.role ?? null, subscribers: st.subscribers, hive_requests: st.hiveRequests, last_error: st.lastError })));
  app.get("/api/ns/ls", api(async (req) => {
    const path = q(req, "path");
    if (path !== "/" && !withinRoots(path)) throw fail(403, "policy", `${path} is outside the namespace roots`);
    return { path, entries: await cached(`namespace:ls:${path}`, () => live().ns.ls(path)) };
  }));
  app.get("/api/ns/cat", api(async (req) => {
    const path = q(req, "path");
    if (!withinRoots(path)) throw fail(403, "policy", `${path} is outside the namespace roots`);
    return { path, lines: await cached(`namespace:cat:${path}`, () => live().ns.read(path)) };
  }));
  app.get("/api/fleet", api(async () => ({ lines: await cached("fleet:ingest", () => fleetSnapshot(live().ns, live().role)) })));
  app.get("/api/telemetry", api(async (req) => {
    const w = (req.query as Record<string, string>).worker ?? "";
    if (w === "") return { lines: ["ERR TAIL missing worker id (run ls /worker to list active workers)"], ok: false };
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(w)) throw fail(400, "invalid", "worker id may hold only [A-Za-z0-9_.-]");
    return { ok: true, lines: await cached(`telemetry:${w}`, () => live().ns.tail(`/worker/${w}/telemetry`)) };
  }));
  app.get("/api/gpu", api(async () => cached("gpu:view", () => gpuView(live().ns))));
  const consoleRate = new RateLimit(MANIFEST.swarmui.console_commands_per_s, 1000, o.now);
  app.post("/api/console", api(async (req) => {
    const line = text(body(req), "line", MANIFEST.console.line_max) as string;
    // Counted before the command runs, refusals and parse errors included: each may reach the hive.
    const r = consoleRate.take();
    if (!r.ok) throw fail(429, "rate-limited", `ERR CONSOLE reason=rate-limited delay_ms=${r.delayMs} (swarmui.console_commands_per_s ${MANIFEST.swarmui.console_commands_per_s})`, Math.ceil(r.delayMs / 1000));
    return consoleCommand(line, { ns: () => st.link?.ns ?? null, attach: (r, t) => st.goOnline(r, t), maxLines: MANIFEST.swarmui.console_lines_max });
  }));
  app.post("/api/connect", api(async (req) => {
    const b = body(req);
    const role = text(b, "role", MANIFEST.console.role_max) as string;
    const ticket = text(b, "ticket", MANIFEST.console.ticket_max, true);
    if (st.cfg.replay) throw fail(409, "replay", "replaying a file: restart swarmui without --replay to connect");
    await st.goOnline(role, ticket);
    return { ok: true, role, mode: st.mode };
  }));
  app.post("/api/mode", api(async (req) => {
    const b = body(req);
    if (typeof b.offline !== "boolean") throw fail(400, "invalid", "offline must be true or false");
    const key = text(b, "key", 96, true) ?? "demo";
    if (b.offline) await st.goOffline(key);
    else await st.goOnline(st.cfg.role, st.cfg.ticket);
    return { mode: st.mode };
  }));
  app.post("/api/snapshot", api(async (req) => {
    const key = text(body(req), "key", 96, true) ?? "demo";
    return st.saveSnapshot(key);
  }));
  app.post("/api/hive/reset", api(async () => {
    if (st.source instanceof ReplaySource) st.source.reset();
    return { ok: true };
  }));
  app.post("/api/mint", api(async (req) => {
    const b = body(req);
    const m = mint(text(b, "role", MANIFEST.console.role_max) as string, text(b, "subject", MANIFEST.ticket_limits.subject_max, true), st.cfg.ticketSecret, st.cfg.ticketConfig);
    if (!m.ok) throw fail(400, "invalid", m.error);
    return { ticket: m.ticket, role: m.role };
  }));
  // Live streams never end by themselves: close them first, or app.close() would wait forever.
  const streams = new Set<import("node:http").ServerResponse>();
  app.addHook("preClose", async () => {
    for (const r of streams) r.end();
    streams.clear();
  });
  app.get("/api/events", (req, reply) => {
    if (st.subscribers >= MANIFEST.swarmui.sse_clients_max) {
      const f = fail(429, "busy", `${st.subscribers} live streams already open (swarmui.sse_clients_max ${MANIFEST.swarmui.sse_clients_max})`, 2);
      void reply.code(429).header("retry-after", "2").type("application/json").send(f.body);
      return;
    }
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store", connection: "keep-alive", "content-security-policy": CSP, "x-content-type-options": "nosniff" });
    res.write(`retry: ${MANIFEST.swarmui.status_poll_ms * 2}\n\n`);
    streams.add(res);
    const off = st.subscribe((b) => res.write(`id: ${b.batch}\nevent: batch\ndata: ${JSON.stringify(b)}\n\n`));
    req.raw.on("close", () => {
      streams.delete(res);
      off();
    });
  });

  // The browser app: index.html with this start's session token, assets as built by Vite.
  const index = (): string => {
    const f = join(o.uiDir, "index.html");
    if (!existsSync(f)) throw fail(503, "unbuilt", `the UI is not built (${f} missing): run npm run build`);
    return readFileSync(f, "utf8").replace("__SWARMUI_SESSION__", token);
  };
  app.get("/favicon.ico", async (_req, reply) => reply.code(204).send());
  app.get("/", async (_req, reply) => reply.header("cache-control", "no-store").type(TYPES[".html"]).send(index()));
  app.get("/*", async (req, reply) => {
    const rel = normalize(decodeURIComponent(req.url.split("?")[0])).replace(/^(\.\.[/\\])+/, "");
    const file = join(o.uiDir, rel);
    if (!file.startsWith(o.uiDir) || rel.includes("..") || !existsSync(file) || !statSync(file).isFile() || rel.endsWith("index.html")) throw fail(404, "not-found", `no file ${req.url.split("?")[0]}`);
    return reply.header("cache-control", rel.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache").type(TYPES[extname(file)] ?? "application/octet-stream").send(readFileSync(file));
  });
  return { app, token };
}
