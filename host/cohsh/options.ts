// cohsh's command line: yargs declares the options (and writes --help); this module turns argv +
// environment into checked values, or one short error naming the option — never the whole help.
// Numbers are parsed here, not by yargs, so `--tcp-port abc` says what is wrong instead of NaN.

import yargs, { type Argv } from "yargs";
import { MANIFEST } from "../generated/manifest.js";
import { parseRole } from "../sdk/ticket/index.js";

export const TRANSPORTS = ["tcp", "mock", "qemu", "rest"] as const;
export const PROTOCOLS = ["console", "9p"] as const;
export type TransportName = (typeof TRANSPORTS)[number];
export type ProtocolName = (typeof PROTOCOLS)[number];

/** Env names per option, first wins (seed 003's names). */
export const ENV = {
  transport: ["COHSH_TRANSPORT"],
  protocol: ["COHSH_PROTOCOL"],
  "tcp-host": ["COHSH_TCP_HOST"],
  "tcp-port": ["COHSH_TCP_PORT"],
  "auth-token": ["COHSH_AUTH_TOKEN"],
  "rest-url": ["COHSH_REST_URL", "COH_REST_URL", "HIVE_GATEWAY_URL"],
  "rest-auth-token": ["COHSH_REST_AUTH_TOKEN", "COH_REST_AUTH_TOKEN", "HIVE_GATEWAY_REQUEST_AUTH_TOKEN"],
  policy: ["COHSH_POLICY"],
  "retry-max-attempts": ["COHSH_RETRY_MAX_ATTEMPTS"],
  "retry-backoff-ms": ["COHSH_RETRY_BACKOFF_MS"],
  "retry-ceiling-ms": ["COHSH_RETRY_CEILING_MS"],
  "retry-timeout-ms": ["COHSH_RETRY_TIMEOUT_MS"],
  "heartbeat-interval-ms": ["COHSH_HEARTBEAT_INTERVAL_MS"],
  "pool-control-sessions": ["COHSH_POOL_CONTROL_SESSIONS"],
  "pool-telemetry-sessions": ["COHSH_POOL_TELEMETRY_SESSIONS"],
  "qemu-bin": ["COHSH_QEMU_BIN"],
  "qemu-out-dir": ["COHSH_QEMU_OUT_DIR"],
  "ticket-secret": ["COHSH_TICKET_SECRET"],
  "ticket-config": ["COHSH_TICKET_CONFIG"],
} as const;

/** Integer options: [min, max]. */
const INTS: Record<string, [number, number]> = {
  "tcp-port": [1, 65535],
  "retry-max-attempts": [1, 100],
  "retry-backoff-ms": [0, 600_000],
  "retry-ceiling-ms": [0, 600_000],
  "retry-timeout-ms": [1, 600_000],
  "heartbeat-interval-ms": [0, 3_600_000],
  "pool-control-sessions": [1, MANIFEST.console.max_sessions - 1],
  "pool-telemetry-sessions": [1, MANIFEST.console.max_sessions - 1],
};

const STRINGS = ["tcp-host", "auth-token", "role", "ticket", "script", "check", "qemu-cpu", "qemu-image", "qemu-bin", "qemu-out-dir", "mock-wasm", "policy", "rest-url", "rest-auth-token", "ticket-subject", "ticket-secret", "ticket-config", "record-trace", "replay-trace"] as const;

export interface CliOptions {
  transport: TransportName;
  protocol: ProtocolName;
  tcpHost: string;
  tcpPort: number;
  authToken?: string;
  role?: string;
  ticket?: string;
  script?: string;
  check?: string;
  json: boolean;
  verbose: boolean;
  qemuGic: 2 | 3;
  qemuCpu: string;
  qemuImage?: string;
  qemuBin?: string;
  qemuOutDir?: string;
  qemuArgs: string[];
  mockWasm?: string;
  policy?: string;
  restUrl?: string;
  restAuthToken?: string;
  /** Explicit values (flag or env); unset ones come from the policy file. */
  retryMaxAttempts?: number;
  retryBackoffMs?: number;
  retryCeilingMs?: number;
  retryTimeoutMs?: number;
  heartbeatMs?: number;
  poolControlSessions?: number;
  poolTelemetrySessions?: number;
  recordTrace?: string;
  replayTrace?: string;
  mintTicket: boolean;
  ticketSubject?: string;
  ticketSecret?: string;
  ticketConfig?: string;
}

export function declare(y: Argv): Argv {
  return y
    .scriptName("cohsh")
    .usage("$0 [options]\n\nThe Cohesix operator shell. Piped stdin is a script; a terminal gets the coh> prompt.")
    .parserConfiguration({ "camel-case-expansion": false, "parse-numbers": false, "parse-positional-numbers": false })
    .option("transport", { type: "string", describe: "where the hive is: tcp | mock (the core in this process) | qemu (boot a guest) | rest (hive-gateway) [env COHSH_TRANSPORT; default tcp]" })
    .option("protocol", { type: "string", describe: "what to speak: console | 9p (Secure9P; the queen needs a ticket) [env COHSH_PROTOCOL; default console]" })
    .option("tcp-host", { type: "string", describe: "[env COHSH_TCP_HOST; default 127.0.0.1]" })
    .option("tcp-port", { type: "string", describe: `[env COHSH_TCP_PORT; default ${MANIFEST.network.console_port}]` })
    .option("auth-token", { type: "string", describe: "console AUTH token [env COHSH_AUTH_TOKEN; default: the manifest's]" })
    .option("rest-url", { type: "string", describe: "--transport rest: hive-gateway URL [env COHSH_REST_URL, COH_REST_URL, HIVE_GATEWAY_URL]" })
    .option("rest-auth-token", { type: "string", describe: "--transport rest: request-auth token [env COHSH_REST_AUTH_TOKEN, COH_REST_AUTH_TOKEN, HIVE_GATEWAY_REQUEST_AUTH_TOKEN]" })
    .option("role", { type: "string", describe: "attach as this role on start" })
    .option("ticket", { type: "string", describe: "ticket for --role (and for a script's attach of that role)" })
    .option("script", { type: "string", describe: "run a .coh script and exit (non-zero on the first failure)" })
    .option("check", { type: "string", describe: "check a .coh script's syntax and exit" })
    .option("json", { type: "boolean", default: false, describe: "--check/--script: print a JSON summary on stdout" })
    .option("qemu-gic-version", { type: "string", describe: "--transport qemu: 2 or 3 [default 3]" })
    .option("qemu-cpu", { type: "string", describe: "--transport qemu [default cortex-a57]" })
    .option("qemu-image", { type: "string", describe: "--transport qemu: boot this image instead of <out>/cohesix.img" })
    .option("qemu-bin", { type: "string", describe: "--transport qemu: the QEMU binary [env COHSH_QEMU_BIN; default qemu-system-aarch64]" })
    .option("qemu-out-dir", { type: "string", describe: "--transport qemu: directory holding cohesix.img [env COHSH_QEMU_OUT_DIR; default out/]" })
    .option("qemu-arg", { type: "string", array: true, describe: "--transport qemu: one extra QEMU argument (repeatable)" })
    .option("mock-wasm", { type: "string", describe: "--transport mock: run this core instead of out/cohesix.wasm" })
    .option("record-trace", { type: "string", describe: "--transport mock: record the session's bytes to FILE (bounded by trace.max_bytes)" })
    .option("replay-trace", { type: "string", describe: "--transport mock: replay FILE instead of running a guest (tampered traces refused)" })
    .option("policy", { type: "string", describe: "client policy file [env COHSH_POLICY; default out/cohsh_policy.toml]" })
    .option("retry-max-attempts", { type: "string", describe: "[env COHSH_RETRY_MAX_ATTEMPTS; default from the policy]" })
    .option("retry-backoff-ms", { type: "string", describe: "[env COHSH_RETRY_BACKOFF_MS; default from the policy]" })
    .option("retry-ceiling-ms", { type: "string", describe: "[env COHSH_RETRY_CEILING_MS; default from the policy]" })
    .option("retry-timeout-ms", { type: "string", describe: "reply timeout per command [env COHSH_RETRY_TIMEOUT_MS; default from the policy]" })
    .option("heartbeat-interval-ms", { type: "string", describe: "idle keepalive, 0 = off [env COHSH_HEARTBEAT_INTERVAL_MS; default from the policy]" })
    .option("pool-control-sessions", { type: "string", describe: "pool bench kind=control sessions [env COHSH_POOL_CONTROL_SESSIONS; default 2]" })
    .option("pool-telemetry-sessions", { type: "string", describe: "pool bench kind=telemetry sessions [env COHSH_POOL_TELEMETRY_SESSIONS; default 4]" })
    .option("mint-ticket", { type: "boolean", default: false, describe: "print a capability ticket for --role and exit" })
    .option("ticket-subject", { type: "string", describe: "--mint-ticket: the worker id or scope the ticket names" })
    .option("ticket-secret", { type: "string", describe: "--mint-ticket: MAC secret [env COHSH_TICKET_SECRET]" })
    .option("ticket-config", { type: "string", describe: "--mint-ticket: a manifest whose [[tickets]] hold the secret [env COHSH_TICKET_CONFIG]" })
    .option("verbose", { alias: "v", type: "boolean", default: false, describe: "progress lines on stderr also in --script mode" })
    .strict()
    .help()
    .version(false);
}

export type Parsed = { kind: "options"; options: CliOptions } | { kind: "help"; text: string } | { kind: "error"; message: string };

function fromEnv(name: keyof typeof ENV, env: NodeJS.ProcessEnv): string | undefined {
  for (const n of ENV[name]) {
    const v = env[n];
    if (v !== undefined && v !== "") return v;
  }
  return undefined;
}

/** The first unknown `--option` of argv, as the user typed it. */
function unknownOption(argv: string[], known: Set<string>): string | undefined {
  for (const a of argv) {
    if (a === "--") break;
    const m = /^--?([^=]+)/.exec(a);
    if (!m || /^-\d/.test(a)) continue;
    const name = m[1].replace(/^no-/, "");
    if (!known.has(name)) return a.split("=")[0];
  }
  return undefined;
}

export async function parseOptions(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<Parsed> {
  let failure: string | null = null;
  let helpText = "";
  const y = declare(yargs(argv))
    .exitProcess(false)
    .fail((msg, err) => {
      failure = msg ?? err?.message ?? "bad arguments";
    });
  const known = new Set<string>([...STRINGS, ...Object.keys(INTS), "transport", "protocol", "json", "qemu-gic-version", "qemu-arg", "mint-ticket", "verbose", "v", "help", "h"]);
  if (argv.includes("--help") || argv.includes("-h")) {
    helpText = await y.getHelp();
    return { kind: "help", text: helpText };
  }
  const unknown = unknownOption(argv, known);
  if (unknown) return { kind: "error", message: `unknown option ${unknown} (see cohsh --help)` };
  const a = (await y.parseAsync()) as Record<string, unknown>;
  if (failure) return { kind: "error", message: `${String(failure).split("\n")[0]} (see cohsh --help)` };
  const positional = (a._ as unknown[]) ?? [];
  if (positional.length > 0) return { kind: "error", message: `unexpected argument '${String(positional[0])}' (cohsh takes only options; see cohsh --help)` };

  const str = (k: string): string | undefined => {
    const v = a[k];
    if (Array.isArray(v)) return v.length ? String(v[v.length - 1]) : undefined;
    return v === undefined ? undefined : String(v);
  };
  // An option given with no value (`--role` last, or `--role --script x`): yargs yields "".
  for (const k of STRINGS) {
    if (a[k] === "") return { kind: "error", message: `--${k} needs a value (see cohsh --help)` };
  }
  const ints: Record<string, number | undefined> = {};
  for (const [k, [min, max]] of Object.entries(INTS)) {
    const flag = str(k);
    const raw = flag ?? (k in ENV ? fromEnv(k as keyof typeof ENV, env) : undefined);
    if (raw === undefined) continue;
    const where = flag !== undefined ? `--${k}` : `${ENV[k as keyof typeof ENV].find((n) => env[n] !== undefined && env[n] !== "")}`;
    if (!/^\d+$/.test(raw)) return { kind: "error", message: `${where} must be a whole number ${min}..${max}, got '${raw}'` };
    const n = Number(raw);
    if (n < min || n > max) return { kind: "error", message: `${where} must be ${min}..${max}, got ${n}` };
    ints[k] = n;
  }

  const legacy9p = str("transport") === "9p";
  const transport = legacy9p ? "tcp" : (str("transport") ?? fromEnv("transport", env) ?? "tcp");
  if (!(TRANSPORTS as readonly string[]).includes(transport)) return { kind: "error", message: `--transport must be one of ${TRANSPORTS.join(", ")}, got '${transport}'` };
  const protocol = legacy9p ? "9p" : (str("protocol") ?? fromEnv("protocol", env) ?? "console");
  if (!(PROTOCOLS as readonly string[]).includes(protocol)) return { kind: "error", message: `--protocol must be console or 9p, got '${protocol}'` };
  if (legacy9p && str("protocol") === "console") return { kind: "error", message: "--transport 9p means --transport tcp --protocol 9p; it cannot be combined with --protocol console" };
  const gic = str("qemu-gic-version") ?? "3";
  if (gic !== "2" && gic !== "3") return { kind: "error", message: `--qemu-gic-version must be 2 or 3, got '${gic}'` };
  const role = str("role");
  if (role !== undefined && !a["mint-ticket"] && parseRole(role) === null) return { kind: "error", message: `--role: unknown role '${role}' (queen, worker-heartbeat, worker, worker-gpu, worker-bus, worker-lora)` };
  const record = str("record-trace");
  const replay = str("replay-trace");
  if ((record || replay) && transport !== "mock") return { kind: "error", message: `--${record ? "record" : "replay"}-trace needs --transport mock` };
  if (record && replay) return { kind: "error", message: "--record-trace and --replay-trace exclude each other" };
  const restUrl = str("rest-url") ?? fromEnv("rest-url", env);
  if (transport === "rest" && !restUrl) return { kind: "error", message: "--transport rest needs --rest-url (or COHSH_REST_URL, COH_REST_URL, HIVE_GATEWAY_URL)" };
  if (transport === "rest" && protocol === "9p") return { kind: "error", message: "--transport rest speaks the gateway's REST API; --protocol 9p does not apply" };
  const qemuArgs = (a["qemu-arg"] as string[] | undefined)?.map(String) ?? [];
  for (const [k, v] of [["qemu-bin", str("qemu-bin")], ["qemu-out-dir", str("qemu-out-dir")], ["qemu-image", str("qemu-image")], ["qemu-cpu", str("qemu-cpu")]] as const) {
    if (v !== undefined && transport !== "qemu") return { kind: "error", message: `--${k} needs --transport qemu` };
  }
  if (qemuArgs.length && transport !== "qemu") return { kind: "error", message: "--qemu-arg needs --transport qemu" };

  return {
    kind: "options",
    options: {
      transport: transport as TransportName,
      protocol: protocol as ProtocolName,
      tcpHost: str("tcp-host") ?? fromEnv("tcp-host", env) ?? "127.0.0.1",
      tcpPort: ints["tcp-port"] ?? MANIFEST.network.console_port,
      authToken: str("auth-token") ?? fromEnv("auth-token", env),
      role,
      ticket: str("ticket"),
      script: str("script"),
      check: str("check"),
      json: a.json === true,
      verbose: a.verbose === true,
      qemuGic: gic === "2" ? 2 : 3,
      qemuCpu: str("qemu-cpu") ?? "cortex-a57",
      qemuImage: str("qemu-image"),
      qemuBin: str("qemu-bin") ?? fromEnv("qemu-bin", env),
      qemuOutDir: str("qemu-out-dir") ?? fromEnv("qemu-out-dir", env),
      qemuArgs,
      mockWasm: str("mock-wasm"),
      policy: str("policy") ?? fromEnv("policy", env),
      restUrl,
      restAuthToken: str("rest-auth-token") ?? fromEnv("rest-auth-token", env),
      retryMaxAttempts: ints["retry-max-attempts"],
      retryBackoffMs: ints["retry-backoff-ms"],
      retryCeilingMs: ints["retry-ceiling-ms"],
      retryTimeoutMs: ints["retry-timeout-ms"],
      heartbeatMs: ints["heartbeat-interval-ms"],
      poolControlSessions: ints["pool-control-sessions"],
      poolTelemetrySessions: ints["pool-telemetry-sessions"],
      recordTrace: record,
      replayTrace: replay,
      mintTicket: a["mint-ticket"] === true,
      ticketSubject: str("ticket-subject"),
      ticketSecret: str("ticket-secret"),
      ticketConfig: str("ticket-config"),
    },
  };
}
