// One fuzz campaign (bench/fuzz): `inputs` seeded inputs into one target, a crash (trap/abort, or
// a broken invariant) written as a reproducer file, the core restarted, and the count kept.

import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { FuzzCore } from "./core.js";
import { rngFor } from "./mutate.js";
import { bootinfoTarget, cborTarget, consoleTarget, jsonTarget, nineTarget, type Target, ticketTarget } from "./targets.js";

export const PARSERS = ["console", "9p", "json", "ticket", "cbor", "bootinfo"] as const;
export type Parser = (typeof PARSERS)[number];

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Compiles the fuzz-only bootinfo entry (same source as the core's reader) once per path. */
export function buildBootinfoEntry(out = join(ROOT, "out/fuzz/bootinfo.wasm")): string {
  mkdirSync(dirname(out), { recursive: true });
  const r = spawnSync(join(ROOT, "node_modules/.bin/asc"), ["bench/fuzz/assembly/bootinfo_entry.ts", "-O3", "--runtime", "minimal", "--maximumMemory", "256", "-o", out], { cwd: ROOT, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`asc failed: ${r.stderr}`);
  return out;
}

export interface CampaignResult {
  parser: Parser;
  seed: number;
  inputs: number;
  crashes: number;
  invariant_errors: number;
  reproducers: string[];
  seconds: number;
  inputs_per_s: number;
}

async function makeTarget(parser: Parser, bootinfoWasm: string, wasm?: string): Promise<Target> {
  if (parser === "bootinfo") return bootinfoTarget(bootinfoWasm);
  const fc = await FuzzCore.start(wasm);
  if (parser === "console") return consoleTarget(fc);
  if (parser === "9p") return nineTarget(fc);
  if (parser === "json") return jsonTarget(fc);
  if (parser === "ticket") return ticketTarget(fc);
  return cborTarget(fc);
}

export interface CampaignOptions {
  parser: Parser;
  seed: number;
  inputs: number;
  crashDir: string;
  bootinfoWasm: string;
  /** Another core than out/cohesix.wasm (e.g. an older build, to see a finding reproduce). */
  wasm?: string;
  progress?: (done: number) => void;
}

export async function campaign(o: CampaignOptions): Promise<CampaignResult> {
  const started = process.hrtime.bigint();
  let t = await makeTarget(o.parser, o.bootinfoWasm, o.wasm);
  const res: CampaignResult = { parser: o.parser, seed: o.seed, inputs: 0, crashes: 0, invariant_errors: 0, reproducers: [], seconds: 0, inputs_per_s: 0 };
  for (let i = 0; i < o.inputs; i++) {
    const input = t.input(rngFor(o.seed, i));
    const bad = t.run(input);
    res.inputs++;
    const fault = t.fault();
    if (fault !== null || bad !== null) {
      if (fault !== null) res.crashes++;
      else res.invariant_errors++;
      if (res.reproducers.length < 20) {
        mkdirSync(o.crashDir, { recursive: true });
        const file = join(o.crashDir, `${o.parser}-seed${o.seed}-input${i}.json`);
        // The input alone may need the session's history: seed + index regenerate all of it.
        writeFileSync(file, JSON.stringify({ parser: o.parser, seed: o.seed, index: i, what: fault ?? bad, input_b64: Buffer.from(input).toString("base64"), rerun: `npx tsx bench/fuzz/run.ts --parser ${o.parser} --seed ${o.seed} --inputs ${i + 1}` }, null, 2) + "\n");
        res.reproducers.push(file);
      }
      if (fault !== null) t = await makeTarget(o.parser, o.bootinfoWasm, o.wasm);
    }
    if (o.progress && (i + 1) % 1_000_000 === 0) o.progress(i + 1);
  }
  res.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  res.inputs_per_s = Math.round(res.inputs / res.seconds);
  return res;
}
