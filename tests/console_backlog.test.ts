// Replies longer than the session's tx queue: they wait, in order, for a slow reader (bounded by
// console.reply_backlog_bytes); a peer that stops reading past the bound is cut; a CAT that
// could never fit is refused whole. The loopback network models lwIP's send window, here small.

import { afterEach, describe, expect, it } from "vitest";
import { ConsoleClient } from "../host/sdk/console/client.js";
import { loopbackPipe } from "../host/sdk/connect.js";
import { MANIFEST } from "../host/generated/manifest.js";
import type { StreamEnd } from "../host/runtime/net_loopback.js";
import { Guest } from "../host/runtime/guest.js";
import { CONSOLE_PORT, queen, settle } from "./helpers/console.js";
import { buildRegressionCore } from "./helpers/regression_core.js";

let guest: Guest | null = null;
afterEach(async () => {
  await guest?.stop();
  guest = null;
});

async function pausable(g: Guest): Promise<{ c: ConsoleClient; end: StreamEnd }> {
  const end = g.loopback.connect(CONSOLE_PORT);
  if (!end) throw new Error("nothing listens on the console port");
  const c = new ConsoleClient(loopbackPipe(end));
  expect((await c.request("AUTH changeme")).ack).toBe("OK AUTH");
  expect((await c.request("ATTACH queen")).ok).toBe(true);
  return { c, end };
}

/** A segment of `n` records of 100 bytes each. */
async function fill(q: ConsoleClient, n: number): Promise<string[]> {
  expect((await q.request('ECHO /queen/telemetry/dev-1/ctl {"new":"segment","mime":"text/plain"}')).ok).toBe(true);
  const recs: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = `rec-${String(i).padStart(4, "0")}-`.padEnd(100, "x");
    expect((await q.request(`ECHO /queen/telemetry/dev-1/seg/seg-000001 ${r}`)).ok).toBe(true);
    recs.push(r);
  }
  return recs;
}

const cuts = async (q: ConsoleClient): Promise<number> => Number(/slow_reader_cuts=(\d+)/.exec((await q.request("NETSTATS")).lines.join(" "))?.[1]);

describe("replies longer than the tx queue", () => {
  it("wait for a slow reader and arrive whole and in order, pipelined replies after them", async () => {
    guest = await Guest.start({ manualClock: true, sendWindow: 4096 });
    const q = await queen(guest);
    const recs = await fill(q, 250); // ~26 KB of frames: past the 4 KiB window and the 16 KiB queue
    const { c, end } = await pausable(guest);
    end.pause();
    c.send("CAT /queen/telemetry/dev-1/seg/seg-000001");
    c.send("PING");
    for (let i = 0; i < 5; i++) await settle();
    expect(await cuts(q)).toBe(0);
    end.resume();
    const cat = await c.collect();
    expect(cat.ack).toMatch(/^OK CAT path=\/queen\/telemetry\/dev-1\/seg\/seg-000001 data=/);
    expect(cat.lines).toEqual(recs);
    expect((await c.collect()).ack).toBe("OK PING reply=pong");
    expect(await cuts(q)).toBe(0);
  });

  it("a peer that stops reading past console.reply_backlog_bytes is cut; others keep working", async () => {
    guest = await Guest.start({ manualClock: true, sendWindow: 4096 });
    const q = await queen(guest);
    await fill(q, 250);
    const { c, end } = await pausable(guest);
    end.pause();
    const per = 250 * 104;
    const n = Math.ceil((MANIFEST.console.tx_queue_bytes + MANIFEST.console.reply_backlog_bytes) / per) + 2;
    for (let i = 0; i < n; i++) c.send("CAT /queen/telemetry/dev-1/seg/seg-000001");
    for (let i = 0; i < 5; i++) await settle();
    expect(await cuts(q)).toBe(1);
    expect((await q.request("PING")).ack).toBe("OK PING reply=pong");
    end.resume();
    guest.advance(3000); // the cut connection's close grace
    await settle();
    expect(end.closed).toBe(true);
  });
});

describe("a CAT that could never fit (regression manifest: small backlog)", () => {
  it("is refused whole with a clear error; tail still reads the newest lines", async () => {
    guest = await Guest.start({ manualClock: true, wasm: buildRegressionCore("backlog") });
    const q = await queen(guest);
    expect((await q.request("ECHO /queen/lifecycle/ctl resume")).ok).toBe(true);
    await fill(q, 250);
    const r = await q.request("CAT /queen/telemetry/dev-1/seg/seg-000001");
    expect(r.ack).toMatch(/^ERR CAT reason=quota detail=too-large path=\/queen\/telemetry\/dev-1\/seg\/seg-000001 error=26000 bytes exceed the console's \d+; use tail or Secure9P$/);
    expect(r.lines).toEqual([]);
    const t = await q.request("TAIL /queen/telemetry/dev-1/seg/seg-000001");
    expect(t.ok).toBe(true);
    expect(t.lines).toHaveLength(MANIFEST.console.log_lines);
    expect((await q.request("PING")).ack).toBe("OK PING reply=pong");
  }, 60_000);
});
