// /queen/schedule/ctl and /queen/lease/ctl: deterministic ordering, tick-driven execution with
// budgets, leases with ttl, renew, preempt and quotas, and the lifecycle drain check.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ConsoleClient } from "../host/sdk/console/client.js";
import { Guest } from "../host/runtime/guest.js";
import { queen } from "./helpers/console.js";

let guest: Guest;
let q: ConsoleClient;

beforeEach(async () => {
  guest = await Guest.start({ manualClock: true });
  q = await queen(guest);
});
afterEach(async () => {
  await guest.stop();
});

const cat = async (p: string): Promise<string[]> => (await q.request(`CAT ${p}`)).lines;
const sched = async (j: string): Promise<string> => (await q.request(`ECHO /queen/schedule/ctl ${j}`)).ack;
const lease = async (j: string): Promise<string> => (await q.request(`ECHO /queen/lease/ctl ${j}`)).ack;

describe("schedule", () => {
  it("orders by priority, then arrival, and runs each job for its ticks", async () => {
    expect(await sched('{"id":"a","role":"worker-gpu","priority":2,"ticks":2,"budget_ms":1000}')).toMatch(/^OK/);
    expect(await sched('{"id":"b","role":"worker-gpu","priority":5,"ticks":1,"budget_ms":1000}')).toMatch(/^OK/);
    expect(await sched('{"id":"c","role":"worker-heartbeat","priority":2,"ticks":1,"budget_ms":1000}')).toMatch(/^OK/);
    expect((await cat("/proc/schedule/queue")).map((l) => l.split(" ")[0])).toEqual(["b", "a", "c"]);
    guest.advance(5); // b starts and uses its one tick
    expect(await cat("/proc/schedule/active")).toEqual(["active=none"]);
    guest.advance(5); // a starts
    expect(await cat("/proc/schedule/active")).toEqual(["active=a remaining_ticks=1"]);
    guest.advance(5);
    guest.advance(5);
    expect(await cat("/proc/schedule/summary")).toEqual(["queued=0 active=0 completed=3 over_budget=0 tick_ms=5"]);
    const log = (await q.request("LOG")).lines.filter((l) => l.startsWith("schedule start"));
    expect(log).toEqual(["schedule start id=b", "schedule start id=a", "schedule start id=c"]);
  });

  it("a job past its budget_ms is stopped and counted", async () => {
    await sched('{"id":"slow","role":"worker-gpu","priority":1,"ticks":1000,"budget_ms":20}');
    guest.advance(5);
    guest.advance(30);
    expect(await cat("/proc/schedule/summary")).toEqual(["queued=0 active=0 completed=1 over_budget=1 tick_ms=5"]);
  });

  it("malformed, duplicate and unknown-field jobs are refused with nothing queued", async () => {
    await sched('{"id":"x","role":"worker-gpu","priority":1,"ticks":1,"budget_ms":1}');
    for (const [j, why] of [
      ['{"id":"x","role":"worker-gpu","priority":1,"ticks":1,"budget_ms":1}', "already scheduled"],
      ['{"id":"y","role":"king","priority":1,"ticks":1,"budget_ms":1}', "role must be one of"],
      ['{"id":"y","role":"worker-gpu","priority":256,"ticks":1,"budget_ms":1}', "priority must be an integer in 0..255"],
      ['{"id":"y","role":"worker-gpu","priority":1,"ticks":1,"budget_ms":1,"z":1}', "unknown field z"],
      ['{"id":"' + "i".repeat(65) + '","role":"queen","priority":1,"ticks":1,"budget_ms":1}', "id must be 1-64 characters of [A-Za-z0-9._:/-]"],
    ]) {
      const r = await sched(j);
      expect(r).toContain("detail=invalid-payload");
      expect(r).toContain(why);
    }
    expect(await cat("/proc/schedule/queue")).toHaveLength(1);
  });

  it("the queue holds governance.schedule_queue_max (64) jobs", async () => {
    for (let i = 0; i < 64; i++) expect(await sched(`{"id":"j${i}","role":"worker-gpu","priority":1,"ticks":1,"budget_ms":1}`)).toMatch(/^OK/);
    expect(await sched('{"id":"j64","role":"worker-gpu","priority":1,"ticks":1,"budget_ms":1}')).toContain("schedule queue full");
  });
});

describe("leases", () => {
  it("grant, renew, expire by the guest clock", async () => {
    expect(await lease('{"op":"grant","id":"lease-1","subject":"queen","resource":"gpu0","ttl_s":300,"priority":5}')).toMatch(/^OK/);
    expect(await cat("/proc/lease/active")).toEqual(["lease-1 subject=queen resource=gpu0 priority=5 expires_ms=300000"]);
    guest.advance(200_000);
    // (Under the console's 300 s idle timeout between requests.)
    expect(await lease('{"op":"renew","id":"lease-1","ttl_s":120,"priority":6}')).toMatch(/^OK/);
    guest.advance(119_999);
    expect(await cat("/proc/lease/summary")).toEqual(["active=1 expired=0 preempted=0"]);
    guest.advance(1);
    expect(await cat("/proc/lease/summary")).toEqual(["active=0 expired=1 preempted=0"]);
    expect(await lease('{"op":"renew","id":"lease-1","ttl_s":60}')).toContain("detail=not-found");
  });

  it("quotas: max_active and max_preemptions", async () => {
    expect(await lease('{"op":"quota","subject":"queen","resource":"gpu0","max_active":1,"max_preemptions":1}')).toMatch(/^OK/);
    expect(await lease('{"op":"grant","id":"l1","subject":"queen","resource":"gpu0","ttl_s":60,"priority":1}')).toMatch(/^OK/);
    expect(await lease('{"op":"grant","id":"l2","subject":"queen","resource":"gpu0","ttl_s":60,"priority":1}')).toContain("reason=quota detail=lease-quota");
    expect(await lease('{"op":"preempt","id":"l1","reason":"timeout"}')).toMatch(/^OK/);
    expect(await lease('{"op":"grant","id":"l2","subject":"queen","resource":"gpu0","ttl_s":60,"priority":1}')).toMatch(/^OK/);
    expect(await lease('{"op":"preempt","id":"l2","reason":"again"}')).toContain("max_preemptions 1 reached");
    expect(await lease('{"op":"explode"}')).toContain("op must be grant, renew, preempt or quota");
  });

  it("lifecycle drain refuses while leases are active", async () => {
    await lease('{"op":"grant","id":"l1","subject":"queen","resource":"gpu0","ttl_s":60,"priority":1}');
    await q.request("ECHO /queen/lifecycle/ctl cordon");
    expect((await q.request("ECHO /queen/lifecycle/ctl drain")).ack).toContain("outstanding-leases leases=1");
    await lease('{"op":"preempt","id":"l1","reason":"maintenance"}');
    expect((await q.request("ECHO /queen/lifecycle/ctl drain")).ok).toBe(true);
  });
});
