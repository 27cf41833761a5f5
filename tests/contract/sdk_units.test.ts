// The SDK's pieces below the contract: the shared frame reader at its bounds, console replies
// in order under concurrent callers, "not 9P" as a close reason, the ERR grammar both ways,
// the pure builders (Results), the uploader sized by caps, reconnects and the session pool.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MANIFEST } from "../../host/generated/manifest.js";
import { ConsoleClient } from "../../host/sdk/console/client.js";
import { ackFields, errLine, refusalOf, render, replyLines } from "../../host/sdk/console/grammar.js";
import { ConsolePool } from "../../host/sdk/console/pool.js";
import { Session } from "../../host/sdk/console/session.js";
import { mockTransport, type Transport } from "../../host/sdk/connect.js";
import { checkRecord, newLines, NsClosed, NsRefusal } from "../../host/sdk/ns.js";
import { NineNamespace } from "../../host/sdk/ns_9p.js";
import { P9Client, P9ClosedError } from "../../host/sdk/p9/client.js";
import { FrameLengthError, LengthPrefixReader, type BytePipe } from "../../host/sdk/pipe.js";
import { bindRequest, killRequest, mountRequest, spawnRequest } from "../../host/sdk/queen_ctl.js";
import { b64ChunkBytes, upload, uploadRecords } from "../../host/sdk/upload.js";
import { manifestTicket } from "../helpers/tickets.js";

function frame(len: number): Uint8Array {
  const b = Buffer.alloc(Math.max(4, len));
  b.writeUInt32LE(len, 0);
  return b;
}

/** A pipe whose far end the test plays: `peer` is what the far end sends. */
function fakePipe(): { pipe: BytePipe; peer: (b: Uint8Array) => void; written: Uint8Array[]; ended: () => boolean } {
  const data: Array<(b: Uint8Array) => void> = [];
  const closes: Array<(r: string) => void> = [];
  const written: Uint8Array[] = [];
  let ended = false;
  return {
    pipe: {
      write: (b) => void written.push(b),
      end: () => {
        ended = true;
        closes.forEach((c) => c("closed by us"));
      },
      onData: (cb) => void data.push(cb),
      onClose: (cb) => void closes.push(cb),
    },
    peer: (b) => data.forEach((d) => d(b)),
    written,
    ended: () => ended,
  };
}

describe("LengthPrefixReader (console frames and 9P)", () => {
  it("takes lengths at min and max, refuses min-1 and max+1, reassembles split frames", () => {
    const r = new LengthPrefixReader(7, 64, "9P");
    expect(r.push(frame(7))).toHaveLength(1);
    expect(r.push(frame(64))).toHaveLength(1);
    const f = frame(20);
    expect(r.push(f.subarray(0, 3))).toEqual([]);
    expect(r.partial).toBe(true);
    expect(r.push(f.subarray(3)).map((x) => Buffer.from(x))).toEqual([Buffer.from(f)]);
    expect(() => new LengthPrefixReader(7, 64, "9P").push(frame(6))).toThrow(FrameLengthError);
    expect(() => new LengthPrefixReader(7, 64, "9P").push(frame(65))).toThrow("declared length 65 (allowed 7..64)");
  });
});

describe("9P client", () => {
  it("a peer that does not speak 9P closes the client with 'not 9P: …', not a bare 'closed'", async () => {
    const f = fakePipe();
    const c = new P9Client(f.pipe, 2000);
    const v = c.negotiate();
    // A console reply where Rversion was expected: a frame of an unknown message type.
    f.peer(Buffer.from([11, 0, 0, 0, 0x4f, 0x4b, 0x20, 0x41, 0x55, 0x54, 0x48]));
    await expect(v).rejects.toBeInstanceOf(P9ClosedError);
    await expect(v).rejects.toThrow(/^not 9P: unknown message type/);
    expect(c.closed).toMatch(/^not 9P/);
    expect(f.ended()).toBe(true);
  });
});

describe("console grammar", () => {
  it("ERR lines parse into NsRefusal fields (values may hold spaces), and render back unchanged", () => {
    const line = "ERR CAT reason=policy detail=invalid-path path=/nope error=invalid path";
    expect(ackFields(line)).toEqual({ reason: "policy", detail: "invalid-path", path: "/nope", error: "invalid path" });
    const r = refusalOf(line);
    expect(r).toMatchObject({ op: "CAT", reason: "policy", detail: "invalid-path", path: "/nope", errnoName: undefined, httpStatus: 400 });
    expect(errLine("CAT", r)).toBe(line);
    expect(refusalOf("ERR ECHO reason=policy detail=denied path=/proc/boot error=EPERM")).toMatchObject({ errnoName: "EPERM", httpStatus: 403 });
    expect(refusalOf("ERR CONSOLE reason=busy").httpStatus).toBe(429);
    expect(errLine("CAT", new NsRefusal({ reason: "policy", detail: "ENOENT", path: "/x", errnoName: "ENOENT" }))).toBe("ERR CAT reason=policy path=/x error=ENOENT");
  });

  it("renders the console's acks, with CAT's data= detail clipped at 128 like the guest", () => {
    const long = "x".repeat(200);
    const cat = render.cat("/p", [long]);
    expect(cat.ack).toBe(`OK CAT path=/p data=${"x".repeat(128 - "path=/p data=".length)}`);
    expect(replyLines(render.ls("/d", ["a", "b"]))).toEqual(["OK LS path=/d entries=2", "a", "b", "END"]);
    expect(replyLines(render.echo("/log/queen.log", 3))).toEqual(["OK ECHO path=/log/queen.log bytes=3"]);
  });

  it("newLines hands over only what follows the overlap", () => {
    expect(newLines(["a", "b", "c"], ["b", "c", "d", "e"])).toEqual(["d", "e"]);
    expect(newLines(["a"], ["x"])).toEqual(["x"]);
  });

  it("checkRecord: a record at the bound passes, one byte past is a quota refusal naming the limit", () => {
    expect(() => checkRecord("a".repeat(128), 128, "/p")).not.toThrow();
    expect(() => checkRecord("a".repeat(129), 128, "/p")).toThrow("quota (record 129 bytes > 128)");
    expect(() => checkRecord("é".repeat(65), 128, "/p")).toThrow("record 130 bytes > 128");
    expect(() => checkRecord("a\nb", 128, "/p")).toThrow(NsRefusal);
  });
});

describe("pure builders return Results", () => {
  it("/queen/ctl requests", () => {
    expect(spawnRequest(["heartbeat", "ticks=5", "ops=2"])).toEqual({ ok: true, value: '{"spawn":"heartbeat","ticks":5,"budget":{"ops":2}}' });
    expect(spawnRequest(["heartbeat"])).toEqual({ ok: false, error: "missing ticks=" });
    expect(spawnRequest(["gpu", "gpu_id=bad id!", "mem_mb=1", "streams=1", "ttl_s=1"]).ok).toBe(false);
    expect(killRequest("worker-3")).toEqual({ ok: true, value: '{"kill":"worker-3"}' });
    expect(killRequest("")).toEqual({ ok: false, error: "usage: kill <worker>" });
    expect(bindRequest("/a", "/b")).toEqual({ ok: true, value: '{"bind":{"from":"/a","to":"/b"}}' });
    expect(mountRequest("proc", "/m")).toEqual({ ok: true, value: '{"mount":{"service":"proc","at":"/m"}}' });
  });

  it("upload records are sized by the connection's maxRecord: begin, b64 lines, end", () => {
    const data = new Uint8Array(Array.from({ length: 200 }, (_, i) => i));
    const plan = uploadRecords(data, { maxRecord: 128 });
    if (!plan.ok) throw new Error(plan.error);
    const recs = plan.value.records;
    expect(recs[0]).toBe(`begin bytes=200 sha256=${plan.value.sha256}`);
    expect(recs.at(-1)).toBe("end");
    for (const r of recs) expect(r.length).toBeLessThanOrEqual(128);
    expect(b64ChunkBytes(128)).toBe(93);
    expect(Buffer.concat(recs.slice(1, -1).map((r) => Buffer.from(r.slice(4), "base64")))).toEqual(Buffer.from(data));
    const nine = uploadRecords(data, { maxRecord: 8168 }, false);
    expect(nine.ok && nine.value.records).toHaveLength(1);
    expect(uploadRecords(data, { maxRecord: 6 }).ok).toBe(false);
    // The begin record itself (~100 bytes) must fit: a 64-byte console would refuse it.
    expect(uploadRecords(data, { maxRecord: 64 })).toEqual({ ok: false, error: expect.stringContaining("the begin record") });
  });
});

describe("against the mock", () => {
  let mock: Transport;
  beforeAll(async () => {
    mock = await mockTransport();
  });
  afterAll(async () => {
    await mock?.stop();
  });

  it("a console client answers concurrent requests in order, each with its own reply", async () => {
    const c = new ConsoleClient(await mock.connector());
    expect((await c.request("AUTH changeme")).ack).toBe("OK AUTH");
    const replies = await Promise.all([c.request("PING"), c.request("ATTACH queen "), c.request("CAT /proc/lifecycle/state"), c.request("PING")]);
    expect(replies.map((r) => r.ack)).toEqual(["OK PING reply=pong", "OK ATTACH role=queen", "OK CAT path=/proc/lifecycle/state data=state=ONLINE", "OK PING reply=pong"]);
    c.close();
  });

  it("9P: after the connection drops, the next call reconnects and re-attaches silently", async () => {
    const ns = new NineNamespace({ connector: mock.connector });
    await ns.attach("queen", manifestTicket("queen"));
    expect(await ns.read("/proc/lifecycle/state")).toEqual(["state=ONLINE"]);
    await ns.close(); // drops the connection; the attach is remembered
    expect(ns.isConnected).toBe(false);
    expect(await ns.read("/proc/lifecycle/state")).toEqual(["state=ONLINE"]);
    expect(ns.role).toBe("queen");
    ns.forgetAttach();
    await expect(ns.read("/proc/lifecycle/state")).rejects.toMatchObject({ detail: "not-attached" });
    await ns.close();
  });

  it("upload() appends each record through a NamespaceClient and stops at the first refusal", async () => {
    const ns = new NineNamespace({ connector: mock.connector });
    await ns.attach("queen", manifestTicket("queen"));
    await ns.append("/queen/telemetry/up-1/ctl", '{"new":"segment","mime":"text/plain"}');
    const seg = (await ns.read("/queen/telemetry/up-1/latest"))[0];
    const plan = await upload(ns, `/queen/telemetry/up-1/seg/${seg}`, new Uint8Array(300), false);
    expect(await ns.read(`/queen/telemetry/up-1/seg/${seg}`)).toEqual(plan.records);
    await expect(upload(ns, "/proc/boot", new Uint8Array(10), false)).rejects.toBeInstanceOf(NsRefusal);
    await ns.close();
  });

  it("a session pool runs calls concurrently on up to size sessions, all attached as one role", async () => {
    const pool = new ConsolePool({ size: 3, connector: mock.connector, authToken: MANIFEST.console.auth_token, heartbeatMs: 0 });
    await pool.attach("queen");
    expect(pool.role).toBe("queen");
    const tags = Array.from({ length: 12 }, (_, i) => `pool-rec-${i}`);
    await Promise.all(tags.map((t) => pool.append("/log/queen.log", t)));
    const log = await pool.tail("/log/queen.log");
    for (const t of tags) expect(log).toContain(t);
    await pool.close();
    expect(() => new ConsolePool({ size: MANIFEST.console.max_sessions + 1, connector: mock.connector, authToken: "x" })).toThrow(RangeError);
  });

  it("a connector that cannot connect is NsClosed/ConnectError, never a hang", async () => {
    const ns = new NineNamespace({ connector: async () => Promise.reject(new NsClosed("nothing listening")) });
    await expect(ns.attach("queen", "t")).rejects.toThrow("nothing listening");
  });
});
