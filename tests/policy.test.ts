// PolicyFS on a core built from the regression manifest (which gates /queen/ctl): a gated write
// needs an approval, one approval allows exactly one write, denials and replays are refused,
// and every decision is audited. The default manifest gates nothing (checked too).

import { createHash } from "node:crypto";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ConsoleClient } from "../host/sdk/console/client.js";
import { Guest } from "../host/runtime/guest.js";
import { queen } from "./helpers/console.js";
import { buildRegressionCore } from "./helpers/regression_core.js";

let wasm = "";
let guest: Guest;
let q: ConsoleClient;

beforeAll(() => {
  wasm = buildRegressionCore("policy");
}, 60_000);
beforeEach(async () => {
  guest = await Guest.start({ manualClock: true, wasm });
  q = await queen(guest);
  // The regression manifest boots without the automatic ONLINE transition.
  expect((await q.request("CAT /proc/lifecycle/state")).lines).toEqual(["state=BOOTING"]);
  expect((await q.request("ECHO /queen/lifecycle/ctl resume")).ok).toBe(true);
});
afterEach(async () => {
  await guest.stop();
});

const SPAWN = 'ECHO /queen/ctl {"spawn":"heartbeat","ticks":0}';
const status = async (id: string): Promise<unknown> => JSON.parse((await q.request(`CAT /actions/${id}/status`)).lines[0]);

describe("policy gate (regression manifest)", () => {
  it("lists its rules", async () => {
    const rules = [
      { id: "queen-ctl", target: "/queen/ctl" },
      { id: "systemd-restart", target: "/host/systemd/*/restart" },
      { id: "policy-ctl", target: "/policy/ctl" },
    ];
    expect(JSON.parse((await q.request("CAT /policy/rules")).lines[0])).toEqual({
      enabled: true,
      revision: "manifest",
      sha256: createHash("sha256").update(JSON.stringify(rules)).digest("hex"),
      limits: { queue_max_entries: 32, ctl_max_bytes: 2048, rules_max: 16, revisions_max: 8 },
      rules,
    });
  });

  it("without an approval: EPERM; with one: exactly one write; a replayed approval: EPERM", async () => {
    expect((await q.request(SPAWN)).ack).toBe("ERR ECHO reason=policy detail=denied path=/queen/ctl error=EPERM");
    expect((await q.request('ECHO /actions/queue {"id":"approval-1","target":"/queen/ctl","decision":"approve"}')).ok).toBe(true);
    expect(await status("approval-1")).toEqual({ id: "approval-1", target: "/queen/ctl", decision: "approve", state: "queued" });
    expect((await q.request(SPAWN)).ok).toBe(true);
    expect(await status("approval-1")).toMatchObject({ state: "consumed" });
    expect((await q.request(SPAWN)).ack).toContain("error=EPERM");
    expect((await q.request('ECHO /actions/queue {"id":"approval-1","target":"/queen/ctl","decision":"approve"}')).ack).toContain("id approval-1 already used");
    expect((await q.request("LS /worker")).lines).toEqual(["worker-1"]); // exactly one spawn landed
  });

  it("an approved write refused for another reason keeps its approval", async () => {
    await q.request('ECHO /actions/queue {"id":"keep","target":"/queen/ctl","decision":"approve"}');
    expect((await q.request('ECHO /queen/ctl {"spawn":"heartbeat"}')).ack).toContain("invalid-payload");
    expect(await status("keep")).toMatchObject({ state: "queued" });
    expect((await q.request(SPAWN)).ok).toBe(true);
    expect(await status("keep")).toMatchObject({ state: "consumed" });
  });

  it("a deny decision refuses the write and is used up", async () => {
    await q.request('ECHO /actions/queue {"id":"no-1","target":"/queen/ctl","decision":"deny"}');
    expect((await q.request(SPAWN)).ack).toContain("error=EPERM");
    expect(await status("no-1")).toMatchObject({ state: "consumed" });
  });

  it("every decision is audited; malformed approvals are refused", async () => {
    await q.request(SPAWN);
    await q.request('ECHO /actions/queue {"id":"a2","target":"/queen/ctl","decision":"approve"}');
    await q.request(SPAWN);
    const d = (await q.request("CAT /audit/decisions")).lines.map((l) => JSON.parse(l) as { kind: string; outcome: string; action: string });
    expect(d.map((x) => [x.kind, x.outcome, x.action])).toEqual([
      ["policy-gate", "deny", "-"],
      ["policy-action", "allow", "a2"],
      ["policy-gate", "allow", "a2"],
    ]);
    for (const bad of ['{"id":"x","target":"/queen/ctl","decision":"maybe"}', '{"id":"x","target":"/queen/ctl","decision":"approve","extra":1}', '{"id":"../x","target":"/q","decision":"deny"}']) {
      expect((await q.request(`ECHO /actions/queue ${bad}`)).ack).toContain("detail=invalid-payload");
    }
  });

  it("the approval queue is bounded", async () => {
    for (let i = 0; i < 32; i++) expect((await q.request(`ECHO /actions/queue {"id":"p${i}","target":"/x/${i}","decision":"approve"}`)).ok).toBe(true);
    expect((await q.request('ECHO /actions/queue {"id":"p32","target":"/x","decision":"approve"}')).ack).toContain("approval queue full");
  });

  it("keeps at most audit.decisions_max_bytes of decisions; /audit/export shows the window", async () => {
    const exported = async (): Promise<Record<string, number>> => JSON.parse((await q.request("CAT /audit/export")).lines[0]);
    expect(await exported()).toMatchObject({ decisions_base: 0, decisions_next: 0, decisions_max_bytes: 4096 });
    let sent = 0;
    for (; sent < 32; sent++) await q.request(`ECHO /actions/queue {"id":"d${sent}","target":"/queen/ctl/${sent}","decision":"deny"}`);
    const lines = (await q.request("CAT /audit/decisions")).lines;
    const bytes = lines.reduce((a, l) => a + Buffer.byteLength(l) + 1, 0);
    expect(bytes).toBeLessThanOrEqual(4096);
    const x = await exported();
    expect(x.decisions_next).toBe(sent);
    expect(x.decisions_base).toBeGreaterThan(0); // 32 decisions do not fit: the oldest went first
    expect(JSON.parse(lines[0]).seq).toBe(x.decisions_base);
    expect(JSON.parse(lines[lines.length - 1]).seq).toBe(sent - 1);
  });
});

describe("default manifest", () => {
  it("gates nothing: a fresh hive works without approvals", async () => {
    const g = await Guest.start({ manualClock: true });
    try {
      const c = await queen(g);
      expect(JSON.parse((await c.request("CAT /policy/rules")).lines[0])).toMatchObject({ enabled: false, rules: [] });
      expect((await c.request(SPAWN)).ok).toBe(true);
    } finally {
      await g.stop();
    }
  });
});
