// coh peft export | import | activate | rollback (reference §2.6; seed 004's LoRA loop): the
// export bundle pulled to the host, a trained adapter staged into the model registry with its
// hashes in the manifest, and the registry's active pointer moved (and mirrored into the VM's
// /gpu/models/active). Every local write is atomic; nothing already there is overwritten.

import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { validModelId } from "../sdk/gpu/registry.js";
import { bound, CohError, policyString, type Ctx } from "./context.js";
import { component, writeAtomic, writeOnce } from "./files.js";

export const BUNDLE = ["telemetry.cbor", "base_model.ref", "policy.toml"] as const;

function registryRoot(ctx: Ctx, dir: string | undefined): string {
  return dir ?? policyString(ctx.policy, "peft", "registry_root");
}

function checkModel(ctx: Ctx, id: string): void {
  if (!validModelId(id) || Buffer.byteLength(id) > bound(ctx.policy, "peft", "max_model_id_bytes")) throw new CohError(`model id '${id.slice(0, 64)}' must be 1-${bound(ctx.policy, "peft", "max_model_id_bytes")} characters of [A-Za-z0-9._:-]`);
}

const LIMIT: Record<(typeof BUNDLE)[number], string> = { "telemetry.cbor": "max_telemetry_bytes", "base_model.ref": "max_base_model_bytes", "policy.toml": "max_policy_bytes" };

export async function peftExport(ctx: Ctx, job: string, out: string): Promise<{ job: string; files: Record<string, { bytes: number; saved: boolean }> }> {
  if (!component(job)) throw new CohError(`job '${job}' is not a path component`);
  const root = policyString(ctx.policy, "peft", "export_root");
  if (!(await ctx.ls(root)).includes(job)) throw new CohError(`export job ${job} not found under ${root}`);
  const names = await ctx.ls(`${root}/${job}`);
  for (const f of BUNDLE) if (!names.includes(f)) throw new CohError(`export missing required file ${f}`);
  for (const n of names) if (!(BUNDLE as readonly string[]).includes(n)) throw new CohError(`export unexpected file ${n}`);
  const files: Record<string, { bytes: number; saved: boolean }> = {};
  for (const f of BUNDLE) {
    const b = await ctx.catBytes(`${root}/${job}/${f}`, bound(ctx.policy, "peft", LIMIT[f]));
    if (b.length === 0) throw new CohError(`export file ${f} is empty`);
    files[f] = { bytes: b.length, saved: writeOnce(join(out, job, f), b) };
  }
  return { job, files };
}

interface Staged {
  name: string;
  bytes: Buffer;
  sha256: string;
}

function readLimited(path: string, max: number, what: string): Buffer {
  if (!existsSync(path)) throw new CohError(`missing ${what}: ${path}`);
  const n = statSync(path).size;
  if (n > max) throw new CohError(`${path}: ${n} bytes exceeds ${max}`);
  const b = readFileSync(path);
  if (b.length === 0) throw new CohError(`${path} is empty`);
  return b;
}

const sha = (b: Buffer): string => createHash("sha256").update(b).digest("hex");
const q = (s: string): string => JSON.stringify(s); // a TOML basic string (JSON escapes are TOML escapes)

export interface ImportArgs {
  model: string;
  from: string;
  job: string;
  export: string;
  registry?: string;
}

export function peftImport(ctx: Ctx, a: ImportArgs): { model: string; manifest: string; registry: string } {
  checkModel(ctx, a.model);
  if (!component(a.job)) throw new CohError(`job '${a.job}' is not a path component`);
  const reg = registryRoot(ctx, a.registry);
  const jobDir = join(a.export, a.job);
  if (!existsSync(a.from) || !statSync(a.from).isDirectory()) throw new CohError(`--from ${a.from} is not a directory`);
  if (!existsSync(jobDir) || !statSync(jobDir).isDirectory()) throw new CohError(`export job directory ${jobDir} not found (coh peft export first)`);
  const manifestPath = join(reg, "available", a.model, "manifest.toml");
  if (existsSync(manifestPath)) throw new CohError(`model ${a.model} already imported`);
  const P = ctx.policy;
  const baseRef = readLimited(join(jobDir, "base_model.ref"), bound(P, "peft", "max_base_model_bytes"), "base_model.ref").toString("utf8").split("\n")[0].trim();
  const base = baseRef.startsWith("base_model=") ? baseRef.slice("base_model=".length) : baseRef;
  const policy = readLimited(join(jobDir, "policy.toml"), bound(P, "peft", "max_policy_bytes"), "policy.toml");
  const telemetry = readLimited(join(jobDir, "telemetry.cbor"), bound(P, "peft", "max_telemetry_bytes"), "telemetry.cbor");
  const staged: Staged[] = [];
  const stage = (name: string, key: string): void => {
    const b = readLimited(join(a.from, name), bound(P, "peft", key), name);
    staged.push({ name, bytes: b, sha256: sha(b) });
  };
  stage("adapter.safetensors", "max_adapter_bytes");
  stage("lora.json", "max_lora_bytes");
  const hasMetrics = existsSync(join(a.from, "metrics.json"));
  if (hasMetrics) stage("metrics.json", "max_metrics_bytes");
  try {
    JSON.parse(staged[1].bytes.toString("utf8"));
  } catch {
    throw new CohError(`${join(a.from, "lora.json")} is not JSON`);
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
  if (Buffer.byteLength(manifest) > bound(P, "peft", "max_manifest_bytes")) throw new CohError(`manifest of ${Buffer.byteLength(manifest)} bytes exceeds ${bound(P, "peft", "max_manifest_bytes")}`);
  // The adapter files first, the manifest last: a registry reader sees no model until it is whole.
  for (const s of staged) writeAtomic(join(reg, "available", a.model, s.name), s.bytes);
  writeAtomic(manifestPath, manifest);
  ctx.out.line(`peft import model=${a.model} manifest=${manifestPath}`);
  return { model: a.model, manifest: manifestPath, registry: reg };
}

interface State {
  current: string;
  previous?: string;
}

function readState(ctx: Ctx, reg: string): State {
  const path = join(reg, "active_state.toml");
  if (existsSync(path)) {
    const b = readLimited(path, bound(ctx.policy, "peft", "max_state_bytes"), "active_state.toml");
    let doc: Record<string, unknown>;
    try {
      doc = parseToml(b.toString("utf8")) as Record<string, unknown>;
    } catch (e) {
      throw new CohError(`${path}: not TOML: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
    }
    for (const k of Object.keys(doc)) if (k !== "current" && k !== "previous") throw new CohError(`${path}: unknown key ${k}`);
    if (typeof doc.current !== "string" || (doc.previous !== undefined && typeof doc.previous !== "string")) throw new CohError(`${path}: current (and previous) must be strings`);
    return { current: doc.current, previous: doc.previous as string | undefined };
  }
  const active = join(reg, "active");
  return { current: existsSync(active) ? readFileSync(active, "utf8").split("\n")[0].trim() : "" };
}

function writeState(reg: string, s: State): void {
  writeAtomic(join(reg, "active"), `${s.current}\n`);
  writeAtomic(join(reg, "active_state.toml"), `current = ${q(s.current)}\n` + (s.previous ? `previous = ${q(s.previous)}\n` : ""));
}

export async function peftActivate(ctx: Ctx, model: string, registry?: string): Promise<State> {
  checkModel(ctx, model);
  const reg = registryRoot(ctx, registry);
  if (!existsSync(join(reg, "available", model, "manifest.toml"))) throw new CohError(`model ${model} is not available`);
  const old = readState(ctx, reg);
  const next: State = { current: model, previous: old.current && old.current !== model ? old.current : old.previous };
  writeState(reg, next);
  await ctx.echo("/gpu/models/active", model);
  ctx.out.line(`peft activated model=${model}`);
  return next;
}

export async function peftRollback(ctx: Ctx, registry?: string): Promise<State & { from: string }> {
  const reg = registryRoot(ctx, registry);
  const old = readState(ctx, reg);
  if (!old.previous) throw new CohError("no previous model available for rollback");
  if (!existsSync(join(reg, "available", old.previous, "manifest.toml"))) throw new CohError(`model ${old.previous} is not available`);
  const next: State = { current: old.previous, previous: old.current };
  writeState(reg, next);
  await ctx.echo("/gpu/models/active", next.current);
  ctx.out.line(`peft rollback from=${old.current} to=${next.current}`);
  return { ...next, from: old.current };
}
