#!/usr/bin/env node
// coh-rtc: compiles configs/root_task.toml into constants for the core (AssemblyScript), the
// host tools (TypeScript) and the shim (C), plus the resolved manifest JSON and its sha256; and
// the protocol spec (protocol.ts: roles, 9P table, errors, verbs, lifecycle) into the same three.
//
//   coh-rtc [manifest] [--check] [--json]
//     --check   write nothing; exit 1 and name every file that would change

import { mkdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "smol-toml";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { emitProcTests } from "./proc_tests.js";
import { checkProtocol, emitProtocolAssembly, emitProtocolC, emitProtocolHost } from "./emit_protocol.js";
import { emitPython } from "./emit_py.js";
import { docSnippets, emitAssembly, emitC, emitCohPolicy, emitCohshPolicy, emitHost, emitQemuEnv, resolvedJson, sha256, spliceSnippets } from "./emit.js";
import { validate } from "./schema.js";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

interface Outcome {
  ok: boolean;
  manifest: string;
  sha256?: string;
  errors?: Array<{ path: string; message: string }>;
  changed?: string[];
  written?: string[];
}

/**
 * `outRoot` (default: the repository) is where outputs are written; a separate tree lets tests
 * build a second core from another manifest without touching the committed files.
 */
export function compile(manifestPath: string, check: boolean, outRoot: string = root): Outcome {
  const rel = relative(root, manifestPath);
  let raw: Record<string, unknown>;
  try {
    raw = parse(readFileSync(manifestPath, "utf8")) as Record<string, unknown>;
  } catch (e) {
    return { ok: false, manifest: rel, errors: [{ path: "", message: e instanceof Error ? e.message : String(e) }] };
  }
  const { manifest, errors } = validate(raw);
  if (!manifest) return { ok: false, manifest: rel, errors };
  const spec = checkProtocol();
  if (spec.length > 0) return { ok: false, manifest: rel, errors: spec.map((message) => ({ path: "host/coh-rtc/protocol.ts", message })) };
  const json = resolvedJson(manifest);
  const sha = sha256(json);
  const committed: Array<[string, string]> = [
    ["assembly/generated/manifest.ts", emitAssembly(manifest, sha)],
    ["host/generated/manifest.ts", emitHost(manifest, sha)],
    ["seL4-shim/generated/manifest.h", emitC(manifest, sha)],
    ["qemu/manifest.env", emitQemuEnv(manifest, sha)],
    ["assembly/generated/proc_tests.ts", emitProcTests(resolve(root, "configs/proc_tests"))],
    ["assembly/generated/protocol.ts", emitProtocolAssembly()],
    ["host/generated/protocol.ts", emitProtocolHost()],
    ["seL4-shim/generated/protocol.h", emitProtocolC()],
    ["tools/cohesix-py/cohesix/generated.py", emitPython(manifest, sha)],
  ];
  // Docs carrying generated snippets are outputs too: their regions are rewritten in place.
  const snippets = docSnippets(manifest, sha);
  for (const doc of ["docs/MANIFEST.md", "docs/NAMESPACE.md", "docs/CONSOLE.md", "docs/SWARMUI.md"]) {
    const abs = resolve(root, doc);
    if (existsSync(abs) && outRoot === root) committed.push([doc, spliceSnippets(readFileSync(abs, "utf8"), snippets)]);
  }
  const changed = committed.filter(([p, text]) => !existsSync(resolve(outRoot, p)) || readFileSync(resolve(outRoot, p), "utf8") !== text).map(([p]) => p);
  if (check) return { ok: changed.length === 0, manifest: rel, sha256: sha, changed };
  const cohsh = emitCohshPolicy(manifest, sha);
  const coh = emitCohPolicy(manifest, sha);
  const outputs: Array<[string, string]> = [
    ...committed,
    ["out/manifests/root_task_resolved.json", json],
    ["out/manifests/root_task_resolved.json.sha256", `${sha}  root_task_resolved.json\n`],
    ["out/cohsh_policy.toml", cohsh],
    ["out/cohsh_policy.toml.sha256", `${sha256(cohsh)}  cohsh_policy.toml\n`],
    ["out/coh_policy.toml", coh],
    ["out/coh_policy.toml.sha256", `${sha256(coh)}  coh_policy.toml\n`],
  ];
  for (const [p, text] of outputs) {
    const abs = resolve(outRoot, p);
    mkdirSync(dirname(abs), { recursive: true });
    if (!existsSync(abs) || readFileSync(abs, "utf8") !== text) writeFileSync(abs, text);
  }
  return { ok: true, manifest: rel, sha256: sha, written: changed };
}

async function main(): Promise<number> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName("coh-rtc")
    .usage("$0 [manifest]", "compile the root-task manifest", (y) =>
      y.positional("manifest", { type: "string", default: process.env.COH_MANIFEST ?? resolve(root, "configs/root_task.toml") }),
    )
    .option("check", { type: "boolean", default: false, describe: "fail if generated files are stale; write nothing" })
    .option("out-root", { type: "string", describe: "write the outputs under this directory instead of the repository" })
    .option("json", { type: "boolean", default: false })
    .strict()
    .parseAsync();
  const r = compile(resolve(String(argv.manifest)), argv.check, argv["out-root"] ? resolve(argv["out-root"]) : root);
  if (argv.json) {
    process.stdout.write(JSON.stringify(r) + "\n");
  } else if (r.errors) {
    for (const e of r.errors) process.stderr.write(`coh-rtc: ${r.manifest}: ${e.path ? e.path + ": " : ""}${e.message}\n`);
  } else if (argv.check && !r.ok) {
    process.stderr.write(`coh-rtc: generated files are stale for ${r.manifest}: ${r.changed?.join(", ")} (run npm run gen)\n`);
  } else {
    process.stdout.write(`coh-rtc: ${r.manifest} sha256=${r.sha256}${r.written?.length ? " wrote " + r.written.join(", ") : " (unchanged)"}\n`);
  }
  return r.ok ? 0 : 1;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().then((c) => process.exit(c));
}
