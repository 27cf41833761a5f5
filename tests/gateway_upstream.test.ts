// hive-gateway when the hive misbehaves: nothing listening (503 + Retry-After), a console that
// goes silent (504 for reads; a write whose ack never came is 503 uncertain:true), a console that
// drops the connection after a write (503 uncertain:true, never resent), and recovery (the pool
// re-attaches by itself). The misbehaving consoles are a small stateful fake of the TCP console
// (framing, AUTH, ATTACH, per-verb behaviour) named FakeConsole, on a real socket.

import { createServer, type Server, type Socket } from "node:net";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeFrame, FrameReader } from "../host/sdk/console/frame.js";
import type { RunningGateway } from "../host/hive-gateway/gateway.js";
import { freePort } from "../host/runtime/qemu.js";
import { auth, inProcess, resolvedManifest } from "./helpers/gateway.js";

type Mode = "normal" | "silent" | "drop-after-echo";

/** A TCP console that answers AUTH/ATTACH/PING/CAT like the guest, then misbehaves on demand. */
class FakeConsole {
  mode: Mode = "normal";
  received: string[] = [];
  private server: Server;
  private socks = new Set<Socket>();
  port = 0;

  constructor() {
    this.server = createServer((s) => {
      this.socks.add(s);
      s.on("close", () => this.socks.delete(s));
      s.on("error", () => undefined);
      const reader = new FrameReader();
      s.on("data", (d) => {
        for (const line of reader.push(d)) this.answer(s, line);
      });
    });
  }

  async listen(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", () => r()));
    const a = this.server.address();
    this.port = a && typeof a === "object" ? a.port : 0;
  }

  private answer(s: Socket, line: string): void {
    const verb = line.split(" ")[0];
    const send = (...ls: string[]): void => ls.forEach((l) => s.write(encodeFrame(l)));
    if (verb === "AUTH") return send("OK AUTH");
    if (verb === "ATTACH") return send("OK ATTACH role=queen");
    this.received.push(line);
    if (this.mode === "silent") return;
    if (verb === "PING") return send("PONG", "OK PING reply=pong");
    if (verb === "ECHO") {
      if (this.mode === "drop-after-echo") return void s.destroy();
      return send(`OK ECHO path=${line.split(" ")[1]} bytes=${line.split(" ").slice(2).join(" ").length}`);
    }
    if (verb === "CAT") return send(`OK CAT path=${line.slice(4)} data=fake`, "fake", "END");
    send(`ERR ${verb} reason=policy detail=unsupported`);
  }

  async close(): Promise<void> {
    for (const s of this.socks) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

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
