// The PEFT/LoRA lifecycle (reference §2.6; seed 004's loop), shared by `coh peft` and
// host-ticket-agent's peft.* executors so a ticket and an operator do exactly the same thing:
//   export   — the guest's export bundle (/queen/export/lora_jobs/<job>) pulled to the host,
//              resumable (a file already saved is kept, never overwritten);
//   import   — a trained adapter staged into the model registry, hashes in its manifest.toml,
//              the manifest written last so a reader never sees half a model; re-import refused;
//   activate / rollback — the registry's `active` + `active_state.toml` replaced atomically and
//              the pointer appended to the VM's /gpu/models/active.
// The caller supplies the bounds (coh from its hash-pinned policy, the agent from the generated
// manifest: both are generated from configs/root_task.toml) and a small view of the hive.

import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { MANIFEST } from "../../generated/manifest.js";
import { component, writeAtomic, writeOnce } from "../files.js";
import { validModelId } from "./registry.js";

export class PeftError extends Error {
  override readonly name = "PeftError";
}

export interface PeftBounds {
  exportRoot: string;
  registryRoot: string;
  maxTelemetryBytes: number;
  maxPolicyBytes: number;
  maxBaseModelBytes: number;
  maxAdapterBytes: number;
  maxLoraBytes: number;
  maxMetricsBytes: number;
  maxManifestBytes: number;
  maxModelIdBytes: number;
  maxStateBytes: number;
}

/** The bounds as the generated manifest gives them (the same values coh's policy is generated with). */
export function manifestPeftBounds(registryRoot = "out/model_registry"): PeftBounds {
  return {
    exportRoot: "/queen/export/lora_jobs",
    registryRoot,
    maxTelemetryBytes: MANIFEST.export.telemetry_max_bytes,
    maxPolicyBytes: MANIFEST.export.policy_max_bytes,
    maxBaseModelBytes: MANIFEST.export.base_model_max_bytes,
    maxAdapterBytes: MANIFEST.gpu.peft_adapter_max_bytes,
    maxLoraBytes: MANIFEST.gpu.peft_lora_max_bytes,
    maxMetricsBytes: MANIFEST.gpu.peft_metrics_max_bytes,
    maxManifestBytes: MANIFEST.gpu.manifest_max_bytes,
    maxModelIdBytes: MANIFEST.gpu.model_id_max,
    maxStateBytes: MANIFEST.gpu.peft_state_max_bytes,
  };
}

/** What the lifecycle needs of the hive: listing and reading the export, appending the pointer. */
export interface PeftHive {
  ls(path: string): Promise<string[]>;
  catBytes(path: string, max: number): Promise<Uint8Array>;
  echo(path: string, record: string): Promise<unknown>;
}

export const BUNDLE = ["telemetry.cbor", "base_model.ref", "policy.toml"] as const;

type Log = (line: string) => void;
const quiet: Log = () => undefined;

function checkModel(b: PeftBounds, id: string): void {
  if (!validModelId(id) || Buffer.byteLength(id) > b.maxModelIdBytes) throw new PeftError(`model id '${id.slice(0, 64)}' must be 1-${b.maxModelIdBytes} characters of [A-Za-z0-9._:-]`);
}

function bundleLimit(b: PeftBounds, f: (typeof BUNDLE)[number]): number {
  return f === "telemetry.cbor" ? b.maxTelemetryBytes : f === "base_model.ref" ? b.maxBaseModelBytes : b.maxPolicyBytes;
}

export interface ExportResult {
  job: string;
  files: Record<string, { bytes: number; saved: boolean }>;
}

export async function peftExport(h: PeftHive, b: PeftBounds, job: string, out: string): Promise<ExportResult> {
  if (!component(job)) throw new PeftError(`job '${job}' is not a path component`);
  if (!(await h.ls(b.exportRoot)).includes(job)) throw new PeftError(`export job ${job} not found under ${b.exportRoot}`);
  const names = await h.ls(`${b.exportRoot}/${job}`);
  for (const f of BUNDLE) if (!names.includes(f)) throw new PeftError(`export missing required file ${f}`);
  for (const n of names) if (!(BUNDLE as readonly string[]).includes(n)) throw new PeftError(`export unexpected file ${n}`);
  const files: Record<string, { bytes: number; saved: boolean }> = {};
  for (const f of BUNDLE) {
    const data = await h.catBytes(`${b.exportRoot}/${job}/${f}`, bundleLimit(b, f));
    if (data.length === 0) throw new PeftError(`export file ${f} is empty`);
    files[f] = { bytes: data.length, saved: writeOnce(join(out, job, f), data) };
  }
  return { job, files };
}

function readLimited(path: string, max: number, what: string): Buffer {
  if (!existsSync(path)) throw new PeftError(`missing ${what}: ${path}`);
  const n = statSync(path).size;
  if (n > max) throw new PeftError(`${path}: ${n} bytes exceeds ${max}`);
  const data = readFileSync(path);
  if (data.length === 0) throw new PeftError(`${path} is empty`);
  return data;
}

const sha = (data: Buffer): string => createHash("sha256").update(data).digest("hex");
const q = (s: string): string => JSON.stringify(s); // a TOML basic string (JSON escapes are TOML escapes)

export interface ImportArgs {
  model: string;
  from: string;
  job: string;
  export: string;
  registry?: string;
}

export interface ImportResult {
  model: string;
  manifest: string;
  registry: string;
}

export function peftImport(b: PeftBounds, a: ImportArgs, log: Log = quiet): ImportResult {
  checkModel(b, a.model);
  if (!component(a.job)) throw new PeftError(`job '${a.job}' is not a path component`);
  const reg = a.registry ?? b.registryRoot;
  const jobDir = join(a.export, a.job);
  if (!existsSync(a.from) || !statSync(a.from).isDirectory()) throw new PeftError(`--from ${a.from} is not a directory`);
  if (!existsSync(jobDir) || !statSync(jobDir).isDirectory()) throw new PeftError(`export job directory ${jobDir} not found (coh peft export first)`);
  const manifestPath = join(reg, "available", a.model, "manifest.toml");
  if (existsSync(manifestPath)) throw new PeftError(`model ${a.model} already imported`);
  const baseRef = readLimited(join(jobDir, "base_model.ref"), b.maxBaseModelBytes, "base_model.ref").toString("utf8").split("\n")[0].trim();
  const base = baseRef.startsWith("base_model=") ? baseRef.slice("base_model=".length) : baseRef;
  const policy = readLimited(join(jobDir, "policy.toml"), b.maxPolicyBytes, "policy.toml");
  const telemetry = readLimited(join(jobDir, "telemetry.cbor"), b.maxTelemetryBytes, "telemetry.cbor");
  const staged: Array<{ name: string; bytes: Buffer; sha256: string }> = [];
  const stage = (name: string, max: number): void => {
    const data = readLimited(join(a.from, name), max, name);
    staged.push({ name, bytes: data, sha256: sha(data) });
  };
  stage("adapter.safetensors", b.maxAdapterBytes);
  stage("lora.json", b.maxLoraBytes);
  const hasMetrics = existsSync(join(a.from, "metrics.json"));
  if (hasMetrics) stage("metrics.json", b.maxMetricsBytes);
  try {
    JSON.parse(staged[1].bytes.toString("utf8"));
  } catch {
    throw new PeftError(`${join(a.from, "lora.json")} is not JSON`);
  }
  const m = ["[model]", `id = ${q(a.model)}`, `base = ${q(base)}`, 'adapter = "adapter.safetensors"', 'lora = "lora.json"'];
  if (hasMetrics) m.push('metrics = "metrics.json"');
  m.push("", "[provenance]", `job_id = ${q(a.job)}`, 'approval = "pending"', "", "[hashes]");
  for (const s of staged) {
    const k = s.name.split(".")[0];
    m.push(`${k}_sha256 = ${q(s.sha256)}`, `${k}_bytes = ${s.bytes.length}`);
  }
  m.push(`policy_sha256 = ${q(sha(policy))}`, `policy_bytes = ${policy.length}`, `telemetry_sha256 = ${q(sha(telemetry))}`, `telemetry_bytes = ${telemetry.length}`);
  const manifest = m.join("\n") + "\n";
  if (Buffer.byteLength(manifest) > b.maxManifestBytes) throw new PeftError(`manifest of ${Buffer.byteLength(manifest)} bytes exceeds ${b.maxManifestBytes}`);
  // The adapter files first, the manifest last: a registry reader sees no model until it is whole.
  for (const s of staged) writeAtomic(join(reg, "available", a.model, s.name), s.bytes);
  writeAtomic(manifestPath, manifest);
  log(`peft import model=${a.model} manifest=${manifestPath}`);
  return { model: a.model, manifest: manifestPath, registry: reg };
}

export interface ActiveState {
  current: string;
  previous?: string;
}

function readState(b: PeftBounds, reg: string): ActiveState {
  const path = join(reg, "active_state.toml");
  if (existsSync(path)) {
    const data = readLimited(path, b.maxStateBytes, "active_state.toml");
    let doc: Record<string, unknown>;
    try {
      doc = parseToml(data.toString("utf8")) as Record<string, unknown>;
    } catch (e) {
      throw new PeftError(`${path}: not TOML: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
    }
    for (const k of Object.keys(doc)) if (k !== "current" && k !== "previous") throw new PeftError(`${path}: unknown key ${k}`);
    if (typeof doc.current !== "string" || (doc.previous !== undefined && typeof doc.previous !== "string")) throw new PeftError(`${path}: current (and previous) must be strings`);
    return { current: doc.current, previous: doc.previous as string | undefined };
  }
  const active = join(reg, "active");
  return { current: existsSync(active) ? readFileSync(active, "utf8").split("\n")[0].trim() : "" };
}

function writeState(reg: string, s: ActiveState): void {
  writeAtomic(join(reg, "active"), `${s.current}\n`);
  writeAtomic(join(reg, "active_state.toml"), `current = ${q(s.current)}\n` + (s.previous ? `previous = ${q(s.previous)}\n` : ""));
}

export async function peftActivate(h: PeftHive, b: PeftBounds, model: string, registry?: string, log: Log = quiet): Promise<ActiveState> {
  checkModel(b, model);
  const reg = registry ?? b.registryRoot;
  if (!existsSync(join(reg, "available", model, "manifest.toml"))) throw new PeftError(`model ${model} is not available`);
  const old = readState(b, reg);
  const next: ActiveState = { current: model, previous: old.current && old.current !== model ? old.current : old.previous };
  writeState(reg, next);
  await h.echo("/gpu/models/active", model);
  log(`peft activated model=${model}`);
  return next;
}

export async function peftRollback(h: PeftHive, b: PeftBounds, registry?: string, log: Log = quiet): Promise<ActiveState & { from: string }> {
  const reg = registry ?? b.registryRoot;
  const old = readState(b, reg);
  if (!old.previous) throw new PeftError("no previous model available for rollback");
  if (!existsSync(join(reg, "available", old.previous, "manifest.toml"))) throw new PeftError(`model ${old.previous} is not available`);
  const next: ActiveState = { current: old.previous, previous: old.current };
  writeState(reg, next);
  await h.echo("/gpu/models/active", next.current);
  log(`peft rollback from=${old.current} to=${next.current}`);
  return { ...next, from: old.current };
}
