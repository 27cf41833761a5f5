#!/usr/bin/env node
// coh: the Cohesix host CLI (docs/GPU.md; reference §2). One frame for every subcommand: the
// global flags, the connection and the pinned policy (context.ts), `--json` on each, and one way
// to fail — `ERR <VERB> reason=<text>` as the last line and exit 1 (a run exits with its command's
// code). Subcommands: gpu list|status|lease, run, peft export|import|activate|rollback, telemetry pull,
// mount, doctor (docs/COH.md), evidence pack|timeline|verify (docs/EVIDENCE.md).

import yargs, { type Argv } from "yargs";
import { hideBin } from "yargs/helpers";
import { MANIFEST } from "../generated/manifest.js";
import { NsRefusal } from "../sdk/ns.js";
import { mockInventory, nvidiaSmiInventory } from "../sdk/gpu/inventory.js";
import { publishSnapshot, summaryLine } from "../sdk/gpu/publish.js";
import { loadRegistry } from "../sdk/gpu/registry.js";
import { CohError, Ctx, type GlobalArgs } from "./context.js";
import { gpuLease, gpuList, gpuStatus } from "./gpu.js";
import { peftActivate, peftExport, peftImport, peftRollback } from "./peft.js";
import { run } from "./run.js";
import { telemetryPull } from "./telemetry.js";
import { mountCommand } from "./mount/index.js";
import { doctor } from "./doctor.js";
import { evidenceCommands } from "./evidence/commands.js";

type Handler = (ctx: Ctx, a: Record<string, unknown>) => Promise<unknown>;

class UsageError extends Error {}

/** Runs one subcommand under the frame; sets the process exit code. */
function action(verb: string, h: Handler): (a: Record<string, unknown>) => Promise<void> {
  return async (a) => {
    const g = a as unknown as GlobalArgs;
    let ctx: Ctx | null = null;
    let result: unknown;
    let error: string | undefined;
    let code = 0;
    try {
      ctx = new Ctx(g, verb, { policyOptional: verb === "DOCTOR" });
      result = await h(ctx, a);
      if (typeof result === "object" && result !== null && "exitCode" in result) code = (result as { exitCode: number }).exitCode;
    } catch (e) {
      error = e instanceof NsRefusal ? (e.line ?? e.message) : e instanceof Error ? e.message : String(e);
      const ec = (e as { exitCode?: number }).exitCode;
      code = e instanceof UsageError ? 2 : typeof ec === "number" && ec !== 0 ? ec : 1;
    } finally {
      await ctx?.close();
    }
    const errLine = error !== undefined ? `ERR ${verb} reason=${error.replace(/\s*\n\s*/g, " ")}` : undefined;
    if (g.json) {
      const doc: Record<string, unknown> = { ok: error === undefined, verb, lines: ctx?.out.lines ?? [] };
      if (result !== undefined) doc.result = result;
      if (errLine) doc.error = errLine;
      process.stdout.write(JSON.stringify(doc) + "\n");
    } else if (errLine) process.stdout.write(errLine + "\n");
    process.exitCode = code;
  };
}

const int = (y: Argv, name: string, describe: string, demand = false): Argv => y.option(name, { type: "number", describe, demandOption: demand });

function checkInts(a: Record<string, unknown>, names: string[]): void {
  for (const n of names) {
    const v = a[n];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isInteger(v) || v < 0) throw new UsageError(`--${n} must be a non-negative integer`);
  }
}

async function main(argv: string[]): Promise<void> {
  await yargs(argv)
    .scriptName("coh")
    .usage("$0 <command> [options]\n\nThe Cohesix host CLI (docs/GPU.md).")
    .parserConfiguration({ "populate--": true, "camel-case-expansion": false, "duplicate-arguments-array": false })
    .option("role", { type: "string", default: "queen", describe: "attach as this role" })
    .option("ticket", { type: "string", describe: "ticket for --role (env:NAME / file:/abs allowed)" })
    .option("policy", { type: "string", describe: "pinned coh policy [env COH_POLICY; default out/coh_policy.toml]" })
    .option("host", { type: "string", default: "127.0.0.1", describe: "TCP console host" })
    .option("port", { type: "number", default: MANIFEST.network.console_port, describe: "TCP console port" })
    .option("rest-url", { type: "string", describe: "go through hive-gateway [env COH_REST_URL, HIVE_GATEWAY_URL]; queen only" })
    .option("rest-auth-token", { type: "string", describe: "hive-gateway request token [env COH_REST_AUTH_TOKEN, COHSH_REST_AUTH_TOKEN, HIVE_GATEWAY_REQUEST_AUTH_TOKEN]" })
    .option("auth-token", { type: "string", describe: "console AUTH token, or env:NAME / file:/abs [env COH_AUTH_TOKEN, COHSH_AUTH_TOKEN; default: the manifest's]" })
    .option("mock", { type: "boolean", default: false, describe: "run against the core in this process (a fresh hive each run)" })
    .option("json", { type: "boolean", default: false, describe: "one JSON document on stdout: {ok, verb, lines, result, error}" })
    .command("gpu", "GPUs under /gpu", (y) =>
      y
        .command("list", "every GPU's info", {}, action("GPU", (c) => gpuList(c)))
        .command("status", "a GPU's last status line", (s) => s.option("gpu", { type: "string", demandOption: true }), action("GPU", (c, a) => gpuStatus(c, a.gpu as string)))
        .command(
          "lease",
          "request a GPU lease (a worker-gpu spawn on /queen/ctl)",
          (s) => {
            s.option("gpu", { type: "string", demandOption: true }).option("receipt-out", { type: "string", describe: "write a cohesix-receipt-v1 here" });
            int(s, "mem-mb", "", true);
            int(s, "streams", "", true);
            int(s, "ttl-s", "", true);
            int(s, "priority", "default 0");
            int(s, "budget-ttl-s", "");
            return int(s, "budget-ops", "");
          },
          action("GPU", (c, a) => {
            checkInts(a, ["mem-mb", "streams", "ttl-s", "priority", "budget-ttl-s", "budget-ops"]);
            return gpuLease(c, { gpu: a.gpu as string, memMb: a["mem-mb"] as number, streams: a.streams as number, ttlS: a["ttl-s"] as number, priority: (a.priority as number | undefined) ?? 0, budgetTtlS: a["budget-ttl-s"] as number | undefined, budgetOps: a["budget-ops"] as number | undefined, receiptOut: a["receipt-out"] as string | undefined });
          }),
        )
        .demandCommand(1, "gpu needs list, status or lease"),
    )
    .command(
      "run",
      "run a command under a GPU's active lease: coh run --gpu ID -- CMD…",
      (y) => y.option("gpu", { type: "string", demandOption: true }).option("receipt-out", { type: "string" }),
      action("RUN", async (c, a) => ({ exitCode: await run(c, a.gpu as string, ((a["--"] as unknown[]) ?? []).map(String), a["receipt-out"] as string | undefined) })),
    )
    .command("peft", "the PEFT/LoRA lifecycle", (y) =>
      y
        .command("export", "pull an export job bundle", (s) => s.option("job", { type: "string", demandOption: true }).option("out", { type: "string", demandOption: true }), action("PEFT", (c, a) => peftExport(c, a.job as string, a.out as string)))
        .command(
          "import",
          "stage an adapter into the registry",
          (s) =>
            s
              .option("model", { type: "string", demandOption: true })
              .option("from", { type: "string", demandOption: true })
              .option("job", { type: "string", demandOption: true })
              .option("export", { type: "string", demandOption: true })
              .option("registry", { type: "string" })
              .option("publish", { type: "boolean", default: false, describe: "then publish the registry to /gpu (gpu-bridge-snapshot/v1)" })
              .option("inventory", { choices: ["mock", "nvidia-smi"] as const, default: "nvidia-smi" as const, describe: "--publish: the GPU inventory to publish with it" }),
          action("PEFT", async (c, a) => {
            const r = peftImport(c, { model: a.model as string, from: a.from as string, job: a.job as string, export: a.export as string, registry: a.registry as string | undefined });
            if (!a.publish) return r;
            const inv = a.inventory === "mock" || c.args.mock ? mockInventory() : await nvidiaSmiInventory();
            const p = await publishSnapshot(await c.ns(), inv.gpus, loadRegistry(r.registry));
            c.out.line(summaryLine(p));
            return { ...r, publish: p };
          }),
        )
        .command("activate", "make a model the active one", (s) => s.option("model", { type: "string", demandOption: true }).option("registry", { type: "string" }), action("PEFT", (c, a) => peftActivate(c, a.model as string, a.registry as string | undefined)))
        .command("rollback", "go back to the previous model", (s) => s.option("registry", { type: "string" }), action("PEFT", (c, a) => peftRollback(c, a.registry as string | undefined)))
        .demandCommand(1, "peft needs export, import, activate or rollback"),
    )
    .command("telemetry", "telemetry segments", (y) =>
      y.command("pull", "save every device's segments", (s) => s.option("out", { type: "string", demandOption: true }), action("TELEMETRY", (c, a) => telemetryPull(c, a.out as string))).demandCommand(1, "telemetry needs pull"),
    )
    .command(
      "mount",
      "the hive as a FUSE filesystem (docs/COH.md): coh mount --at DIR | --unmount DIR",
      (y) =>
        y
          .option("at", { type: "string", describe: "mount point (created if missing); stays in the foreground" })
          .option("unmount", { type: "string", describe: "unmount a coh mount left behind at this directory" })
          .option("debug", { type: "boolean", default: false, describe: "log every refused operation (and FUSE's own trace) to stderr" })
          .check((a) => {
            if ((a.at === undefined) === (a.unmount === undefined)) throw new Error("give exactly one of --at DIR and --unmount DIR");
            return true;
          }),
      // Exits once done: the FUSE binding's thread must not keep an unmounted process alive.
      async (a) => {
        await action("MOUNT", (c, x) => mountCommand(c, { at: x.at as string | undefined, unmount: x.unmount as string | undefined, debug: x.debug as boolean }))(a);
        process.exit();
      },
    )
    .command(
      "doctor",
      "check this host: policy, ticket, FUSE, GPU inventory, runtime tools, the hive's reachability and manifest",
      (y) => y.option("nvidia-smi", { type: "string", default: "nvidia-smi", describe: "the nvidia-smi to ask" }),
      action("DOCTOR", (c, a) => doctor(c, { nvidiaSmi: a["nvidia-smi"] as string })),
    )
    .command("evidence", "evidence packs (docs/EVIDENCE.md)", (y) => evidenceCommands(y, action))
    .demandCommand(1, "give a command: gpu, run, peft, telemetry, mount, doctor or evidence")
    .strict()
    .help()
    .version(false)
    .fail((msg, err) => {
      throw new UsageError(err ? err.message : msg);
    })
    .parseAsync();
}

main(hideBin(process.argv)).catch((e: unknown) => {
  const msg = e instanceof Error ? e.message : String(e);
  if (process.argv.includes("--json")) process.stdout.write(JSON.stringify({ ok: false, error: `ERR USAGE reason=${msg}` }) + "\n");
  process.stderr.write(`coh: ${msg}\n`);
  process.exitCode = 2;
});
