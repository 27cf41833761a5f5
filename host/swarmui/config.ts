// swarmui's settings from flags and the seeds' environment (a flag wins; secrets by reference,
// `env:NAME` / `file:/abs/path`), with the start-up refusals, each one line.

import { readFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import yargs from "yargs";
import { MANIFEST } from "../generated/manifest.js";
import { resolveSecret, secretFromEnv } from "../sdk/secret.js";

export const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");

export type HiveTransport = "console" | "9p" | "rest";

export interface SwarmConfig {
  bind: { host: string; port: number };
  allowNonLoopback: boolean;
  transport: HiveTransport;
  host: string;
  port: number;
  authToken: string;
  restUrl?: string;
  restToken?: string;
  role: string;
  ticket?: string;
  subject?: string;
  mock: boolean;
  mockWorkers: number;
  mockWasm?: string;
  replay?: string;
  offline: boolean;
  dataDir: string;
  open: boolean;
  json: boolean;
  ticketSecret?: string;
  ticketConfig?: string;
  tls?: { cert: Buffer; key: Buffer };
}

export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

export function buildParser(argv: string[]) {
  return yargs(argv)
    .scriptName("swarmui")
    .usage("$0 [options]\n\nSwarmUI: the Live Hive in a browser, read-only (docs/SWARMUI.md).")
    .option("port", { type: "number", describe: "HTTP port (env SWARMUI_PORT; default 8090; 0 = any free port)" })
    .option("bind", { type: "string", describe: "listen address (env SWARMUI_BIND; default 127.0.0.1)" })
    .option("allow-non-loopback-bind", { type: "boolean", default: false, describe: "listen beyond loopback (prefer an ssh tunnel)" })
    .option("tls-cert", { type: "string", describe: "PEM certificate: serve HTTPS (needed with --allow-non-loopback-bind)" })
    .option("tls-key", { type: "string", describe: "PEM private key file, or env:/file: reference to the PEM" })
    .option("open", { type: "boolean", default: false, describe: "open the URL in a browser (xdg-open / open)" })
    .option("mock", { type: "boolean", default: false, describe: "the in-process core with a seeded demo hive (no QEMU)" })
    .option("mock-workers", { type: "number", default: 12, describe: "--mock: heartbeat workers to spawn" })
    .option("mock-wasm", { type: "string", describe: "--mock: run this core instead of out/cohesix.wasm" })
    .option("replay", { type: "string", describe: "replay a hive snapshot or a recorded cohsh transcript (CBOR); relative paths under $DATA_DIR/traces" })
    .option("offline", { type: "boolean", default: false, describe: "start offline: serve only $DATA_DIR/snapshots, never touch the network" })
    .option("data-dir", { type: "string", describe: "snapshots and traces (env DATA_DIR; default out/swarmui/data)" })
    .option("role", { type: "string", default: "queen", describe: "session role" })
    .option("ticket", { type: "string", describe: "session ticket or env:/file: reference (env SWARMUI_TICKET)" })
    .option("ticket-subject", { type: "string", describe: "ticket subject (worker id) for --mint-ticket and worker roles" })
    .option("mint-ticket", { type: "boolean", default: false, describe: "print a ticket for --role and exit (as cohsh --mint-ticket)" })
    .option("ticket-config", { type: "string", describe: "manifest TOML with [[tickets]] secrets (env SWARMUI_TICKET_CONFIG, COHSH_TICKET_CONFIG)" })
    .option("ticket-secret", { type: "string", describe: "ticket secret or env:/file: reference (env SWARMUI_TICKET_SECRET, COHSH_TICKET_SECRET)" })
    .option("json", { type: "boolean", default: false, describe: "print the start-up line (or the ticket) as JSON" })
    .strict()
    .help();
}

type Argv = Awaited<ReturnType<ReturnType<typeof buildParser>["parseAsync"]>>;

export function resolveConfig(a: Argv, env: NodeJS.ProcessEnv): SwarmConfig {
  const sec = (what: string, v: string | undefined): string | undefined => {
    try {
      return resolveSecret(what, v, env);
    } catch (e) {
      throw new ConfigError((e as Error).message);
    }
  };
  const rawT = (env.SWARMUI_TRANSPORT ?? "console").toLowerCase();
  const names: Record<string, HiveTransport> = { console: "console", tcp: "console", "9p": "9p", secure9p: "9p", rest: "rest" };
  const transport: HiveTransport | undefined = names[rawT];
  if (!transport) throw new ConfigError(`SWARMUI_TRANSPORT=${rawT}: expected console|tcp|9p|secure9p|rest`);
  const port = a.port ?? (env.SWARMUI_PORT !== undefined ? Number(env.SWARMUI_PORT) : 8090);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port must be 0..65535, got ${port}`);
  const host = a.bind ?? env.SWARMUI_BIND ?? "127.0.0.1";
  let tls: SwarmConfig["tls"];
  if (a["tls-cert"] || a["tls-key"]) {
    if (!a["tls-cert"] || !a["tls-key"]) throw new ConfigError("--tls-cert and --tls-key go together");
    const key = sec("--tls-key", a["tls-key"]) as string;
    try {
      tls = { cert: readFileSync(a["tls-cert"]), key: key.includes("-----BEGIN") ? Buffer.from(key) : readFileSync(key) };
    } catch (e) {
      throw new ConfigError(`cannot read the TLS certificate or key: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  if (!isLoopback(host) && !(a["allow-non-loopback-bind"] && tls)) {
    // The page's session token must not cross a network in clear: as hive-gateway, HTTPS or loopback.
    throw new ConfigError(`refusing to bind ${host}: non-loopback binds need --allow-non-loopback-bind and --tls-cert/--tls-key (or reach SwarmUI through an ssh tunnel)`);
  }
  const hivePort = Number(env.SWARMUI_9P_PORT ?? MANIFEST.network.console_port);
  if (!Number.isInteger(hivePort) || hivePort < 1 || hivePort > 65535) throw new ConfigError(`SWARMUI_9P_PORT must be 1..65535, got ${env.SWARMUI_9P_PORT}`);
  const restUrl = env.SWARMUI_REST_URL ?? env.COH_REST_URL;
  if (transport === "rest" && !restUrl && !a.mock && !a.replay && !a.offline) throw new ConfigError("SWARMUI_TRANSPORT=rest needs SWARMUI_REST_URL (or COH_REST_URL)");
  const exclusive = [a.mock && "--mock", a.replay && "--replay", a.offline && "--offline", a["mint-ticket"] && "--mint-ticket"].filter(Boolean);
  if (exclusive.length > 1) throw new ConfigError(`${exclusive.join(" and ")} cannot be combined`);
  const mockWorkers = a["mock-workers"];
  if (!Number.isInteger(mockWorkers) || mockWorkers < 0 || mockWorkers > MANIFEST.workers.max) throw new ConfigError(`--mock-workers must be 0..${MANIFEST.workers.max}`);
  const dataDir = resolve(a["data-dir"] ?? env.DATA_DIR ?? join(ROOT, "out/swarmui/data"));
  let replay = a.replay;
  if (replay !== undefined && !isAbsolute(replay)) replay = join(dataDir, "traces", replay);
  return {
    bind: { host, port },
    allowNonLoopback: a["allow-non-loopback-bind"],
    transport,
    host: env.SWARMUI_9P_HOST ?? "127.0.0.1",
    port: hivePort,
    authToken: sec("SWARMUI_AUTH_TOKEN", env.SWARMUI_AUTH_TOKEN ?? env.COHSH_AUTH_TOKEN) ?? MANIFEST.console.auth_token,
    restUrl,
    restToken: (() => {
      try {
        return secretFromEnv("rest auth token", ["SWARMUI_REST_AUTH_TOKEN", "HIVE_GATEWAY_REQUEST_AUTH_TOKEN", "COHSH_REST_AUTH_TOKEN", "COH_REST_AUTH_TOKEN"], env);
      } catch (e) {
        throw new ConfigError((e as Error).message);
      }
    })(),
    role: a.role,
    ticket: sec("--ticket", a.ticket ?? env.SWARMUI_TICKET),
    subject: a["ticket-subject"],
    mock: a.mock,
    mockWorkers,
    mockWasm: a["mock-wasm"],
    replay,
    offline: a.offline,
    dataDir,
    open: a.open,
    json: a.json,
    ticketSecret: sec("--ticket-secret", a["ticket-secret"] ?? env.SWARMUI_TICKET_SECRET ?? env.COHSH_TICKET_SECRET),
    ticketConfig: a["ticket-config"] ?? env.SWARMUI_TICKET_CONFIG ?? env.COHSH_TICKET_CONFIG,
    tls,
  };
}
