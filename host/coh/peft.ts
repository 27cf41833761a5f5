// coh peft export | import | activate | rollback (reference §2.6): the lifecycle itself lives in
// host/sdk/gpu/peft.ts (host-ticket-agent's peft.* tickets run the same code); coh supplies the
// bounds from its hash-pinned policy, its connection, and its `OK LS`/`OK CAT` audit lines.

import { peftActivate as activate, peftExport as exportJob, peftImport as importModel, peftRollback as rollback, type ActiveState, type ExportResult, type ImportArgs, type ImportResult, type PeftBounds, type PeftHive } from "../sdk/gpu/peft.js";
import { bound, policyString, type Ctx } from "./context.js";

export { BUNDLE } from "../sdk/gpu/peft.js";

function bounds(ctx: Ctx): PeftBounds {
  const n = (k: string): number => bound(ctx.policy, "peft", k);
  return {
    exportRoot: policyString(ctx.policy, "peft", "export_root"),
    registryRoot: policyString(ctx.policy, "peft", "registry_root"),
    maxTelemetryBytes: n("max_telemetry_bytes"),
    maxPolicyBytes: n("max_policy_bytes"),
    maxBaseModelBytes: n("max_base_model_bytes"),
    maxAdapterBytes: n("max_adapter_bytes"),
    maxLoraBytes: n("max_lora_bytes"),
    maxMetricsBytes: n("max_metrics_bytes"),
    maxManifestBytes: n("max_manifest_bytes"),
    maxModelIdBytes: n("max_model_id_bytes"),
    maxStateBytes: n("max_state_bytes"),
  };
}

const hive = (ctx: Ctx): PeftHive => ({ ls: (p) => ctx.ls(p), catBytes: (p, max) => ctx.catBytes(p, max), echo: (p, r) => ctx.echo(p, r) });
const log = (ctx: Ctx) => (l: string): void => ctx.out.line(l);

export const peftExport = (ctx: Ctx, job: string, out: string): Promise<ExportResult> => exportJob(hive(ctx), bounds(ctx), job, out);
export const peftImport = (ctx: Ctx, a: ImportArgs): ImportResult => importModel(bounds(ctx), a, log(ctx));
export const peftActivate = (ctx: Ctx, model: string, registry?: string): Promise<ActiveState> => activate(hive(ctx), bounds(ctx), model, registry, log(ctx));
export const peftRollback = (ctx: Ctx, registry?: string): Promise<ActiveState & { from: string }> => rollback(hive(ctx), bounds(ctx), registry, log(ctx));
