// peft.export | import | activate | rollback tickets (reference §2.9, v1 arguments): the same
// lifecycle code as `coh peft` (host/sdk/gpu/peft.ts), run in the agent — not shelled out.
// A ticket may name its directories (`out_dir`, `adapter_dir`, `export_root`, `registry_root`),
// but only inside the roots the agent was started with: a ticket is remote input and must not be
// able to make the agent write (or read adapters from) anywhere else on the host.

import { isAbsolute, join, relative, resolve } from "node:path";
import { loadRegistry } from "../sdk/gpu/registry.js";
import { manifestPeftBounds, peftActivate, peftExport, peftImport, peftRollback, PeftError, type PeftHive } from "../sdk/gpu/peft.js";
import { publishSnapshot } from "../sdk/gpu/publish.js";
import { mockInventory, nvidiaSmiInventory } from "../sdk/gpu/inventory.js";
import type { NamespaceClient } from "../sdk/ns.js";
import type { TicketSpec } from "./schema.js";
import type { Validated } from "./validate.js";

/** Where PEFT tickets may read and write on this host (the agent's --*-root flags). */
export interface PeftPlaces {
  registryRoot: string;
  exportRoot: string;
  adapterRoot: string;
  /** The GPU inventory a `publish: true` import sends with the registry. */
  inventory: "mock" | "nvidia-smi";
}

export const DEFAULT_PEFT_PLACES: PeftPlaces = { registryRoot: "out/model_registry", exportRoot: "out/peft_exports", adapterRoot: "out/peft_adapters", inventory: "nvidia-smi" };

/** Thrown for a refusal the receipt should carry verbatim (the executor's ExecError is the caller's). */
export class PeftTicketError extends Error {
  override readonly name = "PeftTicketError";
}

/** A ticket's directory argument resolved inside `root` (relative names are taken under it). */
export function inside(root: string, field: string, given: string | undefined, fallback?: string): string {
  const base = resolve(root);
  if (given === undefined) return fallback ?? base;
  const p = isAbsolute(given) ? resolve(given) : resolve(base, given);
  const rel = relative(base, p);
  if (rel.startsWith("..") || isAbsolute(rel)) throw new PeftTicketError(`EPERM invalid-provider-field ${field}: ${given} is outside the agent's root ${base}`);
  return p;
}

function hiveOf(ns: NamespaceClient): PeftHive {
  return {
    ls: (p) => ns.ls(p),
    catBytes: async (p, max) => {
      const b = await ns.readBytes(p);
      if (b.length > max) throw new PeftError(`${p}: ${b.length} bytes exceeds max bytes ${max}`);
      return b;
    },
    echo: (p, r) => ns.append(p, r),
  };
}

/** Runs one validated peft.* ticket; resolves with the receipt's message. */
export async function runPeft(spec: TicketSpec, v: Validated, ns: NamespaceClient, places: PeftPlaces): Promise<string> {
  const verb = spec.action.slice("peft.".length);
  const s = v.str;
  const registry = inside(places.registryRoot, "registry_root", s.registry_root);
  const bounds = manifestPeftBounds(registry);
  const hive = hiveOf(ns);
  if (verb === "export") {
    const out = inside(places.exportRoot, "out_dir", s.out_dir);
    const r = await peftExport(hive, bounds, s.job_id, out);
    const saved = Object.values(r.files).filter((f) => f.saved).length;
    return `exported job=${r.job} files=${Object.keys(r.files).length} saved=${saved}`;
  }
  if (verb === "import") {
    const exportRoot = inside(places.exportRoot, "export_root", s.export_root);
    const from = inside(places.adapterRoot, "adapter_dir", s.adapter_dir, join(resolve(places.adapterRoot), s.job_id));
    const r = peftImport(bounds, { model: s.model_id, job: s.job_id, from, export: exportRoot, registry });
    if (!v.flag.publish) return `imported model=${r.model}`;
    const inv = places.inventory === "mock" ? mockInventory() : await nvidiaSmiInventory();
    const p = await publishSnapshot(ns, inv.gpus, loadRegistry(registry));
    return `imported model=${r.model} published bytes=${p.bytes} sha256=${p.sha256.slice(0, 12)} gpus=${p.gpus} models=${p.models}`;
  }
  if (verb === "activate") {
    const st = await peftActivate(hive, bounds, s.model_id, registry);
    return `activated model=${st.current}${st.previous ? ` previous=${st.previous}` : ""}`;
  }
  const st = await peftRollback(hive, bounds, registry);
  return `rollback from=${st.from} to=${st.current}`;
}
