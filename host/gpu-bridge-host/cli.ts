#!/usr/bin/env node
// gpu-bridge-host (docs/GPU.md): the host side of /gpu. It takes the GPU inventory (--mock, or
// the live GPUs through nvidia-smi) and the model registry (--registry DIR), and either prints
// the v1 namespace JSON (--list) or publishes a gpu-bridge-snapshot/v1 to a Queen's
// /gpu/bridge/ctl (--publish; once, or every --interval-ms) over the TCP console, Secure9P or
// hive-gateway (--rest-url). Progress goes to stderr, one summary line per publish to stdout.

import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { MANIFEST } from "../generated/manifest.js";
import { open, type Opened } from "../sdk/open.js";
import { mockInventory, nvidiaSmiInventory, type Inventory } from "../sdk/gpu/inventory.js";
import { publishSnapshot, summaryLine } from "../sdk/gpu/publish.js";
import { loadRegistry } from "../sdk/gpu/registry.js";
import { listJson } from "../sdk/gpu/snapshot.js";
import { resolveSecret, secretFromEnv } from "../sdk/secret.js";

const AUTH_ENV = ["COH_AUTH_TOKEN", "COHSH_AUTH_TOKEN"] as const;
const REST_AUTH_ENV = ["HIVE_GATEWAY_REQUEST_AUTH_TOKEN", "COHSH_REST_AUTH_TOKEN", "COH_REST_AUTH_TOKEN"] as const;

interface Args {
  mock: boolean;
  list: boolean;
  publish: boolean;
  "interval-ms"?: number;
  registry?: string;
  "tcp-host": string;
  "tcp-port": number;
  protocol: "console" | "9p";
  "auth-token"?: string;
  ticket?: string;
  "rest-url"?: string;
  "rest-auth-token"?: string;
  "nvidia-smi": string;
  json: boolean;
}

class UsageError extends Error {}

async function inventory(a: Args): Promise<Inventory> {
  return a.mock ? mockInventory() : nvidiaSmiInventory(a["nvidia-smi"]);
}

async function connect(a: Args): Promise<Opened> {
  const ticket = resolveSecret("--ticket", a.ticket);
  if (a["rest-url"]) {
    const token = a["rest-auth-token"] !== undefined ? resolveSecret("--rest-auth-token", a["rest-auth-token"]) : secretFromEnv("--rest-auth-token", REST_AUTH_ENV);
    const o = await open({ transport: "rest", restUrl: a["rest-url"], restToken: token, tool: "gpu-bridge-host" });
    await o.ns.attach("queen", ticket);
    return o;
  }
  const authToken = a["auth-token"] !== undefined ? resolveSecret("--auth-token", a["auth-token"]) : secretFromEnv("--auth-token", AUTH_ENV);
  if (a.protocol === "9p" && !ticket) throw new UsageError("--protocol 9p: the queen needs --ticket over Secure9P");
  const o = await open({ transport: "tcp", protocol: a.protocol, host: a["tcp-host"], port: a["tcp-port"], authToken, tool: "gpu-bridge-host" });
  try {
    await o.ns.attach("queen", ticket);
  } catch (e) {
    await o.close().catch(() => undefined);
    throw e;
  }
  return o;
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((res) => {
    const t = setTimeout(res, ms);
    signal.addEventListener("abort", () => (clearTimeout(t), res()), { once: true });
  });
}

async function main(argv: string[]): Promise<number> {
  const a = (await yargs(argv)
    .scriptName("gpu-bridge-host")
    .usage("$0 [--mock] [--registry DIR] (--list | --publish [--interval-ms N])\n\nPublishes GPU nodes, the model registry and the telemetry schema into a Queen's /gpu (docs/GPU.md).")
    .option("mock", { type: "boolean", default: false, describe: "the mock inventory (GPU-0 Mock 4090, GPU-1 Mock 4060) instead of nvidia-smi" })
    .option("list", { type: "boolean", default: false, describe: "print the v1 namespace JSON and exit" })
    .option("publish", { type: "boolean", default: false, describe: "publish to the Queen's /gpu/bridge/ctl" })
    .option("interval-ms", { type: "number", describe: "with --publish: re-read the inventory and registry and publish every N ms until SIGINT/SIGTERM" })
    .option("registry", { type: "string", describe: "model registry root (available/<id>/manifest.toml, active); missing = empty catalogue" })
    .option("tcp-host", { type: "string", default: "127.0.0.1" })
    .option("tcp-port", { type: "number", default: MANIFEST.network.console_port })
    .option("protocol", { choices: ["console", "9p"] as const, default: "console" as const, describe: "TCP: the console protocol or Secure9P (which needs --ticket)" })
    .option("auth-token", { type: "string", describe: "console AUTH token, or env:NAME / file:/abs [env COH_AUTH_TOKEN, COHSH_AUTH_TOKEN; default: the manifest's]" })
    .option("ticket", { type: "string", describe: "queen ticket for ATTACH (env:NAME / file:/abs allowed)" })
    .option("rest-url", { type: "string", describe: "publish through hive-gateway at URL instead of TCP" })
    .option("rest-auth-token", { type: "string", describe: "hive-gateway request token [env HIVE_GATEWAY_REQUEST_AUTH_TOKEN, COHSH_REST_AUTH_TOKEN, COH_REST_AUTH_TOKEN]" })
    .option("nvidia-smi", { type: "string", default: "nvidia-smi", describe: "the nvidia-smi binary (found on PATH by default)" })
    .option("json", { type: "boolean", default: false, describe: "machine-readable output: one JSON object per publish (or the --list document)" })
    .strict()
    .help()
    .version(false)
    .fail((msg, err) => {
      throw new UsageError(err ? err.message : msg);
    })
    .parseAsync()) as unknown as Args;

  if (a.list === a.publish) throw new UsageError("give exactly one of --list or --publish");
  if (a["interval-ms"] !== undefined && (!a.publish || !Number.isInteger(a["interval-ms"]) || a["interval-ms"] < 100)) throw new UsageError("--interval-ms needs --publish and an integer >= 100");
  const progress = (l: string): void => void process.stderr.write(`gpu-bridge-host: ${l}\n`);

  if (a.list) {
    const inv = await inventory(a);
    inv.notes.forEach(progress);
    process.stdout.write(listJson(inv.gpus, loadRegistry(a.registry)) + "\n");
    return 0;
  }
  const stop = new AbortController();
  for (const s of ["SIGINT", "SIGTERM"] as const) process.once(s, () => stop.abort());
  const opened = await connect(a);
  try {
    do {
      const inv = await inventory(a);
      inv.notes.forEach(progress);
      const cat = loadRegistry(a.registry);
      progress(`inventory backend=${inv.backend} gpus=${inv.gpus.length} models=${cat.models.length} active=${cat.active || "-"}`);
      const r = await publishSnapshot(opened.ns, inv.gpus, cat, progress);
      process.stdout.write((a.json ? JSON.stringify({ ok: true, ...r }) : summaryLine(r)) + "\n");
      if (a["interval-ms"] === undefined) break;
      await sleep(a["interval-ms"], stop.signal);
    } while (!stop.signal.aborted);
  } finally {
    await opened.close().catch(() => undefined);
  }
  return 0;
}

main(hideBin(process.argv)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const msg = e instanceof Error ? e.message : String(e);
    if (process.argv.includes("--json")) process.stdout.write(JSON.stringify({ ok: false, error: msg }) + "\n");
    process.stderr.write(`gpu-bridge-host: error: ${msg}\n`);
    process.exit(e instanceof UsageError ? 2 : 1);
  },
);
