// The namespace through the console (loopback, manual clock): lifecycle, workers and their
// telemetry, strict /queen/ctl, binds, /proc counters.

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
const ctl = async (json: string): Promise<string> => (await q.request(`ECHO /queen/ctl ${json}`)).ack;
const lifecycle = async (cmd: string): Promise<string> => (await q.request(`ECHO /queen/lifecycle/ctl ${cmd}`)).ack;

describe("lifecycle", () => {
  it("boots ONLINE by the manifest's auto transition, and logs it", async () => {
    expect(await cat("/proc/lifecycle/state")).toEqual(["state=ONLINE"]);
    expect(await cat("/proc/lifecycle/reason")).toEqual(["reason=boot-complete"]);
    expect(await cat("/proc/lifecycle/since")).toEqual(["since_ms=0"]);
    expect((await q.request("LOG")).lines).toContain("lifecycle transition old=BOOTING new=ONLINE reason=boot-complete");
  });

  it("follows the state machine and refuses invalid transitions", async () => {
    expect(await lifecycle("drain")).toBe("ERR ECHO reason=policy detail=lifecycle-denied path=/queen/lifecycle/ctl error=invalid-transition state=ONLINE");
    guest.advance(10);
    for (const [cmd, state] of [
      ["quiesce", "QUIESCED"],
      ["resume", "ONLINE"],
      ["cordon", "DRAINING"],
      ["drain", "QUIESCED"],
      ["reset", "BOOTING"],
      ["resume", "ONLINE"],
    ]) {
      expect(await lifecycle(cmd)).toBe("OK ECHO path=/queen/lifecycle/ctl bytes=" + cmd.length);
      expect(await cat("/proc/lifecycle/state")).toEqual([`state=${state}`]);
    }
    expect(await cat("/proc/lifecycle/since")).toEqual(["since_ms=10"]);
    expect(await lifecycle("resume")).toContain("error=invalid-transition state=ONLINE");
    expect(await lifecycle("explode")).toContain("error=invalid-command");
    const log = (await q.request("LOG")).lines;
    expect(log).toContain("lifecycle transition old=DRAINING new=QUIESCED reason=drain");
    expect(log).toContain("lifecycle denied action=drain state=ONLINE reason=invalid-transition");
  });

  it("drain, quiesce and reset are refused while workers exist; new work is gated while draining", async () => {
    expect(await ctl('{"spawn":"heartbeat","ticks":5}')).toMatch(/^OK ECHO/);
    expect(await lifecycle("quiesce")).toContain("error=outstanding-leases leases=1 state=ONLINE");
    expect(await lifecycle("cordon")).toMatch(/^OK ECHO/);
    expect(await ctl('{"spawn":"heartbeat","ticks":5}')).toBe(
      "ERR ECHO reason=policy detail=lifecycle-denied path=/queen/ctl error=gate new-work closed state=DRAINING",
    );
    expect(await lifecycle("drain")).toContain("outstanding-leases leases=1");
    expect(await ctl('{"kill":"worker-1"}')).toMatch(/^OK ECHO/);
    expect(await lifecycle("drain")).toMatch(/^OK ECHO/);
  });
});

describe("workers", () => {
  it("a heartbeat worker writes one record per second until its ticks run out, then disappears", async () => {
    expect(await ctl('{"spawn":"heartbeat","ticks":3}')).toMatch(/^OK ECHO/);
    expect((await q.request("LS /shard")).lines).toEqual(["13"]);
    expect((await q.request("LS /shard/13/worker")).lines).toEqual(["worker-1"]);
    expect((await q.request("LS /worker")).lines).toEqual(["worker-1"]);
    for (let t = 1; t <= 2; t++) guest.advance(1000);
    expect(await cat("/shard/13/worker/worker-1/telemetry")).toEqual(['{"tick":1,"ts_ms":1000}', '{"tick":2,"ts_ms":2000}']);
    expect(await cat("/worker/worker-1/telemetry")).toEqual(['{"tick":1,"ts_ms":1000}', '{"tick":2,"ts_ms":2000}']);
    guest.advance(1000);
    expect((await q.request("CAT /worker/worker-1/telemetry")).ack).toContain("detail=not-found");
    expect((await q.request("LS /shard")).ack).toBe("OK LS path=/shard entries=0");
    const log = (await q.request("LOG")).lines;
    expect(log).toContain("worker spawn id=worker-1 kind=heartbeat shard=13");
    expect(log).toContain("worker exit id=worker-1 reason=ticks-exhausted");
  });

  it("shard labels are the first byte of sha256(id): worker-2 is under 1c", async () => {
    await ctl('{"spawn":"heartbeat","ticks":0}');
    await ctl('{"spawn":"heartbeat","ticks":0}');
    expect((await q.request("LS /shard")).lines).toEqual(["13", "1c"]);
    expect((await q.request("ECHO /shard/1c/worker/worker-2/telemetry hello")).ack).toBe("OK ECHO path=/shard/1c/worker/worker-2/telemetry bytes=5");
    expect((await q.request("ECHO /shard/13/worker/worker-2/telemetry hello")).ack).toContain("detail=not-found");
  });

  it("the telemetry ring is bounded by bytes and logs its wrap", async () => {
    await ctl('{"spawn":"heartbeat","ticks":0}');
    const rec = "r".repeat(100);
    for (let i = 0; i < 12; i++) expect((await q.request(`ECHO /worker/worker-1/telemetry ${i}${rec}`)).ack).toMatch(/^OK ECHO/);
    const lines = await cat("/worker/worker-1/telemetry");
    expect(lines.length).toBeLessThan(12);
    expect(lines.reduce((a, l) => a + l.length + 1, 0)).toBeLessThanOrEqual(1024);
    expect(lines[lines.length - 1]).toBe(`11${rec}`);
    expect((await q.request("LOG")).lines.some((l) => l.startsWith("telemetry ring wrap worker=worker-1"))).toBe(true);
  });

  it("a GPU worker holds its lease until its ttl expires", async () => {
    expect(await ctl('{"spawn":"gpu","lease":{"gpu_id":"GPU-0","mem_mb":4096,"streams":2,"ttl_s":2}}')).toMatch(/^OK ECHO/);
    guest.advance(1999);
    expect((await q.request("LS /worker")).lines).toEqual(["worker-1"]);
    guest.advance(1);
    expect((await q.request("LS /worker")).lines).toEqual([]);
    expect((await q.request("LOG")).lines).toContain("worker exit id=worker-1 reason=ttl-expired");
  });

  it("holds the manifest's 1024 workers and refuses the next one as busy", async () => {
    for (let i = 0; i < 1024; i++) expect(await ctl('{"spawn":"heartbeat","ticks":0}')).toMatch(/^OK ECHO/);
    expect(await ctl('{"spawn":"heartbeat","ticks":0}')).toBe("ERR ECHO reason=busy detail=worker-limit path=/queen/ctl error=worker limit reached");
    expect((await q.request("LS /worker")).ack).toBe("OK LS path=/worker entries=1024");
    expect(await cat("/proc/pressure/busy")).toEqual(["busy=1"]);
  });
});

describe("/queen/ctl is strict and all-or-nothing", () => {
  for (const [json, why] of [
    ['{"spawn":"heartbeat","ticks":1,"extra":1}', "unknown field extra"],
    ['{"spawn":"heartbeat","ticks":"1"}', "ticks must be an integer"],
    ['{"spawn":"heartbeat"}', "missing ticks"],
    ['{"spawn":"heartbeat","ticks":1,"budget":{"ttl_s":1,"nope":2}}', "unknown field budget.nope"],
    ['{"spawn":"heartbeat","ticks":-1}', "ticks must be an integer"],
    ['{"spawn":"heartbeat","ticks":1.5}', "only integers are accepted"],
    ['{"spawn":"heartbeat","ticks":1,"ticks":2}', "duplicate key ticks"],
    ['{"spawn":"rocket","ticks":1}', "spawn must be heartbeat or gpu"],
    ['{"spawn":"gpu","lease":{"gpu_id":"GPU-0","mem_mb":1}}', "missing streams"],
    ['{"kill":"worker-1","x":1}', "kill takes no other field"],
    ['{"launch":"x"}', "unknown command launch"],
    ['{"spawn":"heartbeat","ticks":1}}', "trailing characters"],
    ['["spawn"]', "expected a JSON object"],
    ['{"spawn":"heart\\u0000beat","ticks":1}', "unsupported escape"],
  ]) {
    it(`${json} -> ${why}`, async () => {
      const r = await ctl(json);
      expect(r).toMatch(/^ERR ECHO reason=policy detail=invalid-payload path=\/queen\/ctl error=invalid payload: /);
      expect(r).toContain(why);
      expect((await q.request("LS /worker")).lines).toEqual([]);
      expect(await cat("/queen/ctl")).toEqual([]);
    });
  }
});

describe("binds and /proc", () => {
  it("bind overlays a path; at most 8 binds", async () => {
    await ctl('{"spawn":"heartbeat","ticks":0}');
    expect(await ctl('{"bind":{"from":"/shard/13/worker","to":"/mine"}}')).toMatch(/^OK ECHO/);
    expect((await q.request("LS /mine")).lines).toEqual(["worker-1"]);
    expect(await ctl('{"bind":{"from":"/proc/../x","to":"/y"}}')).toContain("detail=invalid-path");
    for (let i = 1; i < 8; i++) expect(await ctl(`{"bind":{"from":"/proc","to":"/p${i}"}}`)).toMatch(/^OK ECHO/);
    expect(await ctl('{"bind":{"from":"/proc","to":"/p9"}}')).toContain("reason=quota detail=buffer-full");
  });

  it("/proc/pressure counts every refusal by reason; /proc/root and session files read", async () => {
    await q.request("CAT /nope");
    await q.request("ECHO /proc/boot x");
    expect(await cat("/proc/pressure/policy")).toEqual(["policy=2"]);
    expect(await cat("/proc/pressure/quota")).toEqual(["quota=0"]);
    expect(await cat("/proc/root/reachable")).toEqual(["reachable=yes"]);
    expect(await cat("/proc/root/cut_reason")).toEqual(["cut_reason=none"]);
    expect(await cat("/proc/9p/session/active")).toEqual(["active=1 draining=0"]);
    expect(await cat("/proc/ingest/queued")).toEqual(["queued=0"]);
  });
});

describe("telemetry ingest", () => {
  const seg = (dev: string, n: number): string => `/queen/telemetry/${dev}/seg/seg-${String(n).padStart(6, "0")}`;

  it("ctl creates OS-named segments; latest follows; records append", async () => {
    expect((await q.request('ECHO /queen/telemetry/dev-1/ctl {"new":"segment","mime":"text/plain"}')).ack).toMatch(/^OK ECHO/);
    expect(await cat("/queen/telemetry/dev-1/latest")).toEqual(["seg-000001"]);
    expect((await q.request(`ECHO ${seg("dev-1", 1)} maintenance-event`)).ack).toBe(`OK ECHO path=${seg("dev-1", 1)} bytes=17`);
    expect(await cat(seg("dev-1", 1))).toEqual(["maintenance-event"]);
    expect((await q.request("LS /queen/telemetry")).lines).toEqual(["dev-1"]);
    expect((await q.request("LS /queen/telemetry/dev-1")).lines).toEqual(["ctl", "latest", "seg"]);
  });

  it("evicts the oldest segment past 4 per device; an evicted segment is gone", async () => {
    for (let i = 1; i <= 5; i++) expect((await q.request('ECHO /queen/telemetry/d/ctl {"new":"segment","mime":"text/plain"}')).ack).toMatch(/^OK/);
    expect((await q.request("LS /queen/telemetry/d/seg")).lines).toEqual(["seg-000002", "seg-000003", "seg-000004", "seg-000005"]);
    expect((await q.request(`CAT ${seg("d", 1)}`)).ack).toContain("detail=not-found");
    expect(await cat("/queen/telemetry/d/latest")).toEqual(["seg-000005"]);
    expect(await cat("/proc/ingest/dropped")).toEqual(["dropped=1"]);
  });

  it("enforces the envelopes: sequence, mime, contiguous offsets, no mixing", async () => {
    await q.request('ECHO /queen/telemetry/e/ctl {"new":"segment","mime":"text/plain"}');
    const push = (n: number, mime = "text/plain"): string => `{"schema":"cohsh-telemetry-push/v1","seq":${n},"mime":"${mime}","payload":"x${n}"}`;
    expect((await q.request(`ECHO ${seg("e", 1)} ${push(1)}`)).ack).toMatch(/^OK/);
    expect((await q.request(`ECHO ${seg("e", 1)} ${push(3)}`)).ack).toContain("seq must be 2");
    expect((await q.request(`ECHO ${seg("e", 1)} ${push(2, "text/csv")}`)).ack).toContain("mime must be text/plain");
    expect((await q.request(`ECHO ${seg("e", 1)} plain`)).ack).toContain("segment carries cohsh-telemetry-push/v1 records");
    expect((await q.request(`ECHO ${seg("e", 1)} ${push(2)}`)).ack).toMatch(/^OK/);
    await q.request('ECHO /queen/telemetry/e/ctl {"new":"segment","mime":"application/octet-stream"}');
    const ref = (n: number, off: number, len: number): string => `{"schema":"coh-ref-c/v1","seq":${n},"off":${off},"len":${len},"sha256":"QmFz"}`;
    expect((await q.request(`ECHO ${seg("e", 2)} ${ref(1, 0, 10)}`)).ack).toMatch(/^OK/);
    expect((await q.request(`ECHO ${seg("e", 2)} ${ref(2, 11, 10)}`)).ack).toContain("off must be 10 (contiguous)");
    expect((await q.request(`ECHO ${seg("e", 2)} ${ref(2, 10, 5)}`)).ack).toMatch(/^OK/);
    expect(await cat(seg("e", 2))).toHaveLength(2);
  });

  it("bad ctl lines, device names and mime types are refused", async () => {
    expect((await q.request('ECHO /queen/telemetry/x/ctl {"new":"segment","mime":"image/png"}')).ack).toContain("mime must be one of");
    expect((await q.request('ECHO /queen/telemetry/x/ctl {"new":"segment","mime":"text/plain","extra":1}')).ack).toContain("unknown field extra");
    expect((await q.request('ECHO /queen/telemetry/bad!name/ctl {"new":"segment","mime":"text/plain"}')).ack).toContain("detail=not-found");
    expect((await q.request("LS /queen/telemetry")).lines).toEqual([]);
  });

  it("a segment holds 32768 bytes: the append that would pass it is refused and changes nothing", async () => {
    await q.request('ECHO /queen/telemetry/big/ctl {"new":"segment","mime":"text/plain"}');
    const rec = "b".repeat(127); // 128 bytes with the record separator
    for (let i = 0; i < 256; i++) expect((await q.request(`ECHO ${seg("big", 1)} ${rec}`)).ack).toMatch(/^OK/);
    expect((await q.request(`ECHO ${seg("big", 1)} x`)).ack).toBe(
      `ERR ECHO reason=quota detail=buffer-full path=${seg("big", 1)} error=segment quota 32768 bytes exceeded`,
    );
    expect(await cat(seg("big", 1))).toHaveLength(256);
    expect(await cat("/proc/ingest/backpressure")).toEqual(["backpressure=1"]);
  });

  it("holds 16 devices; the 17th is refused", async () => {
    for (let i = 0; i < 16; i++) expect((await q.request(`ECHO /queen/telemetry/d${i}/ctl {"new":"segment","mime":"text/plain"}`)).ack).toMatch(/^OK/);
    expect((await q.request('ECHO /queen/telemetry/d16/ctl {"new":"segment","mime":"text/plain"}')).ack).toContain("error=device limit 16 reached");
    expect((await q.request("LS /queen/telemetry")).ack).toBe("OK LS path=/queen/telemetry entries=16");
  });

  it("ingest stays open while DRAINING and closes when QUIESCED", async () => {
    await q.request('ECHO /queen/telemetry/m/ctl {"new":"segment","mime":"text/plain"}');
    await q.request("ECHO /queen/lifecycle/ctl cordon");
    expect((await q.request(`ECHO ${seg("m", 1)} during-drain`)).ack).toMatch(/^OK/);
    await q.request("ECHO /queen/lifecycle/ctl drain");
    expect((await q.request(`ECHO ${seg("m", 1)} after`)).ack).toContain("gate telemetry-ingest closed state=QUIESCED");
  });
});
