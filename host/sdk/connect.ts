// Where cohsh's console connection goes: a TCP console (QEMU, hardware, or `npm run mock`),
// an in-process guest (the same wasm on the Node host), or a QEMU guest cohsh boots itself.

import { loopbackPipe, tcpPipe } from "../console/transport.js";
import { MANIFEST } from "../generated/manifest.js";
import { Guest } from "../runtime/guest.js";
import { QemuGuest } from "../runtime/qemu.js";
import type { Connector } from "./session.js";

export interface Transport {
  connector: Connector;
  describe: string;
  stop(): Promise<void>;
}

export function tcpTransport(host: string, port: number): Transport {
  return { connector: () => tcpPipe(host, port), describe: `tcp ${host}:${port}`, stop: async () => {} };
}

/** `wasm`: another core than out/cohesix.wasm (e.g. a build/variant.mjs build). */
export async function mockTransport(wasm?: string): Promise<Transport> {
  const guest = await Guest.start({ net: "loopback", wasm });
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

export interface QemuTransportOptions {
  gic?: 2 | 3;
  cpu?: string;
  /** Another image than out/cohesix.img (e.g. a build/variant.mjs build). */
  image?: string;
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

/** Boots qemu/run.sh on free host ports, waits for the ready line, and connects over TCP. */
export async function qemuTransport(opts: QemuTransportOptions = {}): Promise<Transport> {
  const q = await QemuGuest.start({ gic: opts.gic, cpu: opts.cpu, image: opts.image });
  try {
    await q.waitReady(opts.readyTimeoutMs ?? 30_000);
  } catch (e) {
    await q.stop();
    throw e;
  }
  opts.log?.(`[cohsh][qemu] guest ready, console on 127.0.0.1:${q.ports.tcp}`);
  return { connector: () => tcpPipe("127.0.0.1", q.ports.tcp), describe: `qemu (console 127.0.0.1:${q.ports.tcp})`, stop: () => q.stop() };
}
