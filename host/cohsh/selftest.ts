// `test [--mode quick|full|negative|smp] [--json] [--timeout s] [--no-mutate]`: runs the guest's
// own self-test script (/proc/tests/selftest_<mode>.coh) over the live session and reports each
// check, as text or in the seeds' `test --json` schema (version "1").
//
// The scripts run on a guest that has been used: `{spawned}` in a command stands for the worker
// the last `spawn` created (learned by listing /worker before and after), and every worker the
// test spawned and did not kill is killed at the end (a `cleanup/…` check).

import { expectHolds, parseScript, type Statement } from "./script.js";
import type { RunLine } from "./grammar.js";

export const TEST_TIMEOUT_DEFAULT_S = 30;
export const TEST_TIMEOUT_MAX_S = 120;

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
}

export interface TestReport {
  ok: boolean;
  mode: string;
  elapsed_ms: number;
  checks: Check[];
  version: "1";
}

export interface TestOptions {
  mode: "quick" | "full" | "negative" | "smp";
  json: boolean;
  timeoutS: number;
  noMutate: boolean;
}

export function parseTestArgs(words: string[]): TestOptions | string {
  const o: TestOptions = { mode: "quick", json: false, timeoutS: TEST_TIMEOUT_DEFAULT_S, noMutate: false };
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w === "--json") o.json = true;
    else if (w === "--no-mutate") o.noMutate = true;
    else if (w === "--mode") {
      const m = words[++i];
      if (m !== "quick" && m !== "full" && m !== "negative" && m !== "smp") return "--mode must be quick, full, negative or smp";
      o.mode = m;
    } else if (w === "--timeout") {
      const v = words[++i];
      if (!v || !/^\d+$/.test(v) || Number(v) < 1) return "--timeout needs whole seconds";
      if (Number(v) > TEST_TIMEOUT_MAX_S) return `--timeout is capped at ${TEST_TIMEOUT_MAX_S} s`;
      o.timeoutS = Number(v);
    } else return `unknown option '${w}'`;
  }
  return o;
}

/** `--no-mutate` drops spawn, kill and anything touching worker paths, with their EXPECTs. */
function withoutMutations(stmts: Statement[]): Statement[] {
  const out: Statement[] = [];
  let skipping = false;
  for (const s of stmts) {
    if (s.kind === "command") {
      skipping = /^(spawn|kill)\b/.test(s.text) || /\/(worker|shard)\//.test(s.text);
      if (skipping) continue;
    } else if (s.kind === "expect" && skipping) continue;
    out.push(s);
  }
  return out;
}

/** How the self-test sees the workers (the shell lists /worker for it). */
export interface SpawnTracker {
  workers(): Promise<string[]>;
}

// What `test --mode smp` runs where the guest has no /proc/tests/selftest_smp.coh: the checks
// that apply to one core — concurrent console sessions, each seeing every record.
const SMP_FALLBACK = ["ping", "EXPECT OK", "cat /proc/boot", "EXPECT OK", "pool bench ops=16 batch=4 kind=control", "EXPECT SUBSTR pool bench result OK"].join("\n") + "\n";

export async function selfTest(run: RunLine, o: TestOptions, tracker?: SpawnTracker): Promise<TestReport> {
  const started = Date.now();
  const checks: Check[] = [];
  const report = (): TestReport => ({ ok: checks.length > 0 && checks.every((c) => c.ok), mode: o.mode, elapsed_ms: Date.now() - started, checks, version: "1" });
  const deadline = started + o.timeoutS * 1000;
  const ping = await run("ping");
  checks.push({ name: "preflight/ping", ok: ping.ok, detail: ping.response });
  if (!ping.ok) return report();
  const file = `/proc/tests/selftest_${o.mode}.coh`;
  const src = await run(`cat ${file}`);
  let text: string;
  if (src.ok) text = src.lines.slice(1, -1).join("\n") + "\n";
  else if (o.mode === "smp") {
    // This guest runs on one core (qemu/run.sh boots -smp 1) and ships no SMP script.
    checks.push({ name: "preflight/smp", ok: true, detail: `single-core guest (${file} absent): SMP-only checks skipped, running the checks that apply to one core` });
    text = SMP_FALLBACK;
  } else {
    checks.push({ name: `preflight/${file}`, ok: false, detail: src.response });
    return report();
  }
  let stmts: Statement[];
  try {
    stmts = parseScript(text);
  } catch (e) {
    checks.push({ name: `preflight/${file}`, ok: false, detail: e instanceof Error ? e.message : String(e) });
    return report();
  }
  if (o.noMutate) stmts = withoutMutations(stmts);
  let last = "";
  let spawned = "";
  const ours = new Set<string>();
  for (const s of stmts) {
    if (Date.now() > deadline) {
      checks.push({ name: "timeout", ok: false, detail: `exceeded ${o.timeoutS} s` });
      break;
    }
    if (s.kind === "wait") {
      await new Promise((r) => setTimeout(r, s.ms));
    } else if (s.kind === "expect") {
      checks.push({ name: `line ${s.line}: ${s.text}`, ok: expectHolds(s.mode, s.arg, last), detail: last });
    } else {
      const isSpawn = /^spawn\b/.test(s.text);
      const before = isSpawn && tracker ? await tracker.workers() : [];
      const text = s.text.replaceAll("{spawned}", spawned);
      const r = await run(text);
      last = r.response;
      if (isSpawn && r.ok && tracker) {
        const fresh = (await tracker.workers()).filter((w) => !before.includes(w));
        for (const w of fresh) ours.add(w);
        spawned = fresh.at(-1) ?? spawned;
      }
      if (/^kill\b/.test(text) && r.ok) ours.delete(text.split(/\s+/)[1] ?? "");
      checks.push({ name: `line ${s.line}: ${text}`, ok: r.ok || stmts[stmts.indexOf(s) + 1]?.kind === "expect", detail: r.response });
    }
    if (!checks[checks.length - 1].ok) break; // stop at the first failure, as scripts do
  }
  // Remove what the test spawned and left running, so the hive is as it was.
  if (tracker && ours.size > 0) {
    const alive = await tracker.workers();
    for (const w of ours) {
      if (!alive.includes(w)) continue;
      const r = await run(`kill ${w}`);
      checks.push({ name: `cleanup/kill ${w}`, ok: r.ok, detail: r.response });
    }
  }
  return report();
}

export function formatReport(r: TestReport, json: boolean): string[] {
  if (json) return [JSON.stringify(r)];
  const failed = r.checks.filter((c) => !c.ok);
  const lines = [`test ${r.mode}: ${r.ok ? "PASS" : "FAIL"} (${r.checks.length} checks, ${r.elapsed_ms} ms)`];
  for (const c of failed) lines.push(`  FAIL ${c.name}: ${c.detail}`);
  return lines;
}
