// MCP tools over the same Hive operations as the REST routes: cohesix.ls/cat/tail/status/bounds
// (read-only) and cohesix.echo (destructive). A caller is admitted exactly as a REST caller is;
// an agent cannot write approvals, so it can never approve its own gated write.

import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { CallToolRequestSchema, ErrorCode, ListToolsRequestSchema, McpError } from "@modelcontextprotocol/sdk/types.js";
import type { Caller } from "./auth.js";
import { GatewayError } from "./errors.js";
import type { Hive } from "./hive.js";
import { boundsDocument } from "./manifest.js";
import { GatewayResponseSchema } from "./schemas.js";
import { statusDocument } from "./status.js";

const path = { type: "string", minLength: 1, description: "absolute namespace path" } as const;
const maxBytes = { type: "integer", minimum: 1, description: "largest reply the caller accepts" } as const;
const gatewayOut = { type: "object", properties: GatewayResponseSchema.properties, required: [...GatewayResponseSchema.required] };
const anyOut = { type: "object", additionalProperties: true };

interface ToolDef {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown>;
  annotations: { readOnlyHint: boolean; destructiveHint: boolean; idempotentHint?: boolean };
}

const obj = (props: Record<string, unknown>, required: string[]): Record<string, unknown> => ({ type: "object", properties: props, required, additionalProperties: false });
const ro = { readOnlyHint: true, destructiveHint: false, idempotentHint: true };

export const TOOLS: ToolDef[] = [
  { name: "cohesix.ls", description: "List a directory of the hive's namespace.", inputSchema: obj({ path }, ["path"]), outputSchema: gatewayOut, annotations: ro },
  { name: "cohesix.cat", description: "Read a file of the hive's namespace.", inputSchema: obj({ path, max_bytes: maxBytes }, ["path", "max_bytes"]), outputSchema: gatewayOut, annotations: ro },
  {
    name: "cohesix.tail",
    description: "The last lines of a file (logs, telemetry).",
    inputSchema: obj({ path, max_bytes: maxBytes, lines: { type: "integer", minimum: 1 } }, ["path", "max_bytes"]),
    outputSchema: gatewayOut,
    annotations: ro,
  },
  { name: "cohesix.status", description: "Gateway connection and broker counters.", inputSchema: obj({}, []), outputSchema: anyOut, annotations: ro },
  { name: "cohesix.bounds", description: "The manifest's bounds (path, echo and read limits).", inputSchema: obj({}, []), outputSchema: anyOut, annotations: ro },
  {
    name: "cohesix.echo",
    description: "Append one record to a file (control writes). Subject to the hive's policy gate; agents cannot write approvals.",
    inputSchema: obj({ path, line: { type: "string" } }, ["path", "line"]),
    outputSchema: gatewayOut,
    annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false },
  },
];

export interface McpBounds {
  responseMaxBytes: number;
  timeoutMs: number;
}

type Args = Record<string, unknown>;

function need(args: Args, k: string, kind: "string" | "integer", required: boolean): string | number | undefined {
  const v = args[k];
  if (v === undefined) {
    if (required) throw new McpError(ErrorCode.InvalidParams, `invalid tool arguments: ${k} is required`);
    return undefined;
  }
  if (kind === "string" && typeof v !== "string") throw new McpError(ErrorCode.InvalidParams, `invalid tool arguments: ${k} must be a string`);
  if (kind === "integer" && (typeof v !== "number" || !Number.isInteger(v) || v < 1)) throw new McpError(ErrorCode.InvalidParams, `invalid tool arguments: ${k} must be an integer >= 1`);
  return v as string | number;
}

async function runTool(hive: Hive, caller: Caller, name: string, args: Args): Promise<Record<string, unknown>> {
  const def = TOOLS.find((t) => t.name === name);
  if (!def) throw new McpError(ErrorCode.MethodNotFound, `unknown tool ${name}`);
  const allowed = Object.keys((def.inputSchema as { properties: Record<string, unknown> }).properties);
  const extra = Object.keys(args).find((k) => !allowed.includes(k));
  if (extra) throw new McpError(ErrorCode.InvalidParams, `invalid tool arguments: unknown field ${extra}`);
  switch (name) {
    case "cohesix.ls":
      return { ...(await hive.ls(caller, need(args, "path", "string", true) as string)) };
    case "cohesix.cat":
      return { ...(await hive.cat(caller, need(args, "path", "string", true) as string, need(args, "max_bytes", "integer", true) as number)) };
    case "cohesix.tail":
      return { ...(await hive.tail(caller, need(args, "path", "string", true) as string, need(args, "max_bytes", "integer", true) as number, need(args, "lines", "integer", false) as number | undefined)) };
    case "cohesix.status":
      return statusDocument(hive, { host: "-", port: 0, backend: "console-projection" }, caller);
    case "cohesix.bounds":
      return boundsDocument(hive.manifest);
    default: {
      const p = need(args, "path", "string", true) as string;
      // Approvals are an operator's act: an agent writing one could approve its own gated write.
      if (p === "/actions" || p.startsWith("/actions/") || p === "/policy/ctl") {
        throw new GatewayError(403, `EPERM agents cannot write ${p}: approvals and policy changes come from an operator`);
      }
      return { ...(await hive.echo(caller, p, need(args, "line", "string", true) as string)) };
    }
  }
}

/** One stateless MCP server for one caller (a fresh one per HTTP request, one for stdio). */
export function mcpServer(hive: Hive, caller: Caller, b: McpBounds): Server {
  const server = new Server({ name: "cohesix-hive-gateway", version: "0.1.0" }, { capabilities: { tools: {} }, instructions: "Tools over a Cohesix hive's namespace. Reads are bounded by max_bytes; cohesix.echo appends one record and is never retried." });
  server.setRequestHandler(ListToolsRequestSchema, async () => ({ tools: TOOLS }));
  server.setRequestHandler(CallToolRequestSchema, async (req) => {
    const args = (req.params.arguments ?? {}) as Args;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new McpError(ErrorCode.RequestTimeout, `tool call exceeded ${b.timeoutMs} ms; read back before retrying a write`)), b.timeoutMs);
    });
    let result: { structuredContent: Record<string, unknown>; isError: boolean };
    try {
      const out = await Promise.race([runTool(hive, caller, req.params.name, args), timeout]);
      result = { structuredContent: out, isError: false };
    } catch (e) {
      if (e instanceof McpError) throw e;
      if (!(e instanceof GatewayError)) throw new McpError(ErrorCode.InternalError, e instanceof Error ? e.message : String(e));
      result = { structuredContent: { status: "ERR", verb: req.params.name, path: String(args.path ?? ""), end: true, error: e.message, http_status: e.status, ...(e.extra.uncertain !== undefined ? { uncertain: e.extra.uncertain } : {}) }, isError: true };
    } finally {
      clearTimeout(timer);
    }
    const text = JSON.stringify(result.structuredContent);
    const size = Buffer.byteLength(text) * 2 + 64;
    if (size > b.responseMaxBytes) throw new McpError(-32001, `tool response of ~${size} bytes exceeds ${b.responseMaxBytes} (gateway.mcp_response_max_bytes): ask for a smaller max_bytes`);
    return { content: [{ type: "text", text }], structuredContent: result.structuredContent, isError: result.isError };
  });
  return server;
}
