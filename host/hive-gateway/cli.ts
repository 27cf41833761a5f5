// hive-gateway: the REST multiplexer over a Cohesix hive's console. Prints one start-up line on
// stdout once it listens (`--json`: as JSON); logs (pino) go to stderr; SIGTERM/SIGINT stop it.

import { hideBin } from "yargs/helpers";
import { StdioServerTransport } from "@modelcontextprotocol/sdk/server/stdio.js";
import { buildParser, ConfigError, resolveConfig } from "./config.js";
import { startGateway } from "./gateway.js";
import { mcpServer } from "./mcp.js";

async function main(): Promise<number> {
  const argv = await buildParser(hideBin(process.argv)).parseAsync();
  let cfg;
  try {
    cfg = resolveConfig(argv, process.env);
  } catch (e) {
    if (!(e instanceof ConfigError) && !(e instanceof Error)) throw e;
    process.stderr.write(`hive-gateway: ${e.message}\n`);
    return 2;
  }
  const log = (msg: string, fields: Record<string, unknown> = {}): void => {
    if (cfg.logLevel !== "silent") process.stderr.write(JSON.stringify({ level: "info", time: Date.now(), msg, ...fields }) + "\n");
  };
  const gw = await startGateway(cfg, { waitUpMs: 3000, log, listen: !cfg.mcpStdio });
  let stopping = false;
  const stop = async (code: number): Promise<never> => {
    if (!stopping) {
      stopping = true;
      await gw.stop().catch(() => undefined);
    }
    process.exit(code);
  };
  process.once("SIGTERM", () => void stop(143));
  process.once("SIGINT", () => void stop(130));
  if (cfg.mcpStdio) {
    // stdio: the local process is the caller, admitted with the configured token (and ticket).
    const caller = gw.hive.authority.admit({ authorization: `Bearer ${cfg.requestToken}`, ...(process.env.COH_MCP_TICKET ? { "x-cohesix-ticket": process.env.COH_MCP_TICKET } : {}) });
    const server = mcpServer(gw.hive, caller, { responseMaxBytes: cfg.manifest.m.gateway.mcp_response_max_bytes, timeoutMs: cfg.manifest.m.gateway.mcp_timeout_ms });
    const transport = new StdioServerTransport();
    transport.onclose = () => void stop(0);
    process.stdin.on("end", () => void stop(0));
    await server.connect(transport);
    log("hive-gateway serving MCP on stdio");
    return new Promise<number>(() => undefined);
  }
  const line = { listening: gw.url, target: `${gw.target.host}:${gw.target.port}`, backend: gw.target.backend, connected: gw.hive.broker.connected, mcp: cfg.mcpHttp };
  process.stdout.write(cfg.json ? JSON.stringify(line) + "\n" : `hive-gateway listening on ${gw.url} (target ${line.target}, connected=${line.connected}, mcp=${cfg.mcpHttp})\n`);
  return new Promise<number>(() => undefined);
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`hive-gateway: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
