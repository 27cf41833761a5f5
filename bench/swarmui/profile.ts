// bench/swarmui/profile: where the Live Hive's main-thread time goes, in headless Chromium with
// N heartbeat workers on the mock core. A V8 CPU profile (CDP Profiler) over a window, folded by
// function (self time, top 25), plus Chrome's own split (TaskDuration, ScriptDuration,
// LayoutDuration, RecalcStyleDuration) per rendered frame. Figures only, never assertions.
//
//   npx tsx bench/swarmui/profile.ts [--workers 1024] [--seconds 4] [--renderer auto|canvas|webgl] [--json]

import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { launch, watchedPage } from "../../tests/swarmui/browser.js";
import { startTestSwarm, uiReady } from "../../tests/swarmui/server.js";

type Metrics = { renders: number; agents: number; renderer: string };
interface ProfileNode { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; hitCount?: number }
interface Profile { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] }

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .option("workers", { type: "number", default: 1024 })
    .option("seconds", { type: "number", default: 4 })
    .option("renderer", { type: "string", default: "auto" })
    .option("json", { type: "boolean", default: false })
    .strict()
    .parseAsync();
  await uiReady();
  const s = await startTestSwarm(["--mock", "--mock-workers", String(argv.workers)]);
  const b = await launch();
  try {
    const w = await watchedPage(b);
    await w.page.goto(s.url + (argv.renderer === "auto" ? "" : `?renderer=${argv.renderer}`));
    const metrics = (): Promise<Metrics> => w.page.evaluate(() => (window as unknown as { __SWARMUI_HIVE_DEBUG: { getMetrics(): Metrics } }).__SWARMUI_HIVE_DEBUG.getMetrics());
    await w.page.waitForFunction((k) => ((window as unknown as { __SWARMUI_HIVE_DEBUG?: { getMetrics(): Metrics } }).__SWARMUI_HIVE_DEBUG?.getMetrics().agents ?? 0) >= k, argv.workers + 1, { timeout: 120_000 });
    await w.page.waitForTimeout(2000);
    const cdp = await w.page.context().newCDPSession(w.page);
    await cdp.send("Performance.enable");
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
    const perf = async (): Promise<Record<string, number>> => Object.fromEntries((await cdp.send("Performance.getMetrics")).metrics.map((m) => [m.name, m.value]));
    const a = await metrics();
    const pa = await perf();
    await cdp.send("Profiler.start");
    await w.page.waitForTimeout(argv.seconds * 1000);
    const { profile } = (await cdp.send("Profiler.stop")) as unknown as { profile: Profile };
    const z = await metrics();
    const pz = await perf();
    const renders = Math.max(1, z.renders - a.renders);
    const self = new Map<string, number>();
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    for (let i = 0; i < profile.samples.length; i++) {
      const n = byId.get(profile.samples[i]);
      if (!n) continue;
      const f = n.callFrame;
      const key = `${f.functionName || "(anonymous)"} ${f.url.replace(/^.*\//, "")}:${f.lineNumber + 1}`;
      self.set(key, (self.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
    }
    const top = [...self].sort((x, y) => y[1] - x[1]).slice(0, 25).map(([k, ms]) => ({ fn: k, ms_per_frame: ms / renders }));
    const split = Object.fromEntries(["TaskDuration", "ScriptDuration", "LayoutDuration", "RecalcStyleDuration"].map((k) => [k, ((pz[k] ?? 0) - (pa[k] ?? 0)) * 1000 / renders]));
    if (argv.json) {
      process.stdout.write(JSON.stringify({ workers: argv.workers, renderer: z.renderer, renders, split_ms_per_frame: split, top }) + "\n");
      return;
    }
    process.stdout.write(`${argv.workers} workers (${z.renderer}), ${renders} renders in ${argv.seconds} s\n`);
    for (const [k, v] of Object.entries(split)) process.stdout.write(`  ${k.padEnd(20)} ${v.toFixed(2)} ms/frame\n`);
    for (const t of top) process.stdout.write(`  ${t.ms_per_frame.toFixed(2).padStart(7)} ms/frame  ${t.fn}\n`);
  } finally {
    await b.close();
    await s.stop();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench/swarmui/profile: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
