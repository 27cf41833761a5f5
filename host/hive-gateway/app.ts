// The fastify application: routes, validation errors as GatewayResponse JSON, status codes and
// Retry-After from GatewayError, the OpenAPI document and the offline /docs page.

import swagger from "@fastify/swagger";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import type { Caller } from "./auth.js";
import { GatewayError } from "./errors.js";
import type { GatewayResponse, Hive } from "./hive.js";
import { boundsDocument } from "./manifest.js";
import { Metrics } from "./metrics.js";
import { GatewayResponseSchema, openapiInfo, schemas } from "./schemas.js";
import { docsPage } from "./docs_page.js";
import { statusDocument, type RelaySource } from "./status.js";

export interface AppOptions {
  hive: Hive;
  target: { host: string; port: number; backend: "console-projection" | "host-model" };
  /** Registers POST /mcp (only when the manifest's switch is on). */
  mcp?: (app: FastifyInstance) => void;
  logger?: boolean | { level: string; stream?: NodeJS.WritableStream };
  https?: { cert: Buffer; key: Buffer };
  relay?: RelaySource;
}

type Q = Record<string, string | number | undefined>;

/** Which verb a route answers for, so a refusal body names it like the console would. */
const VERBS: Record<string, string> = {
  "/v1/fs/ls": "LS",
  "/v1/fs/cat": "CAT",
  "/v1/fs/tail": "TAIL",
  "/v1/fs/echo": "ECHO",
  "/v1/fs/echo-batch": "ECHO_BATCH",
  "/v1/meta/status": "STATUS",
};

function friendly(e: FastifyError): string {
  // The reference's messages for the two fields every client gets wrong first.
  const v = e.validation?.[0];
  const missing = v?.keyword === "required" ? String((v.params as { missingProperty?: string }).missingProperty ?? "") : "";
  if (missing === "path") return "path is required";
  if (missing === "max_bytes") return "max_bytes is required";
  if (v?.keyword === "additionalProperties") return `unknown field '${String((v.params as { additionalProperty?: string }).additionalProperty)}'`;
  return e.message;
}

export async function buildApp(o: AppOptions): Promise<FastifyInstance> {
  const { hive } = o;
  const g = hive.manifest.m.gateway;
  const app = Fastify({
    logger: o.logger ?? false,
    bodyLimit: g.body_max_bytes,
    ...(o.https ? { https: o.https } : {}),
    ajv: { customOptions: { removeAdditional: false, coerceTypes: true, useDefaults: true } },
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;
  const metrics = new Metrics();
  app.addSchema(GatewayResponseSchema);
  await app.register(swagger, openapiInfo as unknown as Parameters<typeof swagger>[1]);

  app.addHook("onResponse", async (req, reply) => {
    metrics.observe(req.routeOptions.url ?? "unmatched", reply.statusCode, reply.elapsedTime / 1000);
  });

  app.setErrorHandler((err: FastifyError | GatewayError | Error, req: FastifyRequest, reply: FastifyReply) => {
    const path = String((req.query as Q)?.path ?? (req.body as Q | undefined)?.path ?? "");
    const verb = VERBS[req.routeOptions.url ?? ""] ?? "HTTP";
    const body: GatewayResponse = { status: "ERR", verb, path, end: true, error: err.message };
    let status = 500;
    if (err instanceof GatewayError) {
      status = err.status;
      if (err.extra.ack) body.ack = err.extra.ack;
      if (err.extra.uncertain !== undefined) body.uncertain = err.extra.uncertain;
      if (err.extra.reason) body.reason = err.extra.reason;
      if (err.extra.detail) body.detail = err.extra.detail;
      if (err.extra.retryAfterS !== undefined && (status === 429 || status === 503)) void reply.header("retry-after", String(err.extra.retryAfterS));
    } else if ((err as FastifyError).validation) {
      status = 400;
      body.error = friendly(err as FastifyError);
    } else if ((err as FastifyError).statusCode && (err as FastifyError).statusCode! < 500) {
      status = (err as FastifyError).statusCode as number;
      if (status === 413) body.error = `request body exceeds ${g.body_max_bytes} bytes (gateway.body_max_bytes)`;
    } else {
      req.log.error({ err: err.message }, "unhandled gateway error");
    }
    if (status === 429 && !reply.getHeader("retry-after")) void reply.header("retry-after", "1");
    void reply.code(status).send(body);
  });

  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ status: "ERR", verb: "HTTP", path: req.url.split("?")[0], end: true, error: `no route ${req.method} ${req.url.split("?")[0]}` });
  });

  const caller = (req: FastifyRequest): Caller => hive.authority.admit(req.headers);

  app.get("/v1/meta/bounds", { schema: schemas.bounds }, async () => boundsDocument(hive.manifest));
  app.get("/v1/meta/status", { schema: schemas.status }, async (req) => {
    const c = caller(req);
    return statusDocument(hive, o.target, c, o.relay);
  });
  app.get("/v1/fs/ls", { schema: schemas.ls }, async (req) => {
    const q = req.query as Q;
    return hive.ls(caller(req), String(q.path));
  });
  app.get("/v1/fs/cat", { schema: schemas.cat }, async (req) => {
    const q = req.query as Q;
    return hive.cat(caller(req), String(q.path), Number(q.max_bytes), String(q.encoding));
  });
  app.get("/v1/fs/tail", { schema: schemas.tail }, async (req) => {
    const q = req.query as Q;
    return hive.tail(caller(req), String(q.path), Number(q.max_bytes), q.lines === undefined ? undefined : Number(q.lines), String(q.encoding));
  });
  app.post("/v1/fs/echo", { schema: schemas.echo }, async (req) => {
    const b = req.body as { path: string; line: string };
    return hive.echo(caller(req), b.path, b.line);
  });
  const batchSchema = { ...schemas.echoBatch, body: { ...schemas.echoBatch.body, properties: { ...schemas.echoBatch.body.properties, lines: { ...schemas.echoBatch.body.properties.lines, maxItems: g.echo_batch_max } } } };
  app.post("/v1/fs/echo-batch", { schema: batchSchema }, async (req) => {
    const b = req.body as { path: string; lines: string[] };
    return hive.echoBatch(caller(req), b.path, b.lines);
  });
  app.get("/metrics", { schema: { hide: true } }, async (_req, reply) => {
    void reply.type("text/plain; version=0.0.4");
    return metrics.render(hive.broker, hive.cache);
  });
  app.get("/v1/openapi.json", { schema: { hide: true } }, async () => app.swagger());
  app.get("/v1/openapi.yaml", { schema: { hide: true } }, async (_req, reply) => {
    void reply.type("application/yaml");
    return app.swagger({ yaml: true });
  });
  app.get("/docs", { schema: { hide: true } }, async (_req, reply) => {
    void reply.type("text/html; charset=utf-8");
    return docsPage(app.swagger() as unknown as OpenApiDoc);
  });
  o.mcp?.(app);
  await app.ready();
  return app;
}

export interface OpenApiDoc {
  paths: Record<string, Record<string, { summary?: string; parameters?: Array<{ name: string; in: string; required?: boolean }> }>>;
}
