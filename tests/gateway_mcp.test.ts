// MCP on hive-gateway: off by default (the manifest's switch), then a real client session from
// @modelcontextprotocol/sdk over Streamable HTTP (initialize, tools/list, tools/call) and over
// --mcp-stdio, with the Origin, auth, size, concurrency and approval rules.

import { resolve } from "node:path";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningGateway } from "../host/hive-gateway/gateway.js";
import { auth, inProcess, resolvedManifest, TOKEN } from "./helpers/gateway.js";
import { ROOT } from "./helpers/serial.js";

type ToolResult = { structuredContent?: Record<string, unknown>; isError?: boolean; content: Array<{ type: string; text?: string }> };

describe("hive-gateway MCP", () => {
  let manifest: string;
  let gw: RunningGateway;
  let client: Client;

  beforeAll(async () => {
    manifest = resolvedManifest({ mcp_enable: 1 });
    gw = await inProcess(["--mock", "--manifest", manifest]);
    client = new Client({ name: "gateway-test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: auth() } }));
  });
  afterAll(async () => {
    await client?.close();
    await gw?.stop();
  });

  it("is off by default: no /mcp route with the generated manifest", async () => {
    const plain = await inProcess(["--mock"]);
    try {
      const r = await plain.app.inject({ method: "POST", url: "/mcp", headers: auth({ "content-type": "application/json" }), payload: "{}" });
      expect(r.statusCode).toBe(404);
    } finally {
      await plain.stop();
    }
  });

  it("initialize negotiates the current revision and names the server", () => {
    expect(client.getServerVersion()).toMatchObject({ name: "cohesix-hive-gateway" });
    expect(client.getServerCapabilities()).toHaveProperty("tools");
  });

  it("tools/list: six tools with input and output schemas, read-only and destructive annotated", async () => {
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(["cohesix.bounds", "cohesix.cat", "cohesix.echo", "cohesix.ls", "cohesix.status", "cohesix.tail"]);
    for (const t of tools) {
      expect(t.inputSchema.type).toBe("object");
      expect(t.outputSchema?.type).toBe("object");
      const write = t.name === "cohesix.echo";
      expect(t.annotations, t.name).toMatchObject({ readOnlyHint: !write, destructiveHint: write });
    }
  });

  it("tools/call: cat and echo act on the hive; errors are isError results with the reason", async () => {
    const cat = (await client.callTool({ name: "cohesix.cat", arguments: { path: "/proc/lifecycle/state", max_bytes: 64 } })) as ToolResult;
    expect(cat.isError).toBe(false);
    expect(cat.structuredContent).toMatchObject({ status: "OK", verb: "CAT", lines: ["state=ONLINE"] });
    expect(JSON.parse(cat.content[0].text ?? "")).toEqual(cat.structuredContent);
    const e = (await client.callTool({ name: "cohesix.echo", arguments: { path: "/log/queen.log", line: "from-an-agent" } })) as ToolResult;
    expect(e.isError).toBe(false);
    const tail = (await client.callTool({ name: "cohesix.tail", arguments: { path: "/log/queen.log", max_bytes: 65536, lines: 4 } })) as ToolResult;
    expect(tail.structuredContent?.lines).toContain("from-an-agent");
    const missing = (await client.callTool({ name: "cohesix.cat", arguments: { path: "/proc/nothing", max_bytes: 64 } })) as ToolResult;
    expect(missing.isError).toBe(true);
    expect(missing.structuredContent).toMatchObject({ http_status: 404 });
    const b = (await client.callTool({ name: "cohesix.bounds", arguments: {} })) as ToolResult;
    expect(b.structuredContent).toHaveProperty("manifest_sha256");
  });

  it("an agent cannot approve its own write, and bad arguments are refused", async () => {
    const approve = (await client.callTool({ name: "cohesix.echo", arguments: { path: "/actions/queue", line: '{"id":"x","target":"/queen/ctl","decision":"approve"}' } })) as ToolResult;
    expect(approve.isError).toBe(true);
    expect(approve.structuredContent?.error).toBe("EPERM agents cannot write /actions/queue: approvals and policy changes come from an operator");
    await expect(client.callTool({ name: "cohesix.cat", arguments: { path: "/proc/boot" } })).rejects.toThrow(/max_bytes is required/);
    await expect(client.callTool({ name: "cohesix.ls", arguments: { path: "/", extra: 1 } })).rejects.toThrow(/unknown field extra/);
    await expect(client.callTool({ name: "cohesix.nope", arguments: {} })).rejects.toThrow(/unknown tool/);
  });

  it("a response past mcp_response_max_bytes is a JSON-RPC error, not a cut reply", async () => {
    // Fill the log with wide lines, then a tail of all of them exceeds 16 KiB.
    for (let i = 0; i < 64; i++) await gw.hive.echo({ role: "queen", ticketTag: null }, "/log/queen.log", `${i}-${"w".repeat(120)}`);
    await expect(client.callTool({ name: "cohesix.tail", arguments: { path: "/log/queen.log", max_bytes: 200_000 } })).rejects.toThrow(/exceeds 16384 \(gateway.mcp_response_max_bytes\)/);
  });

  it("HTTP edge: Origin, auth, body size and method checks answer JSON-RPC errors", async () => {
    const body = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "tools/list" });
    const h = { "content-type": "application/json", accept: "application/json, text/event-stream" };
    const origin = await fetch(`${gw.url}/mcp`, { method: "POST", headers: { ...h, ...auth(), origin: "http://evil.example" }, body });
    expect(origin.status).toBe(403);
    expect(await origin.json()).toMatchObject({ jsonrpc: "2.0", error: { message: "invalid Origin" } });
    const noauth = await fetch(`${gw.url}/mcp`, { method: "POST", headers: h, body });
    expect(noauth.status).toBe(401);
    expect((await noauth.json()).error.message).toMatch(/^missing request auth token/);
    const big = await fetch(`${gw.url}/mcp`, { method: "POST", headers: { ...h, ...auth() }, body: JSON.stringify({ jsonrpc: "2.0", id: 2, method: "ping", params: { pad: "p".repeat(9000) } }) });
    expect(big.status).toBe(413);
    expect((await big.json()).error).toMatchObject({ code: -32600, message: "MCP request exceeds 8192 bytes (gateway.mcp_request_max_bytes)" });
    const get = await fetch(`${gw.url}/mcp`, { headers: auth() });
    expect(get.status).toBe(405);
    const local = new URL(gw.url);
    const ok = await fetch(`${gw.url}/mcp`, { method: "POST", headers: { ...h, ...auth(), origin: `http://${local.host}`, "mcp-protocol-version": "2025-11-25" }, body });
    expect(ok.status).toBe(200);
  });

  it("more than mcp_concurrency requests at once: the rest get 429 with Retry-After", async () => {
    const h = { "content-type": "application/json", accept: "application/json, text/event-stream", "mcp-protocol-version": "2025-11-25", ...auth() };
    const call = async (i: number, method = "tools/call"): Promise<{ status: number; retryAfter?: string; body: string }> => {
      const params = method === "tools/call" ? { name: "cohesix.tail", arguments: { path: "/log/queen.log", max_bytes: 65536, lines: 1 } } : undefined;
      const r = await fetch(`${gw.url}/mcp`, { method: "POST", headers: h, body: JSON.stringify({ jsonrpc: "2.0", id: i, method, params }) });
      return { status: r.status, retryAfter: r.headers.get("retry-after") ?? undefined, body: await r.text() };
    };
    // A cold process spends its first few dozen MCP requests in the JIT, one at a time; warm up.
    await Promise.all(Array.from({ length: 64 }, (_, i) => call(1000 + i, "ping")));
    const rs = await Promise.all(Array.from({ length: 48 }, (_, i) => call(i)));
    expect(rs.filter((r) => r.status === 200).length).toBeGreaterThanOrEqual(16);
    const limited = rs.filter((r) => r.status === 429);
    expect(limited.length).toBeGreaterThan(0);
    expect(limited[0].retryAfter).toBe("1");
    expect(JSON.parse(limited[0].body).error.message).toBe("MCP concurrency limit (16)");
    expect(rs.every((r) => r.status === 200 || r.status === 429)).toBe(true);
  });

  it("--mcp-stdio: the same tools for a local agent process", async () => {
    const stdio = new Client({ name: "gateway-stdio-test", version: "1.0.0" });
    await stdio.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [resolve(ROOT, "host/bin/hive-gateway.mjs"), "--mock", "--mcp-stdio", "--manifest", manifest, "--log-level", "silent"],
        env: { ...(process.env as Record<string, string>), HIVE_GATEWAY_REQUEST_AUTH_TOKEN: TOKEN },
        stderr: "ignore",
      }),
    );
    try {
      const { tools } = await stdio.listTools();
      expect(tools).toHaveLength(6);
      const r = (await stdio.callTool({ name: "cohesix.ls", arguments: { path: "/" } })) as ToolResult;
      const lines = (r.structuredContent as { lines?: string[] }).lines ?? [];
      expect(lines).toContain("proc");
      expect(r.structuredContent).toMatchObject({ status: "OK", ack: `OK LS path=/ entries=${lines.length}` });
    } finally {
      await stdio.close();
    }
  });
});
