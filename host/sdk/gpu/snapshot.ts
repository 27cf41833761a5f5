// The gpu-bridge-snapshot/v1 wire format (docs/GPU.md, reference §1.2–§1.8): the info JSON bytes,
// the newline-separated payload, the begin/b64:/end publish envelope and the --list JSON. Pure
// functions: the guest (assembly/ninedoor/gpu_snapshot.ts) parses what these produce.

import { createHash } from "node:crypto";
import { MANIFEST } from "../../generated/manifest.js";

export interface GpuInfo {
  id: string;
  name: string;
  memory_mb: number;
  sm_count: number;
  driver_version: string;
  runtime_version: string;
}

export interface ModelEntry {
  id: string;
  /** manifest.toml text, as the registry holds it (trimmed, no trailing newline). */
  manifest: string;
}

export interface Catalogue {
  models: ModelEntry[];
  /** The active model id, or "" for none. */
  active: string;
}

export const SNAPSHOT_SCHEMA = "gpu-bridge-snapshot/v1";

/** /gpu/telemetry/schema.json, compact, exactly the original's bytes. */
export const TELEMETRY_SCHEMA = {
  schema_version: "gpu-telemetry/v1",
  max_record_bytes: 4096,
  required_fields: ["schema_version", "device_id", "model_id", "time_window", "token_count", "latency_histogram"],
  optional_fields: ["lora_id", "confidence", "entropy", "drift", "feedback_flags"],
};
export const TELEMETRY_SCHEMA_JSON = JSON.stringify(TELEMETRY_SCHEMA);

/** The mock inventory (reference §1.1; the guest seeds the same two before any publish). */
export const MOCK_GPUS: readonly GpuInfo[] = [
  { id: "GPU-0", name: "Mock 4090", memory_mb: 24576, sm_count: 144, driver_version: "555.0", runtime_version: "12.4" },
  { id: "GPU-1", name: "Mock 4060", memory_mb: 8192, sm_count: 64, driver_version: "555.0", runtime_version: "12.4" },
];

/** ECHO payload bound minus "b64:", rounded down to a multiple of 4: 124 characters. */
export const CHUNK_CHARS = Math.floor((MANIFEST.console.echo_max - 4) / 4) * 4;

/** The info JSON: 4-space pretty print in the original's key order, no trailing newline. */
export function infoJson(g: GpuInfo): string {
  const o = { id: g.id, name: g.name, memory_mb: g.memory_mb, sm_count: g.sm_count, driver_version: g.driver_version, runtime_version: g.runtime_version };
  return JSON.stringify(o, null, 4);
}

const b64 = (s: string): string => Buffer.from(s, "utf8").toString("base64");

/** The decoded wire payload (reference §1.5); models sorted by id. */
export function wirePayload(gpus: readonly GpuInfo[], cat: Catalogue, schemaJson: string = TELEMETRY_SCHEMA_JSON): string {
  const lines = [`schema ${SNAPSHOT_SCHEMA}`];
  for (const g of gpus) lines.push(`node id=${g.id} info=${b64(infoJson(g))} ctl=${b64(`LEASE ${g.id}\n`)} lease= status=`);
  for (const m of [...cat.models].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))) lines.push(`model id=${m.id} manifest=${b64(m.manifest)}`);
  lines.push(`active id=${cat.active}`);
  lines.push(`telemetry schema=${b64(schemaJson)}`);
  lines.push("end");
  return lines.join("\n") + "\n";
}

export interface Envelope {
  lines: string[];
  bytes: number;
  sha256: string;
}

/** The publish envelope: `begin bytes=N sha256=H`, `b64:` chunks of `chunk` characters, `end`. */
export function envelope(payload: string | Uint8Array, chunk: number = CHUNK_CHARS): Envelope {
  const raw = typeof payload === "string" ? Buffer.from(payload, "utf8") : Buffer.from(payload);
  const sha256 = createHash("sha256").update(raw).digest("hex");
  const all = raw.toString("base64");
  const lines = [`begin bytes=${raw.length} sha256=${sha256}`];
  for (let i = 0; i < all.length; i += chunk) lines.push("b64:" + all.slice(i, i + chunk));
  lines.push("end");
  return { lines, bytes: raw.length, sha256 };
}

/** `gpu-bridge-host --list`: the v1 namespace JSON, 2-space indent. */
export function listJson(gpus: readonly GpuInfo[], cat: Catalogue): string {
  return JSON.stringify(
    {
      nodes: gpus.map((g) => ({ id: g.id, info_payload: infoJson(g), ctl_payload: `LEASE ${g.id}\n`, lease_payload: "", status_payload: "" })),
      models: { active: cat.active, available: [...cat.models].sort((a, b) => (a.id < b.id ? -1 : 1)).map((m) => ({ model_id: m.id, manifest_toml: m.manifest })) },
      telemetry_schema: TELEMETRY_SCHEMA,
    },
    null,
    2,
  );
}
