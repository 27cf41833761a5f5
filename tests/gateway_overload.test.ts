// Overload: the regression manifest sizes hive-gateway's lanes tiny (1 session, 2 waiting per
// lane). 64 writers and 64 readers at once get 429 with Retry-After for what does not fit, and
// every write acknowledged with 200 is in the guest exactly once; no refused write is.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningGateway } from "../host/hive-gateway/gateway.js";
import { loadManifest } from "../host/hive-gateway/manifest.js";
import { TOKEN, inProcess, resolvedManifest } from "./helpers/gateway.js";

// The regression manifest as coh-rtc resolves it (the gateway reads resolved manifests).
const REGRESSION = resolvedManifest({}, "configs/root_task_regression.toml");
const SEG = "/queen/telemetry/overload/seg/seg-000001";

describe("hive-gateway under overload (regression manifest lanes)", () => {
  let gw: RunningGateway;
  const h = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };

  beforeAll(async () => {
    gw = await inProcess(["--mock", "--manifest", REGRESSION]);
    const r = await fetch(`${gw.url}/v1/fs/echo`, { method: "POST", headers: h, body: JSON.stringify({ path: "/queen/telemetry/overload/ctl", line: '{"new":"segment","mime":"text/plain"}' }) });
    expect((await r.json()).seg_id).toBe("seg-000001");
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it("the lanes are the regression manifest's", () => {
    const g = loadManifest(REGRESSION).m.gateway;
    expect(gw.hive.broker.lanes.control.max).toBe(g.control_queue_max);
    expect(gw.hive.broker.lanes.telemetry.max).toBe(g.telemetry_queue_max);
    expect(gw.hive.broker.lanes.control.sessions).toHaveLength(g.control_sessions);
    expect(g.control_queue_max).toBeLessThan(8);
  });

  it("64 writers + 64 readers: 429 + Retry-After past the bound; acknowledged writes land once, refused ones never", async () => {
    const write = async (i: number) => {
      const r = await fetch(`${gw.url}/v1/fs/echo`, { method: "POST", headers: h, body: JSON.stringify({ path: SEG, line: `ovl-${i}` }) });
      return { i, status: r.status, retryAfter: r.headers.get("retry-after"), body: (await r.json()) as { error?: string; uncertain?: boolean } };
    };
    const read = async () => {
      const r = await fetch(`${gw.url}/v1/fs/tail?path=/log/queen.log&max_bytes=16384&lines=1`, { headers: h });
      return { status: r.status, retryAfter: r.headers.get("retry-after") };
    };
    const [writes, reads] = await Promise.all([Promise.all(Array.from({ length: 64 }, (_, i) => write(i))), Promise.all(Array.from({ length: 64 }, () => read()))]);

    for (const r of [...writes, ...reads]) expect([200, 429]).toContain(r.status);
    const acked = writes.filter((w) => w.status === 200).map((w) => `ovl-${w.i}`);
    const refused = writes.filter((w) => w.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(reads.filter((r) => r.status === 429).length).toBeGreaterThan(0);
    for (const r of [...refused, ...reads.filter((x) => x.status === 429)]) expect(Number(r.retryAfter)).toBeGreaterThanOrEqual(1);
    expect(refused[0].body.error).toMatch(/^gateway backpressure: control queue full \(\d+ waiting\)$/);

    const back = await fetch(`${gw.url}/v1/fs/cat?path=${SEG}&max_bytes=16384`, { headers: h });
    const lines = ((await back.json()) as { lines: string[] }).lines.filter((l) => l.startsWith("ovl-"));
    expect([...lines].sort()).toEqual([...acked].sort());
    expect(new Set(lines).size).toBe(lines.length);

    const st = (await (await fetch(`${gw.url}/v1/meta/status`, { headers: h })).json()) as { broker: Record<string, number> };
    expect(st.broker.pool_exhausted).toBeGreaterThanOrEqual(refused.length);
    expect(st.broker.control_rejections).toBe(refused.length);
    expect(st.broker.control_waiters_high_water).toBeLessThanOrEqual(gw.hive.broker.lanes.control.max);
  });

  it("a writer that honours Retry-After gets every record in, once", async () => {
    const tags = Array.from({ length: 16 }, (_, i) => `retry-${i}`);
    let rounds = 0;
    await Promise.all(
      tags.map(async (tag) => {
        for (;;) {
          const r = await fetch(`${gw.url}/v1/fs/echo`, { method: "POST", headers: h, body: JSON.stringify({ path: SEG, line: tag }) });
          if (r.status === 200) return;
          expect(r.status).toBe(429);
          rounds++;
          // Retry-After is a whole number of seconds; spread the herd inside that second.
          await new Promise((res) => setTimeout(res, Number(r.headers.get("retry-after")) * 1000 * Math.random()));
        }
      }),
    );
    const back = await fetch(`${gw.url}/v1/fs/cat?path=${SEG}&max_bytes=16384`, { headers: h });
    const lines = ((await back.json()) as { lines: string[] }).lines.filter((l) => l.startsWith("retry-"));
    expect([...lines].sort()).toEqual([...tags].sort());
    expect(rounds).toBeGreaterThan(0);
  });
});
