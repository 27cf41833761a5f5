// The host model registry gpu-bridge-host publishes and coh peft writes (docs/GPU.md):
//   <root>/available/<model_id>/manifest.toml   (+ the adapter files coh peft import copied)
//   <root>/active                                "<model_id>\n"
//   <root>/active_state.toml                     current = "…" / previous = "…" (coh peft)
// A missing registry is an empty catalogue; anything malformed is an error naming the file —
// never the original's silent demo catalogue.

import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { parse as parseToml } from "smol-toml";
import { MANIFEST } from "../../generated/manifest.js";
import type { Catalogue, ModelEntry } from "./snapshot.js";

export class RegistryError extends Error {
  override readonly name = "RegistryError";
}

/** A model id as the guest takes it: 1..model_id_max of [A-Za-z0-9._:-], not `.`/`..`. */
export function validModelId(id: string): boolean {
  return id.length > 0 && id.length <= MANIFEST.gpu.model_id_max && id !== "." && id !== ".." && /^[A-Za-z0-9._:-]+$/.test(id);
}

function readText(path: string, max: number): string {
  const b = readFileSync(path);
  if (b.length > max) throw new RegistryError(`${path}: ${b.length} bytes exceeds ${max}`);
  const t = new TextDecoder("utf-8", { fatal: true });
  try {
    return t.decode(b);
  } catch {
    throw new RegistryError(`${path}: not UTF-8`);
  }
}

/** One model's manifest: UTF-8 TOML within the bound whose `[model] id` is the directory's name. */
export function readManifest(root: string, id: string): string {
  const path = join(root, "available", id, "manifest.toml");
  const text = readText(path, MANIFEST.gpu.manifest_max_bytes).trim();
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (e) {
    throw new RegistryError(`${path}: not TOML: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  }
  const model = doc.model as Record<string, unknown> | undefined;
  if (!model || typeof model !== "object" || model.id !== id) throw new RegistryError(`${path}: [model] id must be "${id}" (the directory name)`);
  return text;
}

/** The active pointer: the first non-empty line of `<root>/active`, or "" when there is none. */
export function readActive(root: string): string {
  const path = join(root, "active");
  if (!existsSync(path)) return "";
  const line = readText(path, 4096).split("\n").map((l) => l.trim()).find((l) => l.length > 0) ?? "";
  if (line && !validModelId(line)) throw new RegistryError(`${path}: '${line.slice(0, 64)}' is not a model id`);
  return line;
}

/** The catalogue of `root` (undefined or missing = empty). */
export function loadRegistry(root: string | undefined): Catalogue {
  if (root === undefined || !existsSync(root)) return { models: [], active: "" };
  if (!statSync(root).isDirectory()) throw new RegistryError(`${root}: not a directory`);
  const avail = join(root, "available");
  const models: ModelEntry[] = [];
  if (existsSync(avail)) {
    for (const e of readdirSync(avail, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const at = join(avail, e.name);
      if (!e.isDirectory()) throw new RegistryError(`${at}: not a model directory`);
      if (!validModelId(e.name)) throw new RegistryError(`${at}: '${e.name}' is not a model id (1-${MANIFEST.gpu.model_id_max} of [A-Za-z0-9._:-])`);
      // An import that has not written its manifest yet (coh peft import writes it last) is not a model yet.
      if (!existsSync(join(at, "manifest.toml"))) continue;
      models.push({ id: e.name, manifest: readManifest(root, e.name) });
    }
  }
  if (models.length > MANIFEST.gpu.models_max) throw new RegistryError(`${avail}: ${models.length} models exceeds [gpu] models_max ${MANIFEST.gpu.models_max}`);
  const active = readActive(root);
  if (active && !models.some((m) => m.id === active)) throw new RegistryError(`${join(root, "active")}: active model ${active} is not in ${avail}`);
  return { models, active };
}
