// Argument validation per action, with the original's refusals (reference §2.9): unknown field →
// `EPERM unsupported-provider-field <name>`, unknown action → `EPERM unsupported-provider-action`,
// target against arguments → `EPERM provider-target-action-mismatch` / `ambiguous-provider-target`
// / `missing-provider-target`, an alias given with its long form → `EPERM ambiguous-provider-alias`.

import { MANIFEST } from "../generated/manifest.js";
import type { TicketSpec } from "./schema.js";

export class ValidationError extends Error {
  override readonly name = "ValidationError";
}

/** What an executor gets: the entity it acts on and its numeric/string arguments. */
export interface Validated {
  action: string;
  /** unit, container, node or gpu id ("" for docker.status-check without a container). */
  subject: string;
  num: Record<string, number>;
  str: Record<string, string>;
  flag: Record<string, boolean>;
}

const U32 = 4_294_967_295;
const NAME = /^[A-Za-z0-9][A-Za-z0-9:_.@-]{0,127}$/;
const PATHISH = /^[A-Za-z0-9._:/@+-]{1,1024}$/;

interface Family {
  prefix: string;
  /** The args key naming the subject and the target's shape (`/host/systemd/<unit>/<suffix>`). */
  subjectKey: string;
  targetRoot: (mount: string) => string;
  actions: Record<string, { suffix: string; alt?: string; subjectOptional?: boolean; fields: Record<string, "u32" | "priority" | "streams" | "token" | "path" | "bool"> }>;
}

const FAMILIES: Family[] = [
  {
    prefix: "systemd.",
    subjectKey: "unit",
    targetRoot: (m) => `${m}/systemd/`,
    actions: Object.fromEntries(["status-check", "start", "stop", "restart"].map((a) => [a, { suffix: a, fields: {} }])),
  },
  {
    prefix: "docker.",
    subjectKey: "container",
    targetRoot: (m) => `${m}/docker/`,
    actions: {
      "status-check": { suffix: "status-check", subjectOptional: true, fields: {} },
      restart: { suffix: "restart", fields: {} },
      stop: { suffix: "stop", fields: {} },
    },
  },
  {
    prefix: "k8s.",
    subjectKey: "node",
    targetRoot: (m) => `${m}/k8s/node/`,
    // lease.sync: the reference's `lease-sync` suffix, and `status` (the file it syncs), which the
    // Python K8sRbacIntent writes.
    actions: { cordon: { suffix: "cordon", fields: {} }, drain: { suffix: "drain", fields: {} }, "lease.sync": { suffix: "lease-sync", alt: "status", fields: {} } },
  },
  {
    prefix: "gpu.lease.",
    subjectKey: "gpu_id",
    targetRoot: () => "/gpu/",
    actions: {
      grant: { suffix: "", fields: { mem_mb: "u32", streams: "streams", ttl_s: "u32", priority: "priority", budget_ttl_s: "u32", budget_ops: "u32", lease_id: "token", worker_id: "token" } },
      renew: { suffix: "", subjectOptional: true, fields: { lease_id: "token", ttl_s: "u32", priority: "priority" } },
      release: { suffix: "", subjectOptional: true, fields: { lease_id: "token", worker_id: "token" } },
    },
  },
];

const PEFT_ALIASES: Record<string, string> = { job: "job_id", model: "model_id", from: "adapter_dir", export: "export_root", registry: "registry_root", out: "out_dir" };
const PEFT_ACTIONS = ["export", "import", "activate", "rollback"];
// What each PEFT verb cannot run without (the CLI's demandOption flags).
const PEFT_REQUIRED: Record<string, string[]> = { export: ["job_id"], import: ["model_id", "job_id"], activate: ["model_id"], rollback: [] };

function field(kind: string, name: string, v: unknown, out: Validated): void {
  const bad = (why: string): never => {
    throw new ValidationError(`EPERM invalid-provider-field ${name}: ${why}`);
  };
  if (kind === "bool") {
    if (typeof v !== "boolean") bad("must be a boolean");
    out.flag[name] = v as boolean;
    return;
  }
  if (kind === "token" || kind === "path") {
    if (typeof v !== "string" || !(kind === "token" ? NAME : PATHISH).test(v)) bad(kind === "token" ? "must be a token" : "must be a path of [A-Za-z0-9._:/@+-], at most 1024 bytes");
    out.str[name] = v as string;
    return;
  }
  const [lo, hi] = kind === "priority" ? [0, 255] : kind === "streams" ? [1, 255] : [1, U32];
  if (typeof v !== "number" || !Number.isInteger(v) || v < lo || v > hi) bad(`must be an integer in ${lo}..${hi}`);
  out.num[name] = v as number;
}

/** The ticket's arguments checked against its action's table; throws the original's refusal. */
export function validate(spec: TicketSpec, mount: string = MANIFEST.host.mount_at): Validated {
  const args = (spec.args ?? {}) as Record<string, unknown>;
  const out: Validated = { action: spec.action, subject: "", num: {}, str: {}, flag: {} };
  if (spec.action.startsWith("peft.")) {
    const verb = spec.action.slice(5);
    if (!PEFT_ACTIONS.includes(verb)) throw new ValidationError("EPERM unsupported-provider-action");
    if (spec.target !== undefined && spec.target !== "") throw new ValidationError("EPERM provider-target-action-mismatch (a PEFT ticket names no target)");
    const long = new Set([...Object.values(PEFT_ALIASES), "publish"]);
    for (const [k, v] of Object.entries(args)) {
      const name = PEFT_ALIASES[k] ?? k;
      if (!long.has(name)) throw new ValidationError(`EPERM unsupported-provider-field ${k}`);
      if (PEFT_ALIASES[k] && k in args && name in args) throw new ValidationError(`EPERM ambiguous-provider-alias ${k}`);
      field(name === "publish" ? "bool" : name.endsWith("_id") ? "token" : "path", name, v, out);
    }
    if (out.flag.publish !== undefined && verb !== "import") throw new ValidationError(`EPERM unsupported-provider-field publish (only peft.import publishes)`);
    for (const k of PEFT_REQUIRED[verb]) if (out.str[k] === undefined) throw new ValidationError(`EPERM missing-provider-field ${k}`);
    return out;
  }
  const fam = FAMILIES.find((f) => spec.action.startsWith(f.prefix));
  const act = fam?.actions[spec.action.slice(fam.prefix.length)];
  if (!fam || !act) throw new ValidationError("EPERM unsupported-provider-action");
  for (const [k, v] of Object.entries(args)) {
    if (k === fam.subjectKey) continue;
    const kind = act.fields[k];
    if (!kind) throw new ValidationError(`EPERM unsupported-provider-field ${k}`);
    field(kind, k, v, out);
  }
  let fromArgs: string | undefined;
  if (fam.subjectKey in args) {
    const v = args[fam.subjectKey];
    if (typeof v !== "string" || !NAME.test(v)) throw new ValidationError(`EPERM invalid-provider-field ${fam.subjectKey}: must be a token`);
    fromArgs = v;
  }
  let fromTarget: string | undefined;
  if (spec.target !== undefined) {
    const root = fam.targetRoot(mount);
    if (!spec.target.startsWith(root)) throw new ValidationError("EPERM provider-target-action-mismatch");
    const rest = spec.target.slice(root.length).split("/");
    // /host/<provider>/<id>/<suffix>; a GPU target is /gpu/<id>[/…]
    if (act.suffix !== "" && (rest.length !== 2 || (rest[1] !== act.suffix && rest[1] !== act.alt))) throw new ValidationError("EPERM provider-target-action-mismatch");
    if (!NAME.test(rest[0])) throw new ValidationError("EPERM provider-target-action-mismatch");
    fromTarget = rest[0];
  }
  if (fromArgs !== undefined && fromTarget !== undefined && fromArgs !== fromTarget) throw new ValidationError("EPERM ambiguous-provider-target");
  out.subject = fromArgs ?? fromTarget ?? "";
  if (out.subject === "" && !act.subjectOptional) throw new ValidationError("EPERM missing-provider-target");
  return out;
}
