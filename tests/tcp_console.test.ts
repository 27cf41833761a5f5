// The TCP console through the Node host's loopback network: framing, AUTH, lockout, timeouts,
// session bound. Every negative case also checks that the console keeps serving others.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { Guest } from "../host/runtime/guest.js";
import { authed, dial, dialRaw, frameOfLength, queen, waitClosed } from "./helpers/console.js";

let guest: Guest;

beforeEach(async () => {
  guest = await Guest.start({ manualClock: true });
});
afterEach(async () => {
  await guest.stop();
});

/** A second, well-behaved session still works: the console was not disturbed. */
async function stillServing(): Promise<void> {
  const c = await authed(guest);
  const r = await c.request("PING");
  expect(r).toEqual({ lines: ["PONG"], ack: "OK PING reply=pong", ok: true });
  c.close();
  await waitClosed(c);
}

describe("AUTH", () => {
  it("the right token gets OK AUTH", async () => {
    const c = dial(guest);
    expect((await c.request("AUTH changeme")).ack).toBe("OK AUTH");
  });

  for (const [name, line, reason] of [
    ["wrong token", "AUTH nope", "invalid-token"],
    ["token with extra text", "AUTH changeme2", "invalid-token"],
    ["no AUTH prefix", "PING", "expected-token"],
    ["empty token", "AUTH ", "expected-token"],
    ["empty frame", "", "expected-token"],
  ] as const) {
    it(`${name}: ERR AUTH reason=${reason}, then closed`, async () => {
      const c = dial(guest);
      expect((await c.request(line)).ack).toBe(`ERR AUTH reason=${reason}`);
      await waitClosed(c);
      await stillServing();
    });
  }

  it("three failures lock the peer out for 90 s; the fourth try is rate-limited even with the right token", async () => {
    for (let i = 0; i < 3; i++) {
      const c = dial(guest);
      expect((await c.request("AUTH wrong")).ack).toBe("ERR AUTH reason=invalid-token");
      await waitClosed(c);
    }
    const locked = dial(guest);
    expect((await locked.request("AUTH changeme")).ack).toBe("ERR AUTH reason=quota detail=rate-limited delay_ms=90000");
    await waitClosed(locked);
    guest.advance(89_999);
    const still = dial(guest);
    expect((await still.request("AUTH changeme")).ack).toBe("ERR AUTH reason=quota detail=rate-limited delay_ms=1");
    guest.advance(1);
    const ok = dial(guest);
    expect((await ok.request("AUTH changeme")).ack).toBe("OK AUTH");
  });

  it("failures spread over more than 60 s do not lock out", async () => {
    for (let i = 0; i < 3; i++) {
      const c = dial(guest);
      expect((await c.request("AUTH wrong")).ack).toBe("ERR AUTH reason=invalid-token");
      await waitClosed(c);
      guest.advance(30_001);
    }
    expect((await dial(guest).request("AUTH changeme")).ack).toBe("OK AUTH");
  });

  it("a silent client is told ERR AUTH reason=timeout after 5 s, not before", async () => {
    const c = dial(guest);
    await stillServing(); // also lets the accept land
    guest.advance(4999);
    expect(c.closed).toBeNull();
    guest.advance(1);
    expect(await c.collect()).toEqual({ lines: [], ack: "ERR AUTH reason=timeout", ok: false });
    await waitClosed(c);
  });

  it("an authenticated session idle for the manifest's 300 s is closed with ERR CONSOLE reason=timeout", async () => {
    const c = await authed(guest);
    guest.advance(299_999);
    expect((await c.request("PING")).ack).toBe("OK PING reply=pong");
    guest.advance(299_999);
    expect(c.closed).toBeNull();
    guest.advance(1);
    expect((await c.collect()).ack).toBe("ERR CONSOLE reason=timeout");
    await waitClosed(c);
  });
});

describe("framing", () => {
  it("before AUTH, a declared length below 4 or above 8192, or a payload over 256, is fatal", async () => {
    for (const bytes of [frameOfLength(3), frameOfLength(8193), frameOfLength(4 + 257, Buffer.alloc(257, 0x41))]) {
      const { client, raw } = dialRaw(guest);
      raw(bytes);
      expect((await client.collect()).ack).toBe("ERR AUTH reason=invalid-length");
      await waitClosed(client);
    }
    await stillServing();
  });

  it("after AUTH, bad lengths get ERR FRAME and the session goes on (the declared bytes are skipped)", async () => {
    const { client, raw } = dialRaw(guest);
    expect((await client.request("AUTH changeme")).ack).toBe("OK AUTH");
    raw(frameOfLength(2));
    expect((await client.collect()).ack).toBe("ERR FRAME reason=invalid-length");
    // 8193 declared: the 8189 bytes that follow are skipped, even though they look like frames.
    raw(Buffer.concat([frameOfLength(8193), Buffer.alloc(8189, 0x05)]));
    expect((await client.collect()).ack).toBe("ERR FRAME reason=invalid-length");
    raw(frameOfLength(4 + 257, Buffer.alloc(257, 0x41)));
    expect((await client.collect()).ack).toBe("ERR FRAME reason=invalid-length");
    expect((await client.request("PING")).ack).toBe("OK PING reply=pong");
  });

  it("a 256-byte payload is accepted (the bound is inclusive)", async () => {
    const c = await authed(guest);
    const line = "PING" + " ".repeat(252);
    expect((await c.request(line)).ack).toBe("OK PING reply=pong");
  });

  it("non-UTF-8 ends the session before and after AUTH", async () => {
    const bad = frameOfLength(4 + 2, Uint8Array.from([0xc3, 0x28]));
    const pre = dialRaw(guest);
    pre.raw(bad);
    expect((await pre.client.collect()).ack).toBe("ERR AUTH reason=invalid-length");
    await waitClosed(pre.client);
    const post = dialRaw(guest);
    expect((await post.client.request("AUTH changeme")).ack).toBe("OK AUTH");
    post.raw(bad);
    expect((await post.client.collect()).ack).toBe("ERR FRAME reason=invalid-length");
    await waitClosed(post.client);
    await stillServing();
  });

  it("frames split at every byte still decode; several frames in one write all run", async () => {
    const { client, raw } = dialRaw(guest);
    const bytes = Buffer.concat([frameOfLength(17, Buffer.from("AUTH changeme")), frameOfLength(8, Buffer.from("PING"))]);
    for (const b of bytes) raw(Uint8Array.of(b));
    expect((await client.collect()).ack).toBe("OK AUTH");
    expect(await client.collect()).toEqual({ lines: ["PONG"], ack: "OK PING reply=pong", ok: true });
    raw(Buffer.concat([frameOfLength(8, Buffer.from("PING")), frameOfLength(8, Buffer.from("ping"))]));
    expect((await client.collect()).ack).toBe("OK PING reply=pong");
    expect((await client.collect()).ack).toBe("OK PING reply=pong");
  });

  it("a client killed mid-frame is cleaned up and counted; others are unaffected", async () => {
    const { client, raw, end } = dialRaw(guest);
    expect((await client.request("AUTH changeme")).ack).toBe("OK AUTH");
    raw(frameOfLength(40, Buffer.from("ECHO /log/q")));
    end();
    await waitClosed(client);
    const q = await queen(guest);
    const stats = await q.request("NETSTATS");
    expect(stats.lines.join("\n")).toContain("mid_frame_closes=1");
    expect((await q.request("LOG")).lines).toContain("console conn closed mid-frame");
  });
});

describe("sessions", () => {
  it("four sessions work at once; a fifth is told the console is full (ERR CONSOLE reason=busy detail=console-full max_sessions=4); a freed slot is reusable", async () => {
    const four = await Promise.all([0, 1, 2, 3].map(() => queen(guest)));
    const fifth = dial(guest);
    expect(await fifth.collect()).toEqual({ lines: [], ack: "ERR CONSOLE reason=busy detail=console-full max_sessions=4", ok: false });
    await waitClosed(fifth);
    // Independent sessions: each echoes its own record and all four see all four.
    await Promise.all(four.map((c, i) => c.request(`ECHO /log/queen.log from-${i}`)));
    for (const c of four) {
      const log = await c.request("LOG");
      for (let i = 0; i < 4; i++) expect(log.lines).toContain(`from-${i}`);
    }
    expect((await four[0].request("QUIT")).ack).toBe("OK QUIT");
    await waitClosed(four[0]);
    const again = await queen(guest);
    expect((await again.request("PING")).ack).toBe("OK PING reply=pong");
  });

  it("QUIT answers OK QUIT and closes; later frames are ignored", async () => {
    const { client, raw } = dialRaw(guest);
    expect((await client.request("AUTH changeme")).ack).toBe("OK AUTH");
    raw(Buffer.concat([frameOfLength(8, Buffer.from("QUIT")), frameOfLength(8, Buffer.from("PING"))]));
    expect((await client.collect()).ack).toBe("OK QUIT");
    await waitClosed(client);
  });
});

describe("network self-test services", () => {
  it("UDP 31338 answers ECHO: + payload, bounded to 512 bytes", async () => {
    const r = await guest.loopback.dgram(31338, Buffer.from("hello"));
    expect(Buffer.from(r ?? []).toString()).toBe("ECHO:hello");
    const big = await guest.loopback.dgram(31338, Buffer.alloc(1000, 0x61));
    expect(big?.length).toBe(512);
    expect(Buffer.from(big ?? []).subarray(0, 6).toString()).toBe("ECHO:a");
  });

  it("TCP 31339 answers ok\\n and closes", async () => {
    const end = guest.loopback.connect(31339);
    expect(end).not.toBeNull();
    const got: Buffer[] = [];
    end?.onData((b) => got.push(Buffer.from(b)));
    const closed = new Promise<void>((res) => end?.onClose(res));
    end?.write(Buffer.from("x".repeat(100)));
    await closed;
    expect(Buffer.concat(got).toString()).toBe("ok\n");
  });
});
