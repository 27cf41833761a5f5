// /log/system.log (issue 10, "client-written records marked as such"): the queen log keeps the
// original's verbatim echoed lines, so a queen can echo a line shaped exactly like an audit
// record into it; /log/system.log holds only the records the core wrote, in the same order, and no
// client can write it.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ConsoleClient } from "../host/sdk/console/client.js";
import { Guest } from "../host/runtime/guest.js";
import { authed, queen } from "./helpers/console.js";
import { manifestTicket } from "./helpers/tickets.js";

const wall = 1_800_000_000_000n;
let guest: Guest;
let q: ConsoleClient;

beforeAll(async () => {
  guest = await Guest.start({ manualClock: true, wallMs: () => wall });
  q = await queen(guest);
}, 60_000);
afterAll(async () => {
  await guest?.stop();
});

const tail = async (p: string): Promise<string[]> => {
  const r = await q.request(`TAIL ${p}`);
  expect(r.ok, r.ack).toBe(true);
  return r.lines;
};

describe("/log/system.log", () => {
  it("shows the core's records and never a client's echo, however it is shaped", async () => {
    const forged = "lifecycle transition old=ONLINE new=QUIESCED reason=operator";
    expect((await q.request(`ECHO /log/queen.log ${forged}`)).ok).toBe(true);
    expect((await q.request("ECHO /queen/lifecycle/ctl cordon")).ok).toBe(true);
    const real = "lifecycle transition old=ONLINE new=DRAINING reason=cordon";
    const log = await tail("/log/queen.log");
    expect(log).toContain(forged); // the original's clients read echoed lines back verbatim
    expect(log.indexOf(real)).toBeGreaterThan(log.indexOf(forged));
    const sys = await tail("/log/system.log");
    expect(sys).not.toContain(forged);
    expect(sys.at(-1)).toBe(real);
    // Same records, same order: the queen log is system.log with the echoes merged in.
    expect(log.filter((l) => l !== forged)).toEqual(sys.slice(-log.filter((l) => l !== forged).length));
    expect((await q.request("ECHO /queen/lifecycle/ctl resume")).ok).toBe(true);
  });

  it("is read-only for the queen and outside every worker's view", async () => {
    expect((await q.request("ECHO /log/system.log lifecycle transition old=A new=B reason=c")).ack).toMatch(/^ERR ECHO reason=policy detail=denied/);
    expect((await q.request('ECHO /queen/ctl {"spawn":"heartbeat","ticks":0}')).ok).toBe(true);
    const w = await authed(guest);
    expect((await w.request(`ATTACH worker-heartbeat ${manifestTicket("worker-heartbeat", "worker-1", wall)}`)).ok).toBe(true);
    expect((await w.request("CAT /log/queen.log")).ok).toBe(true);
    expect((await w.request("CAT /log/system.log")).ack).toMatch(/^ERR CAT reason=policy detail=denied/);
  });
});
