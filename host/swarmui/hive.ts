// SwarmUI's one connection to the hive, through the SDK only: the console (TCP), Secure9P or
// hive-gateway REST, or with --mock an in-process core seeded with a demo hive. Also the reads
// the panels make on it (fleet snapshot, namespace browse within the roots, /gpu, telemetry).

import { MANIFEST } from "../generated/manifest.js";
import { clientOn, open, startTransport } from "../sdk/open.js";
import type { Transport } from "../sdk/connect.js";
import { NsRefusal, type NamespaceClient } from "../sdk/ns.js";
import type { SwarmConfig } from "./config.js";
import { mint } from "./mint.js";
import { NAMESPACE_ROOTS, PATHS } from "./settings.js";

export interface Link {
  ns: NamespaceClient;
  role: string;
  subject: string | null;
  close(): Promise<void>;
}

/** The in-process core and its demo seeder (--mock). */
export interface MockHive {
  transport: Transport;
  seeder: NamespaceClient;
  stop(): Promise<void>;
}

/** Starts the core in this process and spawns `workers` heartbeat workers plus one GPU worker. */
export async function startMockHive(workers: number, wasm?: string): Promise<MockHive> {
  const transport = await startTransport({ transport: "mock", mockWasm: wasm });
  const seeder = clientOn(transport, { tool: "swarmui-mock-seeder" });
  await seeder.attach("queen");
  for (let i = 0; i < workers; i++) await seeder.append("/queen/ctl", '{"spawn":"heartbeat","ticks":0}');
  // One GPU worker (its id is forced to worker-gpu by its lease) and one telemetry error line.
  await seeder.append("/queen/ctl", '{"spawn":"gpu","lease":{"gpu_id":"GPU-0","mem_mb":512,"streams":1,"ttl_s":3600}}').catch(() => undefined);
  const ids = await seeder.ls(PATHS.workerRoot);
  if (ids[0]) await seeder.append(`${PATHS.workerRoot}/${ids[0]}/telemetry`, "ERR TELEMETRY reason=quota detail=demo-backpressure").catch(() => undefined);
  return {
    transport,
    seeder,
    stop: async () => {
      await seeder.close().catch(() => undefined);
      await transport.stop();
    },
  };
}

/** Opens SwarmUI's session as `role` on the configured hive (or the mock's transport). */
export async function connect(cfg: SwarmConfig, role: string, ticket: string | undefined, mock: MockHive | null): Promise<Link> {
  const subject = cfg.subject ?? null;
  let ns: NamespaceClient;
  let close: () => Promise<void>;
  if (mock) {
    ns = clientOn(mock.transport, { tool: "swarmui" });
    close = () => ns.close();
  } else if (cfg.transport === "rest") {
    const o = await open({ transport: "rest", restUrl: cfg.restUrl, restToken: cfg.restToken, tool: "swarmui" });
    ns = o.ns;
    close = o.close;
  } else {
    const o = await open({ transport: "tcp", protocol: cfg.transport === "9p" ? "9p" : "console", host: cfg.host, port: cfg.port, authToken: cfg.authToken, tool: "swarmui", heartbeatMs: 0 });
    ns = o.ns;
    close = o.close;
  }
  // Secure9P (and the gateway for a queen) want a ticket: mint one from the configured secrets.
  let t = ticket;
  if (!t && (cfg.transport === "9p" || role !== "queen") && !mock) {
    const m = mint(role, subject ?? undefined, cfg.ticketSecret, cfg.ticketConfig);
    if (m.ok) t = m.ticket;
  }
  try {
    await ns.attach(role, t);
  } catch (e) {
    await close().catch(() => undefined);
    throw e;
  }
  return { ns, role, subject, close };
}

/** A path inside one of the namespace roots (no `..`, no empty components). */
export function withinRoots(path: string, roots: readonly string[] = NAMESPACE_ROOTS): boolean {
  if (!path.startsWith("/") || path.split("/").slice(1).some((c) => c === "" || c === "." || c === "..")) return path === "/";
  return roots.some((r) => path === r || path.startsWith(r + "/"));
}

/** The fleet transcript (reference §5.2): `OK CAT path=/proc/ingest/*`, one line per leaf, one per worker. */
export async function fleetSnapshot(ns: NamespaceClient, role: string): Promise<string[]> {
  if (role !== "queen") throw new NsRefusal({ op: "CAT", reason: "permission", detail: "fleet snapshot is queen only", path: PATHS.procIngestRoot });
  const out = [`OK CAT path=${PATHS.procIngestRoot}/*`];
  for (const leaf of ["p50_ms", "p95_ms", "backpressure", "dropped", "queued"]) {
    const v = (await ns.read(`${PATHS.procIngestRoot}/${leaf}`))[0] ?? "";
    out.push(`${PATHS.procIngestRoot}/${leaf}: ${v.replace(/^[a-z0-9_]+=/, "")}`);
  }
  for (const id of await ns.ls(PATHS.workerRoot)) out.push(`worker=${id}`);
  out.push("END");
  return out;
}

export interface GpuView {
  gpus: Array<{ id: string; info: string; lease: string[]; status: string[] }>;
  bridge: string | null;
}

/** /gpu/*: info JSON, lease and status breadcrumb lines of each GPU, and the bridge status. */
export async function gpuView(ns: NamespaceClient): Promise<GpuView> {
  let names: string[];
  try {
    names = await ns.ls("/gpu");
  } catch (e) {
    if (e instanceof NsRefusal) return { gpus: [], bridge: null };
    throw e;
  }
  const soft = async (p: string): Promise<string[]> => ns.read(p).catch((e: unknown) => (e instanceof NsRefusal ? [] : Promise.reject(e)));
  const gpus: GpuView["gpus"] = [];
  for (const id of names.filter((n) => n.startsWith("GPU-"))) {
    gpus.push({ id, info: (await soft(`/gpu/${id}/info`)).join("\n"), lease: (await soft(`/gpu/${id}/lease`)).slice(-MANIFEST.swarmui.overlay_lines * 4), status: (await soft(`/gpu/${id}/status`)).slice(-MANIFEST.swarmui.detail_lines) });
  }
  const bridge = names.includes("bridge") ? ((await soft("/gpu/bridge/status"))[0] ?? null) : null;
  return { gpus, bridge };
}
