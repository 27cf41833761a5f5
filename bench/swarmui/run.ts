// bench/swarmui: the Live Hive in headless Chromium (Debian's, SwiftShader WebGL) with 1, 128
// and 1,024 heartbeat workers on the mock core: frames rendered per second (the cap is
// swarmui.frame_cap_fps) and main-thread milliseconds per frame; then the server's CPU ms per
// poll batch against the QEMU guest (the guest in its own process, so only SwarmUI is counted).
// Figures only, never assertions.
//
//   npm run bench:swarmui -- [--workers 1,128,1024] [--seconds 5] [--no-qemu] [--docs] [--json]

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { MANIFEST } from "../../host/generated/manifest.js";
import { QemuGuest } from "../../host/runtime/qemu.js";
import { tcpTransport } from "../../host/sdk/connect.js";
import { clientOn } from "../../host/sdk/open.js";
import { ROOT } from "../../host/swarmui/config.js";
import { LiveSource } from "../../host/swarmui/poller.js";
import { launch, watchedPage } from "../../tests/swarmui/browser.js";
import { shrinkPng } from "../../tests/swarmui/pixels.js";
import { startTestSwarm, uiReady } from "../../tests/swarmui/server.js";

interface BrowserFigures {
  workers: number;
  renderer: string;
  fps: number;
  frames_per_s: number;
  render_ms_per_frame: number;
  main_thread_ms_per_frame: number;
  events_per_s: number;
  pending: number;
}

interface ServerFigures {
  workers: number;
  polls: number;
  cpu_ms_per_poll: number;
  wall_ms_per_poll: number;
  events_per_poll: number;
}

type Metrics = { frames: number; renders: number; renderMsTotal: number; consumed: number; pending: number; renderer: string; agents: number };

async function browserRun(n: number, seconds: number, renderer: string, docs: boolean): Promise<BrowserFigures> {
  const s = await startTestSwarm(["--mock", "--mock-workers", String(n)]);
  const b = await launch();
  try {
    const w = await watchedPage(b);
    await w.page.goto(s.url + (renderer === "auto" ? "" : `?renderer=${renderer}`));
    await w.page.waitForFunction((k) => ((window as unknown as { __SWARMUI_HIVE_DEBUG?: { getMetrics(): Metrics } }).__SWARMUI_HIVE_DEBUG?.getMetrics().agents ?? 0) >= k, n + 1, { timeout: 120_000 });
    await w.page.waitForTimeout(2000); // warm-up: the first batches and textures
    const cdp = await w.page.context().newCDPSession(w.page);
    await cdp.send("Performance.enable");
    const task = async (): Promise<number> => ((await cdp.send("Performance.getMetrics")).metrics.find((m) => m.name === "TaskDuration")?.value ?? 0) * 1000;
    const m = (): Promise<Metrics> => w.page.evaluate(() => (window as unknown as { __SWARMUI_HIVE_DEBUG: { getMetrics(): Metrics } }).__SWARMUI_HIVE_DEBUG.getMetrics());
    const a = await m();
    const ta = await task();
    const t0 = Date.now();
    await w.page.waitForTimeout(seconds * 1000);
    const z = await m();
    const tz = await task();
    const dt = (Date.now() - t0) / 1000;
    if (docs && renderer === "auto" && n === 128) await docShots(s.url, n, b);
    const renders = z.renders - a.renders;
    return {
      workers: n,
      renderer: z.renderer,
      fps: renders / dt,
      frames_per_s: (z.frames - a.frames) / dt,
      render_ms_per_frame: (z.renderMsTotal - a.renderMsTotal) / Math.max(1, renders),
      main_thread_ms_per_frame: (tz - ta) / Math.max(1, renders),
      events_per_s: (z.consumed - a.consumed) / dt,
      pending: z.pending,
    };
  } finally {
    await b.close();
    await s.stop();
  }
}

/** docs/images: the Live Hive panel in a 1000x700 window (small PNGs), and the page header. */
async function docShots(url: string, n: number, b: Awaited<ReturnType<typeof launch>>): Promise<void> {
  mkdirSync(join(ROOT, "docs/images"), { recursive: true });
  const w = await watchedPage(b, { width: 1000, height: 640 });
  await w.page.goto(url);
  await w.page.waitForFunction((k) => ((window as unknown as { __SWARMUI_HIVE_DEBUG?: { getMetrics(): Metrics } }).__SWARMUI_HIVE_DEBUG?.getMetrics().agents ?? 0) >= k, n + 1, { timeout: 120_000 });
  await w.page.waitForTimeout(4000); // let the heat build up for the picture
  // Clipped page shots: the live panels never hold still long enough for an element shot.
  const box = await w.page.locator("#hive-canvas").boundingBox();
  if (box) writeFileSync(join(ROOT, `docs/images/swarmui-hive-${n}.png`), await shrinkPng(w.page, await w.page.screenshot({ clip: box }), 0.6));
  if (n === 128) {
    const hb = await w.page.locator("header.cohesix-banner").boundingBox();
    const sb = await w.page.locator(".session-bar").boundingBox();
    if (hb && sb) await w.page.screenshot({ path: join(ROOT, "docs/images/swarmui-header.png"), clip: { x: 0, y: 0, width: hb.width, height: sb.y + sb.height } });
  }
  await w.page.context().close();
}

async function serverRun(counts: number[], polls: number): Promise<ServerFigures[]> {
  const q = await QemuGuest.start();
  const out: ServerFigures[] = [];
  try {
    await q.waitReady(120_000);
    const op = clientOn(tcpTransport("127.0.0.1", q.ports.tcp), {});
    const ns = clientOn(tcpTransport("127.0.0.1", q.ports.tcp), {});
    await op.attach("queen");
    await ns.attach("queen");
    let have = 0;
    for (const n of counts) {
      for (; have < n; have++) await op.append("/queen/ctl", '{"spawn":"heartbeat","ticks":0}');
      const src = new LiveSource({ ns, role: "queen" });
      await src.bootstrap();
      await src.poll();
      let cpu = 0;
      let wall = 0;
      let events = 0;
      for (let i = 0; i < polls; i++) {
        await new Promise((r) => setTimeout(r, MANIFEST.swarmui.status_poll_ms));
        const c0 = process.cpuUsage();
        const w0 = performance.now();
        const b = await src.poll();
        wall += performance.now() - w0;
        const c = process.cpuUsage(c0);
        cpu += (c.user + c.system) / 1000;
        events += b.events.length;
      }
      out.push({ workers: n, polls, cpu_ms_per_poll: cpu / polls, wall_ms_per_poll: wall / polls, events_per_poll: events / polls });
    }
    await op.close();
    await ns.close();
  } finally {
    await q.stop();
  }
  return out;
}

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .option("workers", { type: "string", default: "1,128,1024" })
    .option("seconds", { type: "number", default: 5 })
    .option("renderers", { type: "string", default: "auto,webgl", describe: "auto (canvas on a software rasteriser), webgl, canvas" })
    .option("polls", { type: "number", default: 20 })
    .option("qemu", { type: "boolean", default: true })
    .option("docs", { type: "boolean", default: false, describe: "write docs/images/swarmui-*.png" })
    .option("json", { type: "boolean", default: false })
    .strict()
    .parseAsync();
  const counts = argv.workers.split(",").map(Number);
  await uiReady();
  const browser: BrowserFigures[] = [];
  for (const n of counts) for (const r of argv.renderers.split(",")) browser.push(await browserRun(n, argv.seconds, r, argv.docs));
  const server = argv.qemu ? await serverRun(counts, argv.polls) : [];
  if (argv.json) {
    process.stdout.write(JSON.stringify({ frame_cap_fps: MANIFEST.swarmui.frame_cap_fps, browser, server }) + "\n");
    return;
  }
  for (const r of browser) {
    process.stdout.write(`browser ${String(r.workers).padStart(5)} workers (${r.renderer}): ${r.fps.toFixed(1)} fps (cap ${MANIFEST.swarmui.frame_cap_fps}, rAF ${r.frames_per_s.toFixed(1)}/s)  render ${r.render_ms_per_frame.toFixed(2)} ms/frame  main thread ${r.main_thread_ms_per_frame.toFixed(2)} ms/frame  events ${r.events_per_s.toFixed(0)}/s  pending ${r.pending}\n`);
  }
  for (const r of server) {
    process.stdout.write(`server  ${String(r.workers).padStart(5)} workers (QEMU, console): ${r.cpu_ms_per_poll.toFixed(2)} CPU ms/poll  ${r.wall_ms_per_poll.toFixed(1)} ms wall/poll  ${r.events_per_poll.toFixed(1)} events/poll over ${r.polls} polls\n`);
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`bench/swarmui: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
  },
);
