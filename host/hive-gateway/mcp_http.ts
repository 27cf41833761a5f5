// POST /mcp: Streamable HTTP, stateless (a fresh server and transport per request, JSON replies,
// no SSE stream, no session ids). Checks in order: Origin, request auth, body size, concurrency;
// each refusal is a JSON-RPC error body with a matching HTTP status.

import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { GatewayError } from "./errors.js";
import type { Hive } from "./hive.js";
import { mcpServer } from "./mcp.js";

function rpcError(reply: FastifyReply, http: number, code: number, message: string, extraHeaders: Record<string, string> = {}): FastifyReply {
  for (const [k, v] of Object.entries(extraHeaders)) void reply.header(k, v);
  return reply.code(http).type("application/json").send({ jsonrpc: "2.0", id: null, error: { code, message } });
}

/** Absent Origin is fine (non-browser clients); a present one must be this loopback host. */
export function originAllowed(origin: string | undefined, host: string | undefined): boolean {
  if (origin === undefined) return true;
  if (!host) return false;
  const h = host.toLowerCase();
  if (!/^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?$/.test(h)) return false;
  return origin.toLowerCase() === `http://${h}` || origin.toLowerCase() === `https://${h}`;
}

export function registerMcp(app: FastifyInstance, hive: Hive): void {
  const g = hive.manifest.m.gateway;
  let inflight = 0;
  const bounds = { responseMaxBytes: g.mcp_response_max_bytes, timeoutMs: g.mcp_timeout_ms };

  const handler = async (req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | void> => {
    const origin = req.headers.origin;
    if (Array.isArray(origin) || !originAllowed(origin, req.headers.host)) return rpcError(reply, 403, -32600, "invalid Origin");
    let caller;
    try {
      caller = hive.authority.admit(req.headers);
    } catch (e) {
      const st = e instanceof GatewayError ? e.status : 401;
      return rpcError(reply, st, -32600, e instanceof Error ? e.message : "request authentication required");
    }
    if (req.method !== "POST") return rpcError(reply, 405, -32600, "stateless MCP: POST only (no SSE stream, no sessions)", { allow: "POST" });
    if (inflight >= g.mcp_concurrency) return rpcError(reply, 429, -32000, `MCP concurrency limit (${g.mcp_concurrency})`, { "retry-after": "1" });
    inflight++;
    // The transport answers after handleRequest returns (the tool call runs on): the request is
    // in flight until its reply is finished or the client went away.
    let released = false;
    const release = (): void => {
      if (!released) inflight--;
      released = true;
    };
    try {
      const server = mcpServer(hive, caller, bounds);
      const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
      await server.connect(transport);
      reply.hijack();
      reply.raw.on("close", () => {
        release();
        void transport.close();
        void server.close();
      });
      await transport.handleRequest(req.raw, reply.raw, req.body);
    } catch (e) {
      release();
      throw e;
    }
  };

  app.register(async (scope) => {
    // A body past the MCP bound is refused as JSON-RPC, not as the REST routes' GatewayResponse.
    scope.setErrorHandler((e, _req, reply) => {
      const err = e instanceof Error ? e : new Error(String(e));
      const status = (err as { statusCode?: number }).statusCode ?? 500;
      if (status === 413) return rpcError(reply, 413, -32600, `MCP request exceeds ${g.mcp_request_max_bytes} bytes (gateway.mcp_request_max_bytes)`);
      if (status === 400 || status === 415) return rpcError(reply, status, -32700, `parse error: ${err.message}`);
      return rpcError(reply, 500, -32603, err.message);
    });
    scope.route({ method: ["POST", "GET", "DELETE"], url: "/mcp", bodyLimit: g.mcp_request_max_bytes, schema: { hide: true }, handler });
  });
}
