// SwarmUI in real Chromium (Debian's, through playwright-core; one browser for the file): launch
// and banner, the replay fixture's agents and digit labels, clicking a dot opens its detail,
// keyboard selection, the console's help lines, the fps cap and budget, the mock hive living,
// offline mode making no network request, and the banner against its baseline screenshot.

import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { HELP_LINES } from "../host/swarmui/console.js";
import { ROOT } from "../host/swarmui/config.js";
import type { RunningSwarm } from "../host/swarmui/server.js";
import { SnapshotStore } from "../host/swarmui/store.js";
import { cspViolations, launch, watchedPage, type Watched } from "./swarmui/browser.js";
import { diffRatio } from "./swarmui/pixels.js";
import { startTestSwarm, uiReady } from "./swarmui/server.js";

const FIXTURE = join(ROOT, "tests/swarmui/demo.cbor");
const SHOTS = join(ROOT, "out/swarmui/screenshots");
const BASELINE = join(ROOT, "tests/swarmui/baseline");
const data = mkdtempSync(join(tmpdir(), "swarmui-browser-"));
let browser: Browser;
let replay: RunningSwarm;
const pages: Watched[] = [];

type Debug = {
  getAgentScreenPositions(): Record<string, { x: number; y: number }>;
  getAgentStates(): Record<string, { role: string; heat: number; error: number; events: number }>;
  getAgentLabels(): Record<string, string>;
  getMetrics(): { frames: number; renders: number; pending: number; lastRenderAt: number; renderer: string; agents: number; consumed: number; paused: boolean; pausedBy: string | null; labelsDrawn: number; dotsDrawn: number };
};
declare const window: { __SWARMUI_HIVE_DEBUG: Debug };

async function openPage(url: string): Promise<Watched> {
  const w = await watchedPage(browser);
  pages.push(w);
  await w.page.goto(url);
  await w.page.waitForFunction(() => window.__SWARMUI_HIVE_DEBUG?.getMetrics().renders > 0, null, { timeout: 30_000 });
  return w;
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  await uiReady();
  browser = await launch();
  replay = await startTestSwarm(["--replay", FIXTURE, "--data-dir", data]);
}, 120_000);
afterAll(async () => {
  for (const p of pages) await p.page.context().close().catch(() => undefined);
  await browser?.close();
  await replay?.stop();
  rmSync(data, { recursive: true, force: true });
});

describe("replay of the fixture snapshot", () => {
  let w: Watched;
  beforeAll(async () => {
    w = await openPage(replay.url);
    await w.page.waitForFunction(() => document.getElementById("hive-status")?.textContent === "Hive replay complete", null, { timeout: 20_000 });
  }, 60_000);

  it("launches: title, banner, one canvas, no errors and no CSP violation", async () => {
    expect(await w.page.title()).toMatch(/SwarmUI/);
    expect(await w.page.locator("header.cohesix-banner").isVisible()).toBe(true);
    expect(await w.page.textContent("#hive-status")).not.toMatch(/failed|idle/);
    expect(await w.page.locator("#hive-canvas canvas").count()).toBe(1);
    expect(await w.page.textContent("#mode-label")).toBe("REPLAY");
    expect(w.errors).toEqual([]);
    expect(await cspViolations(w.page)).toEqual([]);
  });
  it("renders every agent, labels are digits, every worker got its events", async () => {
    const pos = await w.page.evaluate(() => window.__SWARMUI_HIVE_DEBUG.getAgentScreenPositions());
    expect(Object.keys(pos).sort()).toEqual(["queen", ...Array.from({ length: 12 }, (_, i) => `${["worker-gpu", "worker-lora", "worker-bus", "worker-heartbeat"][i % 4]}-${i + 1}`)].sort());
    const box = await w.page.locator("#hive-canvas canvas").boundingBox();
    for (const p of Object.values(pos)) {
      expect(p.x).toBeGreaterThan(box!.x);
      expect(p.x).toBeLessThan(box!.x + box!.width);
      expect(p.y).toBeGreaterThan(box!.y);
      expect(p.y).toBeLessThan(box!.y + box!.height);
    }
    const labels = await w.page.evaluate(() => window.__SWARMUI_HIVE_DEBUG.getAgentLabels());
    expect(Object.values(labels)).toHaveLength(12);
    for (const l of Object.values(labels)) expect(l).toMatch(/^\d+$/);
    expect((await w.page.evaluate(() => window.__SWARMUI_HIVE_DEBUG.getMetrics())).labelsDrawn).toBe(12);
    const m = await w.page.evaluate(() => window.__SWARMUI_HIVE_DEBUG.getMetrics());
    expect(m.consumed).toBe(600);
    const states = await w.page.evaluate(() => window.__SWARMUI_HIVE_DEBUG.getAgentStates());
    expect(states["worker-gpu-1"].role).toBe("worker-gpu");
    expect(Object.values(states).filter((s) => s.role !== "queen").every((s) => s.events > 0)).toBe(true);
  });
  it("holds the frame cap and the event budget", async () => {
    const a = await w.page.evaluate(() => window.__SWARMUI_HIVE_DEBUG.getMetrics());
    await w.page.waitForTimeout(600); // an observation window, not a wait for readiness
    const b = await w.page.evaluate(() => window.__SWARMUI_HIVE_DEBUG.getMetrics());
    expect(b.renders - a.renders).toBeGreaterThan(10);
    expect(b.pending).toBeLessThan(1024);
    // Never more renders than the 30 fps cap allows over the window (plus one at each edge).
    expect((b.renders - a.renders) / ((b.lastRenderAt - a.lastRenderAt) / 1000)).toBeLessThanOrEqual(31.5);
    expect(b.frames - a.frames).toBeGreaterThan(b.renders - a.renders);
  });
  it("clicking a worker dot opens its detail", async () => {
    const pos = await w.page.evaluate(() => window.__SWARMUI_HIVE_DEBUG.getAgentScreenPositions());
    const p = pos["worker-gpu-1"];
    await w.page.mouse.click(p.x, p.y);
    await w.page.waitForFunction(() => document.getElementById("hive-detail-title")?.textContent?.startsWith("worker-gpu-1"), null, { timeout: 5000 });
    expect(await w.page.textContent("#hive-detail-title")).toBe("worker-gpu-1 · worker-gpu · #1");
    const lines = await w.page.locator("#hive-detail .line").allTextContents();
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.length).toBeLessThanOrEqual(50);
    expect(lines.at(-1)).toMatch(/^\{"tick":\d+/);
  });
  it("the keyboard selects workers on the focused canvas", async () => {
    await w.page.locator("#hive-canvas canvas").focus();
    await w.page.keyboard.press("Escape");
    expect(await w.page.textContent("#hive-detail-title")).toBe("Select worker");
    await w.page.keyboard.press("ArrowRight");
    expect(await w.page.textContent("#hive-detail-title")).toMatch(/^worker-gpu-1 /);
    await w.page.keyboard.press("ArrowRight");
    expect(await w.page.textContent("#hive-detail-title")).toMatch(/^worker-lora-2 /);
    expect(await w.page.locator("#hive-canvas canvas").getAttribute("aria-label")).toMatch(/Arrow keys/);
  });
  it("the console prints the reference's help lines and refuses writes", async () => {
    const input = w.page.locator("#console-input");
    await input.fill("help");
    await input.press("Enter");
    await w.page.waitForFunction((n) => document.querySelectorAll("#console-output .console-line").length >= n, HELP_LINES.length + 1);
    expect(await w.page.locator("#console-output .console-line").allTextContents()).toEqual(["coh> help", ...HELP_LINES]);
    await input.fill("echo hi > /log/queen.log");
    await input.press("Enter");
    await w.page.waitForFunction(() => document.querySelector("#console-output")?.textContent?.includes("ERR ECHO"));
    expect((await w.page.locator("#console-output .console-line").allTextContents()).at(-1)).toMatch(/^ERR ECHO reason=policy detail=read-only/);
  });
  it("the banner matches its baseline screenshot within 1% of pixels", async () => {
    const shot = await w.page.locator("header.cohesix-banner").screenshot({ path: join(SHOTS, "swarmui-banner.png") });
    await w.page.screenshot({ path: join(SHOTS, "swarmui-replay.png") });
    const base = join(BASELINE, "swarmui-banner.png");
    if (!existsSync(base) || process.env.SWARMUI_UPDATE_BASELINE === "1") {
      mkdirSync(BASELINE, { recursive: true });
      writeFileSync(base, shot);
    }
    expect(await diffRatio(w.page, shot, readFileSync(base))).toBeLessThanOrEqual(0.01);
  });
});

describe("paused when hidden or off-screen", () => {
  const metrics = (w: Watched) => w.page.evaluate(() => window.__SWARMUI_HIVE_DEBUG.getMetrics());
  it("no frame runs while the page is hidden, nor while the canvas is scrolled out of view; both resume", async () => {
    const w = await openPage(replay.url);
    // Hidden: what a background tab reports (headless Chromium keeps every page visible, so the
    // state is set here and the page's own visibilitychange listener does the rest).
    const setVisibility = (v: string) => w.page.evaluate((state) => {
      Object.defineProperty(document, "visibilityState", { configurable: true, get: () => state });
      document.dispatchEvent(new Event("visibilitychange"));
    }, v);
    await setVisibility("hidden");
    const a = await metrics(w);
    expect(a.paused).toBe(true);
    expect(a.pausedBy).toBe("hidden");
    await w.page.waitForTimeout(500); // an observation window: the loop must stay still in it
    const b = await metrics(w);
    expect(b.frames).toBe(a.frames);
    expect(b.renders).toBe(a.renders);
    await setVisibility("visible");
    await w.page.waitForFunction((n) => window.__SWARMUI_HIVE_DEBUG.getMetrics().renders > n + 3, b.renders, { timeout: 10_000 });
    expect((await metrics(w)).paused).toBe(false);
    // Off-screen: scroll the page until the canvas is out of the viewport.
    await w.page.evaluate(() => {
      document.body.style.paddingBottom = "4000px";
      const r = (document.getElementById("hive-canvas") as HTMLElement).getBoundingClientRect();
      document.documentElement.scrollTop += r.bottom + 50;
    });
    await w.page.waitForFunction(() => window.__SWARMUI_HIVE_DEBUG.getMetrics().pausedBy === "offscreen", null, { timeout: 10_000 });
    const c = await metrics(w);
    await w.page.waitForTimeout(500);
    const d = await metrics(w);
    expect(d.frames).toBe(c.frames);
    expect(d.renders).toBe(c.renders);
    await w.page.evaluate(() => (document.documentElement.scrollTop = 0));
    await w.page.waitForFunction((n) => window.__SWARMUI_HIVE_DEBUG.getMetrics().renders > n + 3, d.renders, { timeout: 10_000 });
    const e = await metrics(w);
    expect(e.paused).toBe(false);
    expect(e.pausedBy).toBeNull();
    expect(w.errors).toEqual([]);
  }, 60_000);
});

describe("the mock hive, live", () => {
  it("dots appear for the spawned workers and their heat rises with heartbeats", async () => {
    const s = await startTestSwarm(["--mock", "--mock-workers", "6", "--data-dir", data]);
    try {
      const w = await openPage(s.url);
      await w.page.waitForFunction(() => Object.keys(window.__SWARMUI_HIVE_DEBUG.getAgentScreenPositions()).length === 8, null, { timeout: 20_000 });
      await w.page.waitForFunction(() => Object.values(window.__SWARMUI_HIVE_DEBUG.getAgentStates()).filter((a) => a.heat > 0.2).length >= 3, null, { timeout: 20_000 });
      await w.page.waitForFunction(() => document.getElementById("root-badge")?.textContent === "ROOT OK", null, { timeout: 10_000 });
      expect(await w.page.textContent("#sessions")).toMatch(/^Sessions \d+ · draining 0$/);
      expect(await w.page.textContent("#lease-summary")).toMatch(/^Active 1\/64/);
      await w.page.click("#fleet-refresh");
      await w.page.waitForFunction(() => document.getElementById("fleet-output")?.textContent?.includes("worker=worker-1"));
      expect(w.errors).toEqual([]);
      expect(await cspViolations(w.page)).toEqual([]);
      await w.page.screenshot({ path: join(SHOTS, "swarmui-mock.png") });
    } finally {
      await s.stop();
    }
  }, 60_000);
});

describe("offline mode", () => {
  it("serves the stored snapshot and makes no network request beyond its own origin's app and API", async () => {
    const dir = join(data, "offline");
    new SnapshotStore({ dir: join(dir, "snapshots"), ttlS: 3600, maxBytes: 262_144 }).put("hive:demo", readFileSync(FIXTURE));
    // A hive that is not there: any attempt to reach it would show in the server's counters.
    const s = await startTestSwarm(["--offline", "--data-dir", dir], { SWARMUI_9P_PORT: "1" });
    try {
      const w = await openPage(s.url);
      await w.page.waitForFunction(() => document.getElementById("hive-status")?.textContent === "Hive replay complete", null, { timeout: 20_000 });
      expect(await w.page.textContent("#mode-label")).toBe("OFFLINE");
      expect(await w.page.evaluate(() => Object.keys(window.__SWARMUI_HIVE_DEBUG.getAgentScreenPositions()).length)).toBe(13);
      const origin = new URL(s.url).origin;
      expect(w.requests.length).toBeGreaterThan(3);
      for (const r of w.requests) {
        expect(r.startsWith(origin + "/"), r).toBe(true);
        expect(new URL(r).pathname).toMatch(/^\/(|assets\/[\w.-]+|favicon\.ico|api\/(bootstrap|events|poll|detail))$/);
      }
      expect(s.state.link).toBeNull();
      expect(s.state.hiveRequests).toBe(0);
    } finally {
      await s.stop();
    }
  }, 60_000);
});
