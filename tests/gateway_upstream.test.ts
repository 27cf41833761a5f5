// hive-gateway when the hive misbehaves: nothing listening (503 + Retry-After), a console that
// goes silent (504 for reads; a write whose ack never came is 503 uncertain:true), a console that
// drops the connection after a write (503 uncertain:true, never resent), and recovery (the pool
// re-attaches by itself). The misbehaving consoles are FakeConsole (tests/helpers/fake_console.ts),
// a small stateful fake of the TCP console on a real socket.

import { beforeAll, describe, expect, it } from "vitest";
import type { RunningGateway } from "../host/hive-gateway/gateway.js";
import { freePort } from "../host/runtime/qemu.js";
import { FakeConsole } from "./helpers/fake_console.js";
import { auth, inProcess, resolvedManifest } from "./helpers/gateway.js";

const echo = (gw: RunningGateway, path: string, line: string) => gw.app.inject({ method: "POST", url: "/v1/fs/echo", headers: { ...auth(), "content-type": "application/json" }, payload: JSON.stringify({ path, line }) });
const cat = (gw: RunningGateway, path: string) => gw.app.inject({ method: "GET", url: `/v1/fs/cat?path=${path}&max_bytes=4096`, headers: auth() });

async function until(pred: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe("hive-gateway upstream failures", () => {
  let manifest: string;
  beforeAll(() => {
    // The shortest reply timeout the schema allows, so a silent console costs a second, not 30.
    manifest = resolvedManifest({ response_timeout_ms: 1000 });
  });

  it("nothing listening: 503 with Retry-After, status connected:false, a write is not uncertain", async () => {
    const port = await freePort();
    const gw = await inProcess(["--auth-token", "changeme", "--tcp-port", String(port)], {}, 300);
    try {
      const r = await cat(gw, "/proc/boot");
      expect(r.statusCode).toBe(503);
      expect(r.headers["retry-after"]).toBe("1");
      expect(r.json().error).toMatch(/^gateway transport unavailable: backend is not connected \(cannot connect to 127\.0\.0\.1:\d+/);
      const w = await echo(gw, "/log/queen.log", "x");
      expect(w.statusCode).toBe(503);
      expect(w.json().uncertain).toBe(false);
      const st = (await gw.app.inject({ method: "GET", url: "/v1/meta/status", headers: auth() })).json();
      expect(st.connected).toBe(false);
      expect(st.reconnects).toBeGreaterThan(0);
    } finally {
      await gw.stop();
    }
  });

  it("a silent console: reads 504, writes 503 uncertain:true, then the pool re-attaches and serves again", async () => {
    const fake = new FakeConsole();
    await fake.listen();
    const gw = await inProcess(["--auth-token", "changeme", "--tcp-port", String(fake.port), "--manifest", manifest]);
    try {
      expect((await cat(gw, "/proc/boot")).statusCode).toBe(200);
      fake.mode = "silent";
      const r = await cat(gw, "/proc/x");
      expect(r.statusCode).toBe(504);
      expect(r.json().error).toBe("gateway timeout: no upstream reply within 1000 ms");
      const w = await echo(gw, "/log/queen.log", "maybe");
      expect(w.statusCode).toBe(503);
      expect(w.json()).toMatchObject({ status: "ERR", uncertain: true });
      expect(w.json().error).toMatch(/the write may have been applied: read back before retrying$/);
      // The write went out exactly once: the gateway never resends a control write.
      expect(fake.received.filter((l) => l === "ECHO /log/queen.log maybe")).toHaveLength(1);
      fake.mode = "normal";
      await until(() => gw.hive.broker.connected, 10_000, "re-attach");
      expect((await cat(gw, "/proc/y")).statusCode).toBe(200);
      expect(gw.hive.broker.counters.timeout_rejections).toBeGreaterThanOrEqual(2);
    } finally {
      await gw.stop();
      await fake.close();
    }
  });

  it("a console that drops the connection after a write: 503 uncertain:true; reads are retried", async () => {
    const fake = new FakeConsole();
    await fake.listen();
    const gw = await inProcess(["--auth-token", "changeme", "--tcp-port", String(fake.port)]);
    try {
      fake.mode = "drop-after-echo";
      const w = await echo(gw, "/log/queen.log", "once");
      expect(w.statusCode).toBe(503);
      expect(w.json().uncertain).toBe(true);
      expect(fake.received.filter((l) => l.startsWith("ECHO"))).toEqual(["ECHO /log/queen.log once"]);
      fake.mode = "normal";
      await until(() => gw.hive.broker.connected, 10_000, "re-attach");
      expect((await echo(gw, "/log/queen.log", "twice")).statusCode).toBe(200);
    } finally {
      await gw.stop();
      await fake.close();
    }
  });
});
