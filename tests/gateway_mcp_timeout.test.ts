// MCP's time bound: a tool call whose upstream goes silent ends after gateway.mcp_timeout_ms with
// a JSON-RPC error (-32001) telling the agent to read back before retrying, well before the
// gateway's own reply timeout; the MCP session stays usable. Upstream: FakeConsole.

import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningGateway } from "../host/hive-gateway/gateway.js";
import { FakeConsole } from "./helpers/fake_console.js";
import { auth, inProcess, resolvedManifest } from "./helpers/gateway.js";

describe("hive-gateway MCP time bound", () => {
  let fake: FakeConsole;
  let gw: RunningGateway;
  let client: Client;
  beforeAll(async () => {
    fake = new FakeConsole();
    await fake.listen();
    const manifest = resolvedManifest({ mcp_enable: 1, mcp_timeout_ms: 1000, response_timeout_ms: 10_000 });
    gw = await inProcess(["--auth-token", "changeme", "--tcp-port", String(fake.port), "--manifest", manifest]);
    client = new Client({ name: "gateway-timeout-test", version: "1.0.0" });
    await client.connect(new StreamableHTTPClientTransport(new URL(`${gw.url}/mcp`), { requestInit: { headers: auth() } }));
  });
  afterAll(async () => {
    await client?.close();
    await gw?.stop();
    await fake?.close();
  });

  it("a silent upstream: -32001 after mcp_timeout_ms, then the next call works", async () => {
    expect((await client.callTool({ name: "cohesix.cat", arguments: { path: "/proc/a", max_bytes: 64 } })).isError).toBe(false);
    fake.mode = "silent";
    const t0 = Date.now();
    await expect(client.callTool({ name: "cohesix.echo", arguments: { path: "/log/queen.log", line: "slow" } })).rejects.toThrow(/tool call exceeded 1000 ms; read back before retrying a write/);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThanOrEqual(900);
    expect(took).toBeLessThan(9000);
    fake.mode = "normal";
    // The silent session times out upstream (10 s) and re-attaches; the other lane answers now.
    const r = await client.callTool({ name: "cohesix.cat", arguments: { path: "/proc/b", max_bytes: 64 } });
    expect(r.isError).toBe(false);
  });
});
