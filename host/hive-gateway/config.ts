// hive-gateway's settings from flags and the seeds' environment (a flag wins), with secrets by
// reference (`env:NAME`, `file:/abs/path`) and the start-up refusals, each a one-line reason.

import { readFileSync } from "node:fs";
import { isAbsolute } from "node:path";
import yargs from "yargs";
import { generatedManifest, loadManifest, type GatewayManifest } from "./manifest.js";
import type { RelaySource } from "./status.js";

export interface GatewayConfig {
  bind: { host: string; port: number };
  tcpHost: string;
  tcpPort: number;
  authToken: string;
  requestToken: string;
  role: string;
  ticket: string;
  controlSessions: number;
  telemetrySessions: number;
  mock: boolean;
  mockWasm?: string;
  manifest: GatewayManifest;
  tls?: { cert: Buffer; key: Buffer };
  mcpHttp: boolean;
  mcpStdio: boolean;
  json: boolean;
  logLevel: string;
  relay: RelaySource;
}

export class ConfigError extends Error {}

const PLACEHOLDERS = new Set(["", "replace-with-real-token", "changeme-request-token", "placeholder"]);
const ROLES = ["queen", "worker", "worker-heartbeat", "worker-gpu", "worker-bus", "worker-lora"];

/** A secret given directly, or by reference: `env:NAME` or `file:/abs/path` (one trailing newline dropped). */
export function resolveSecret(what: string, v: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (v === undefined) return undefined;
  if (v.startsWith("env:")) {
    const name = v.slice(4);
    const x = env[name];
    if (x === undefined) throw new ConfigError(`${what}: environment variable ${name} is not set`);
    return x;
  }
  if (v.startsWith("file:")) {
    const p = v.slice(5);
    if (!isAbsolute(p)) throw new ConfigError(`${what}: file: references need an absolute path, got '${p}'`);
    try {
      return readFileSync(p, "utf8").replace(/\r?\n$/, "");
    } catch (e) {
      throw new ConfigError(`${what}: cannot read ${p}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return v;
}

function truthy(v: string | undefined): boolean {
  return v !== undefined && !["", "0", "false", "off", "no"].includes(v.toLowerCase());
}

export function parseBind(s: string): { host: string; port: number } {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(s);
  if (!m || Number(m[2]) > 65535) throw new ConfigError(`bind address '${s}' must be host:port`);
  return { host: m[1].replace(/^\[|\]$/g, ""), port: Number(m[2]) };
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function buildParser(argv: string[]) {
  return yargs(argv)
    .scriptName("hive-gateway")
    .usage("$0 [options]\n\nREST multiplexer over a Cohesix hive's TCP console (docs/HIVE_GATEWAY.md).")
    .option("bind", { type: "string", describe: "listen address host:port (env HIVE_GATEWAY_BIND; default 127.0.0.1:8080)" })
    .option("tcp-host", { type: "string", describe: "console host (env COH_TCP_HOST; default 127.0.0.1)" })
    .option("tcp-port", { type: "number", describe: "console port (env COH_TCP_PORT; default the manifest's)" })
    .option("auth-token", { type: "string", describe: "console AUTH token or env:/file: reference (env COH_AUTH_TOKEN, COHSH_AUTH_TOKEN)" })
    .option("request-auth-token", { type: "string", describe: "HTTP bearer token or env:/file: reference (env HIVE_GATEWAY_REQUEST_AUTH_TOKEN, COH_REST_AUTH_TOKEN, COHSH_REST_AUTH_TOKEN)" })
    .option("role", { type: "string", describe: "upstream role (env COH_ROLE; default queen)" })
    .option("ticket", { type: "string", describe: "upstream ticket or env:/file: reference (env COH_TICKET)" })
    .option("pool-control-sessions", { type: "number", describe: "control lane sessions (env HIVE_GATEWAY_POOL_CONTROL_SESSIONS; default the manifest's)" })
    .option("pool-telemetry-sessions", { type: "number", describe: "telemetry lane sessions (env HIVE_GATEWAY_POOL_TELEMETRY_SESSIONS; default the manifest's)" })
    .option("allow-non-loopback-bind", { type: "boolean", describe: "listen beyond loopback (needs --tls-cert and --tls-key; env HIVE_GATEWAY_ALLOW_NON_LOOPBACK_BIND)" })
    .option("tls-cert", { type: "string", describe: "PEM certificate: serve HTTPS" })
    .option("tls-key", { type: "string", describe: "PEM private key (or env:/file: reference)" })
    .option("manifest", { type: "string", describe: "take bounds from this manifest file instead of the generated one" })
    .option("mock", { type: "boolean", default: false, describe: "serve the in-process core (no QEMU); demos and CI" })
    .option("mock-wasm", { type: "string", describe: "--mock: run this core instead of out/cohesix.wasm" })
    .option("mcp-stdio", { type: "boolean", default: false, describe: "serve MCP on stdin/stdout (needs the manifest's gateway.mcp_enable = 1)" })
    .option("relay-status", { type: "string", describe: "host-ticket-agent --relay's relay-status.json: live relay counters in /v1/meta/status (env HIVE_GATEWAY_RELAY_STATUS)" })
    .option("log-level", { type: "string", default: "info", choices: ["fatal", "error", "warn", "info", "debug", "silent"] })
    .option("json", { type: "boolean", default: false, describe: "print the start-up line as JSON" })
    .strict()
    .help();
}

/** Flags (already parsed) + environment → settings, or a ConfigError naming the first problem. */
export function resolveConfig(a: Awaited<ReturnType<ReturnType<typeof buildParser>["parseAsync"]>>, env: NodeJS.ProcessEnv): GatewayConfig {
  const manifest = a.manifest ? loadManifest(a.manifest) : generatedManifest();
  const m = manifest.m;
  const bind = parseBind(a.bind ?? env.HIVE_GATEWAY_BIND ?? "127.0.0.1:8080");
  const mock = a.mock === true;
  const authToken = resolveSecret("--auth-token", a["auth-token"] ?? env.COH_AUTH_TOKEN ?? env.COHSH_AUTH_TOKEN, env) ?? (mock ? m.console.auth_token : undefined);
  if (authToken === undefined) throw new ConfigError("no console token: set --auth-token or COH_AUTH_TOKEN (an env:/file: reference is fine)");
  const rawReq = a["request-auth-token"] ?? env.HIVE_GATEWAY_REQUEST_AUTH_TOKEN ?? env.COH_REST_AUTH_TOKEN ?? env.COHSH_REST_AUTH_TOKEN;
  const requestToken = resolveSecret("--request-auth-token", rawReq, env) ?? (mock ? "mock-only-token" : "");
  if (!mock && PLACEHOLDERS.has(requestToken.trim())) {
    throw new ConfigError("request auth token is empty or the insecure placeholder 'replace-with-real-token': set HIVE_GATEWAY_REQUEST_AUTH_TOKEN (or --request-auth-token) to a real secret");
  }
  const role = a.role ?? env.COH_ROLE ?? "queen";
  if (!ROLES.includes(role)) throw new ConfigError(`unknown role '${role}' (one of ${ROLES.join(", ")})`);
  const ticket = resolveSecret("--ticket", a.ticket ?? env.COH_TICKET, env) ?? "";
  if (role !== "queen" && !ticket) throw new ConfigError(`role ${role} needs an upstream ticket (--ticket or COH_TICKET)`);
  const envInt = (k: string): number | undefined => (env[k] !== undefined ? Number(env[k]) : undefined);
  const controlSessions = a["pool-control-sessions"] ?? envInt("HIVE_GATEWAY_POOL_CONTROL_SESSIONS") ?? m.gateway.control_sessions;
  const telemetrySessions = a["pool-telemetry-sessions"] ?? envInt("HIVE_GATEWAY_POOL_TELEMETRY_SESSIONS") ?? m.gateway.telemetry_sessions;
  for (const [k, v] of [
    ["--pool-control-sessions", controlSessions],
    ["--pool-telemetry-sessions", telemetrySessions],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new ConfigError(`${k} must be a whole number >= 1, got ${v}`);
  }
  const slots = m.console.max_sessions - 1;
  if (controlSessions + telemetrySessions > slots) {
    throw new ConfigError(`pool of ${controlSessions}+${telemetrySessions} sessions exceeds console.max_sessions - 1 = ${slots} (one slot stays free for an operator's cohsh)`);
  }
  const tcpPort = a["tcp-port"] ?? envInt("COH_TCP_PORT") ?? m.network.console_port;
  if (!Number.isInteger(tcpPort) || tcpPort < 1 || tcpPort > 65535) throw new ConfigError(`--tcp-port must be 1..65535, got ${tcpPort}`);
  const allowWide = a["allow-non-loopback-bind"] ?? truthy(env.HIVE_GATEWAY_ALLOW_NON_LOOPBACK_BIND);
  let tls: GatewayConfig["tls"];
  if (a["tls-cert"] || a["tls-key"]) {
    if (!a["tls-cert"] || !a["tls-key"]) throw new ConfigError("--tls-cert and --tls-key go together");
    const key = resolveSecret("--tls-key", a["tls-key"], env) as string;
    try {
      tls = { cert: readFileSync(a["tls-cert"]), key: key.includes("-----BEGIN") ? Buffer.from(key) : readFileSync(key) };
    } catch (e) {
      throw new ConfigError(`cannot read the TLS certificate or key: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (!isLoopback(bind.host) && !(allowWide && tls)) {
    throw new ConfigError(`refusing to bind ${bind.host}: non-loopback binds need --allow-non-loopback-bind and --tls-cert/--tls-key (HTTPS)`);
  }
  // The original's start-up seeds, used while no relay-status file is readable.
  const seed = (k: string): number => {
    const v = env[`HIVE_GATEWAY_RELAY_${k}`];
    if (v === undefined) return 0;
    if (!/^\d+$/.test(v)) throw new ConfigError(`HIVE_GATEWAY_RELAY_${k} must be a whole number >= 0, got '${v}'`);
    return Number(v);
  };
  const relayFile = a["relay-status"] ?? env.HIVE_GATEWAY_RELAY_STATUS;
  const relay: RelaySource = { file: relayFile, seeds: { queue_depth: seed("QUEUE_DEPTH"), deduped: seed("DEDUPED"), remote_write_failures: seed("REMOTE_WRITE_FAILURES") } };
  const mcpOn = m.gateway.mcp_enable === 1 && env.HIVE_GATEWAY_MCP_ENABLED !== "false";
  if (a["mcp-stdio"] && !mcpOn) throw new ConfigError("--mcp-stdio: MCP is off in the manifest (gateway.mcp_enable = 0)");
  return {
    bind,
    tcpHost: a["tcp-host"] ?? env.COH_TCP_HOST ?? "127.0.0.1",
    tcpPort,
    authToken,
    requestToken,
    role: role === "worker" ? "worker-heartbeat" : role,
    ticket,
    controlSessions,
    telemetrySessions,
    mock,
    mockWasm: a["mock-wasm"],
    manifest,
    tls,
    mcpHttp: mcpOn,
    mcpStdio: a["mcp-stdio"] === true,
    json: a.json === true,
    logLevel: a["log-level"] ?? "info",
    relay,
  };
}
