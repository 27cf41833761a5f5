// JSON schemas of every route: fastify validates requests with them and @fastify/swagger builds
// /v1/openapi.json from the same objects, so the document cannot drift from what is enforced.

export const GatewayResponseSchema = {
  $id: "GatewayResponse",
  type: "object",
  required: ["status", "verb", "path", "end"],
  properties: {
    status: { type: "string", enum: ["OK", "ERR"] },
    verb: { type: "string" },
    path: { type: "string" },
    end: { type: "boolean", const: true },
    lines: { type: "array", items: { type: "string" } },
    bytes: { type: "integer" },
    ack: { type: "string", description: "the console's acknowledgement line (OK …/ERR …), verbatim" },
    seg_id: { type: "string", description: "new segment id after a /queen/telemetry/<device>/ctl write" },
    encoding: { type: "string", enum: ["base64"] },
    data: { type: "string", description: "the file's bytes in base64 when ?encoding=base64" },
    error: { type: "string" },
    uncertain: { type: "boolean", description: "a write that may have reached the guest: read back, do not resend" },
    reason: { type: "string", description: "an authority refusal in the console's words (reason=)" },
    detail: { type: "string", description: "an authority refusal in the console's words (detail=)" },
  },
} as const;

const ref = { $ref: "GatewayResponse#" } as const;
const errors = { 400: ref, 401: ref, 403: ref, 404: ref, 413: ref, 429: ref, 503: ref, 504: ref } as const;
const auth: Array<Record<string, string[]>> = [{ bearer: [] }, { cohesixAuth: [] }];

const pathQ = { type: "string", minLength: 1, description: "absolute namespace path" } as const;
const encodingQ = { type: "string", enum: ["text", "base64"], default: "text" } as const;

export const schemas = {
  bounds: {
    summary: "Manifest bounds (no auth; never queries the hive)",
    tags: ["meta"],
    response: { 200: { type: "object", additionalProperties: true } },
  },
  status: {
    summary: "Upstream connection, broker, cache and authority counters",
    tags: ["meta"],
    security: auth,
    response: { 200: { type: "object", additionalProperties: true }, 401: ref, 403: ref },
  },
  ls: {
    summary: "List a directory (console LS)",
    tags: ["fs"],
    security: auth,
    querystring: { type: "object", additionalProperties: false, required: ["path"], properties: { path: pathQ } },
    response: { 200: ref, ...errors },
  },
  cat: {
    summary: "Read a file (console CAT)",
    tags: ["fs"],
    security: auth,
    querystring: {
      type: "object",
      additionalProperties: false,
      required: ["path", "max_bytes"],
      properties: { path: pathQ, max_bytes: { type: "integer", minimum: 1 }, encoding: encodingQ },
    },
    response: { 200: ref, ...errors },
  },
  tail: {
    summary: "A file's last lines (console TAIL)",
    tags: ["fs"],
    security: auth,
    querystring: {
      type: "object",
      additionalProperties: false,
      required: ["path", "max_bytes"],
      properties: { path: pathQ, max_bytes: { type: "integer", minimum: 1 }, lines: { type: "integer", minimum: 1 }, encoding: encodingQ },
    },
    response: { 200: ref, ...errors },
  },
  echo: {
    summary: "Append one record (console ECHO); never retried by the gateway",
    tags: ["fs"],
    security: auth,
    body: {
      type: "object",
      additionalProperties: false,
      required: ["path", "line"],
      properties: { path: pathQ, line: { type: "string" } },
    },
    response: { 200: ref, ...errors },
  },
  echoBatch: {
    summary: "Append up to echo_batch_max records, in order, on one session",
    tags: ["fs"],
    security: auth,
    body: {
      type: "object",
      additionalProperties: false,
      required: ["path", "lines"],
      properties: { path: pathQ, lines: { type: "array", minItems: 1, items: { type: "string" } } },
    },
    response: { 200: ref, ...errors },
  },
} as const;

export const openapiInfo = {
  openapi: {
    openapi: "3.1.0",
    info: { title: "hive-gateway", version: "0.1.0", description: "REST multiplexer over a Cohesix hive's console (docs/HIVE_GATEWAY.md)" },
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer" },
        cohesixAuth: { type: "apiKey", in: "header", name: "x-cohesix-auth" },
      },
    },
  },
} as const;
