// Assembles one running gateway from its settings: target, broker, authority, hive, HTTP app.
// Tests start gateways in-process through here; the CLI does the same and adds signals.

import type { FastifyInstance } from "fastify";
import { buildApp } from "./app.js";
import { Authority } from "./auth.js";
import { Broker } from "./broker.js";
import type { GatewayConfig } from "./config.js";
import { mockTarget, tcpTarget, type Target } from "./connect.js";
import { Hive } from "./hive.js";
import { registerMcp } from "./mcp_http.js";

export interface RunningGateway {
  app: FastifyInstance;
  hive: Hive;
  target: Target;
  /** http(s)://host:port actually bound (port 0 resolves to the real one). */
  url: string;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Wait this long for every upstream session before listening (0: listen at once). */
  waitUpMs?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
  listen?: boolean;
}

export async function startGateway(cfg: GatewayConfig, opts: StartOptions = {}): Promise<RunningGateway> {
  const m = cfg.manifest.m;
  const target = cfg.mock ? await mockTarget(m.network.console_port, cfg.mockWasm) : tcpTarget(cfg.tcpHost, cfg.tcpPort);
  const broker = new Broker({
    controlSessions: cfg.controlSessions,
    telemetrySessions: cfg.telemetrySessions,
    controlQueueMax: m.gateway.control_queue_max,
    telemetryQueueMax: m.gateway.telemetry_queue_max,
    session: {
      connector: target.connector,
      authToken: cfg.authToken,
      role: cfg.role,
      ticket: cfg.ticket,
      timeoutMs: m.gateway.response_timeout_ms,
      heartbeatMs: 15_000,
      backoffMs: 200,
      ceilingMs: 2000,
      log: opts.log,
    },
  });
  const authority = new Authority(cfg.requestToken, cfg.role, cfg.manifest);
  const hive = new Hive(broker, cfg.manifest, authority);
  broker.start();
  try {
    if (opts.waitUpMs) await broker.waitUp(opts.waitUpMs);
  } catch (e) {
    // Keep going: the gateway serves 503 until the hive is reachable, and re-attaches itself.
    opts.log?.("upstream not up yet", { error: e instanceof Error ? e.message : String(e) });
  }
  const app = await buildApp({
    hive,
    target,
    https: cfg.tls,
    logger: cfg.logLevel === "silent" ? false : { level: cfg.logLevel, stream: process.stderr },
    mcp: cfg.mcpHttp ? (a) => registerMcp(a, hive) : undefined,
    relay: cfg.relay,
  });
  let url = "";
  if (opts.listen !== false) {
    await app.listen({ host: cfg.bind.host, port: cfg.bind.port });
    const addr = app.server.address();
    const port = addr && typeof addr === "object" ? addr.port : cfg.bind.port;
    const host = cfg.bind.host.includes(":") ? `[${cfg.bind.host}]` : cfg.bind.host;
    url = `${cfg.tls ? "https" : "http"}://${host}:${port}`;
  }
  return {
    app,
    hive,
    target,
    url,
    stop: async () => {
      await app.close();
      await broker.stop();
      await target.stop();
    },
  };
}
