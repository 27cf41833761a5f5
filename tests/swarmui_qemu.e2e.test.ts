// SwarmUI against the QEMU-booted image (one guest and one Chromium for the file): heartbeat
// workers spawned by an operator's session appear as dots and heat up, a killed worker's dot
// goes, SwarmUI reads the same hive over Secure9P, and when the guest is gone the header says CUT.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { QemuGuest } from "../host/runtime/qemu.js";
import { tcpTransport } from "../host/sdk/connect.js";
import type { NamespaceClient } from "../host/sdk/ns.js";
import { clientOn } from "../host/sdk/open.js";
import { ROOT } from "../host/swarmui/config.js";
import type { RunningSwarm } from "../host/swarmui/server.js";
import type { Bootstrap, PollBatch } from "../host/swarmui/shared/types.js";
import { cspViolations, launch, watchedPage, type Watched } from "./swarmui/browser.js";
import { get, startTestSwarm, uiReady } from "./swarmui/server.js";

const data = mkdtempSync(join(tmpdir(), "swarmui-qemu-"));
let q: QemuGuest | undefined;
let browser: Browser | undefined;
let swarm: RunningSwarm | undefined;
let op: NamespaceClient | undefined;
let w: Watched;

type Debug = {
  getAgentScreenPositions(): Record<string, { x: number; y: number }>;
  getAgentStates(): Record<string, { heat: number; events: number }>;
};
declare const window: { __SWARMUI_HIVE_DEBUG: Debug };

beforeAll(async () => {
  await uiReady();
  q = await QemuGuest.start();
  await q.waitReady(120_000);
  browser = await launch();
  swarm = await startTestSwarm(["--data-dir", data], { SWARMUI_TRANSPORT: "console", SWARMUI_9P_HOST: "127.0.0.1", SWARMUI_9P_PORT: String(q.ports.tcp) });
  op = clientOn(tcpTransport("127.0.0.1", q.ports.tcp), {});
  await op.attach("queen");
  w = await watchedPage(browser);
  await w.page.goto(swarm.url);
  await w.page.waitForFunction(() => document.getElementById("root-badge")?.textContent === "ROOT OK", null, { timeout: 30_000 });
}, 240_000);
afterAll(async () => {
  await op?.close().catch(() => undefined);
  await w?.page.context().close().catch(() => undefined);
  await browser?.close();
  await swarm?.stop();
  await q?.stop();
  rmSync(data, { recursive: true, force: true });
});

const workerDots = (): Promise<string[]> => w.page.evaluate(() => Object.keys(window.__SWARMUI_HIVE_DEBUG.getAgentScreenPositions()).filter((k) => k !== "queen").sort());

describe("the Live Hive on the QEMU guest", () => {
  it("spawned heartbeat workers appear as dots and their telemetry heat rises", async () => {
    expect(await workerDots()).toEqual([]);
    for (let i = 0; i < 3; i++) await op!.append("/queen/ctl", '{"spawn":"heartbeat","ticks":0}');
    const ids = (await op!.ls("/worker")).sort();
    expect(ids).toHaveLength(3);
    await w.page.waitForFunction((n) => Object.keys(window.__SWARMUI_HIVE_DEBUG.getAgentScreenPositions()).length === n + 1, ids.length, { timeout: 20_000 });
    expect(await workerDots()).toEqual(ids);
    await w.page.waitForFunction((list) => list.every((id) => (window.__SWARMUI_HIVE_DEBUG.getAgentStates()[id]?.heat ?? 0) > 0.2), ids, { timeout: 20_000 });
    const states = await w.page.evaluate(() => window.__SWARMUI_HIVE_DEBUG.getAgentStates());
    for (const id of ids) expect(states[id].events).toBeGreaterThan(0);
    expect(await w.page.textContent("#sessions")).toMatch(/^Sessions \d+ · draining 0$/);
    expect(w.errors).toEqual([]);
    expect(await cspViolations(w.page)).toEqual([]);
  }, 60_000);

  it("a killed worker's dot disappears", async () => {
    const before = await workerDots();
    const victim = before[1];
    await op!.append("/queen/ctl", JSON.stringify({ kill: victim }));
    await w.page.waitForFunction((id) => !(id in window.__SWARMUI_HIVE_DEBUG.getAgentScreenPositions()), victim, { timeout: 20_000 });
    expect(await workerDots()).toEqual(before.filter((id) => id !== victim));
  }, 60_000);

  it("SwarmUI reads the same hive over Secure9P (a minted queen ticket)", async () => {
    const s9 = await startTestSwarm(["--data-dir", data], { SWARMUI_TRANSPORT: "9p", SWARMUI_9P_PORT: String(q!.ports.tcp) });
    try {
      const b = (await get<Bootstrap>(s9, "/api/bootstrap")).body;
      expect(b.session.transport).toBe("9p");
      expect(b.agents.filter((a) => a.role !== "queen").map((a) => a.id).sort()).toEqual((await op!.ls("/worker")).sort());
      const batch = (await get<{ batches: PollBatch[] }>(s9, "/api/poll?after=0")).body.batches[0];
      expect(batch.root).toEqual({ reachable: true, cut_reason: null });
      expect(batch.events.length).toBeGreaterThan(0);
    } finally {
      await s9.stop();
    }
  }, 60_000);

  it("when the guest is gone the header shows CUT", async () => {
    await op!.close().catch(() => undefined);
    op = undefined;
    await q!.stop();
    q = undefined;
    await w.page.waitForFunction(() => document.getElementById("root-badge")?.textContent?.startsWith("CUT"), null, { timeout: 30_000 });
    expect(await w.page.textContent("#root-badge")).toBe("CUT unreachable");
    await w.page.screenshot({ path: join(ROOT, "out/swarmui/screenshots/swarmui-qemu-cut.png") });
  }, 60_000);
});
