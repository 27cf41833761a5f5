// Where cohsh's console connection goes: a TCP console (QEMU, hardware, or `npm run mock`),
// an in-process guest (the same wasm on the Node host), or a QEMU guest cohsh boots itself.

import { spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { loopbackPipe, tcpPipe } from "../console/transport.js";
import { MANIFEST } from "../generated/manifest.js";
import { Guest } from "../runtime/guest.js";
import type { Connector } from "./session.js";

const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");

export interface Transport {
  connector: Connector;
  describe: string;
  stop(): Promise<void>;
}

export function tcpTransport(host: string, port: number): Transport {
  return { connector: () => tcpPipe(host, port), describe: `tcp ${host}:${port}`, stop: async () => {} };
}

export async function mockTransport(): Promise<Transport> {
  const guest = await Guest.start({ net: "loopback" });
  return {
    connector: async () => {
      const end = guest.loopback.connect(MANIFEST.network.console_port);
      if (!end) throw new Error("mock guest is not listening on the console port");
      return loopbackPipe(end);
    },
    describe: "mock (in-process guest)",
    stop: () => guest.stop(),
  };
}

/** A free TCP (or UDP) port on 127.0.0.1: bound, read and released; the race window is tiny. */
export function freePort(udp = false): Promise<number> {
  return new Promise((res, rej) => {
    if (udp) {
      const u = createSocket("udp4");
      u.once("error", rej);
      u.bind(0, "127.0.0.1", () => {
        const port = u.address().port;
        u.close(() => res(port));
      });
      return;
    }
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = a && typeof a === "object" ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

export interface QemuOptions {
  gic?: 2 | 3;
  cpu?: string;
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

/** Boots qemu/run.sh on free host ports, waits for the ready line, and connects over TCP. */
export async function qemuTransport(opts: QemuOptions = {}): Promise<Transport> {
  const [tcp, udp, smoke] = [await freePort(), await freePort(true), await freePort()];
  const args = ["--gic", String(opts.gic ?? 3), "--cpu", opts.cpu ?? "cortex-a57"];
  const child: ChildProcess = spawn(resolve(ROOT, "qemu/run.sh"), args, {
    env: { ...process.env, COH_TCP_PORT: String(tcp), COH_UDP_PORT: String(udp), COH_SMOKE_PORT: String(smoke) },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const ready = new Promise<void>((res, rej) => {
    const t = setTimeout(() => rej(new Error(`QEMU did not print 'Cohesix console ready' within ${opts.readyTimeoutMs ?? 30000} ms:\n${out}`)), opts.readyTimeoutMs ?? 30000);
    const onData = (d: Buffer): void => {
      out += d.toString();
      if (out.includes("Cohesix console ready")) {
        clearTimeout(t);
        res();
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(t);
      rej(new Error(`QEMU exited with ${code} before the console was ready:\n${out}`));
    });
  });
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.pid === undefined) return;
    const gone = new Promise<void>((r) => child.once("exit", () => r()));
    child.kill("SIGTERM");
    await gone;
  };
  try {
    await ready;
  } catch (e) {
    await stop();
    throw e;
  }
  opts.log?.(`[cohsh][qemu] guest ready, console on 127.0.0.1:${tcp}`);
  return { connector: () => tcpPipe("127.0.0.1", tcp), describe: `qemu (console 127.0.0.1:${tcp})`, stop };
}
