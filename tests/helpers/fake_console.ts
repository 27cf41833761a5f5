// FakeConsole: a small stateful fake of the TCP console on a real socket (framing, AUTH,
// ATTACH, PING, CAT, ECHO), which misbehaves on demand: goes silent, or drops the connection
// after a write. For hive-gateway's upstream-failure tests.

import { createServer, type Server, type Socket } from "node:net";
import { encodeFrame, FrameReader } from "../../host/sdk/console/frame.js";

export type Mode = "normal" | "silent" | "drop-after-echo";

/** A TCP console that answers AUTH/ATTACH/PING/CAT like the guest, then misbehaves on demand. */
export class FakeConsole {
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

