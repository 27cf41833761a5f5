// bench/fuzz: seeded, reproducible fuzzing of every parser the guest exposes (console framing and
// command lines, the 9P codec and session, JSON control lines, tickets, CBOR views, bootinfo)
// against the Node-hosted core at full speed. A crash writes a reproducer under --crash-dir and
// the run exits 1. docs/TESTING.md has the figures of the 10,000,000-input runs.
//
//   npm run bench:fuzz -- [--parser all|console|9p|json|ticket|cbor|bootinfo] [--inputs 10000000] [--seed 1] [--json]

import { join, resolve } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { buildBootinfoEntry, campaign, type CampaignResult, PARSERS, type Parser } from "./fuzz.js";

const argv = yargs(hideBin(process.argv))
  .scriptName("bench:fuzz")
  .option("parser", { choices: ["all", ...PARSERS] as const, default: "all" as const, describe: "which parser to fuzz" })
  .option("inputs", { type: "number", default: 10_000_000, describe: "inputs per parser" })
  .option("seed", { type: "number", default: 1, describe: "seed: (seed, index) determines each input" })
  .option("crash-dir", { type: "string", default: "bench/fuzz/crashes", describe: "where reproducers are written" })
  .option("wasm", { type: "string", describe: "another core than out/cohesix.wasm" })
  .option("json", { type: "boolean", default: false, describe: "print one JSON object" })
  .strict()
  .parseSync();

if (!(argv.inputs >= 1)) {
  console.error("bench:fuzz: --inputs must be >= 1");
  process.exit(2);
}

const parsers: Parser[] = argv.parser === "all" ? [...PARSERS] : [argv.parser];
const bootinfoWasm = buildBootinfoEntry();
const results: CampaignResult[] = [];
for (const p of parsers) {
  const r = await campaign({
    parser: p,
    seed: argv.seed,
    inputs: argv.inputs,
    crashDir: resolve(argv["crash-dir"]),
    bootinfoWasm,
    wasm: argv.wasm ? resolve(argv.wasm) : undefined,
    progress: (n) => console.error(`[fuzz] ${p}: ${n} inputs`),
  });
  results.push(r);
  if (!argv.json) {
    console.log(`${p}: ${r.inputs} inputs in ${r.seconds.toFixed(1)} s (${r.inputs_per_s}/s), seed ${r.seed}: ${r.crashes} crashes, ${r.invariant_errors} invariant errors`);
    for (const f of r.reproducers) console.log(`  reproducer: ${join(f)}`);
  }
}
if (argv.json) console.log(JSON.stringify(results, null, 2));
process.exit(results.some((r) => r.crashes + r.invariant_errors > 0) ? 1 : 0);
