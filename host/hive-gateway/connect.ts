// Where the gateway's upstream sessions go: a TCP console (QEMU, hardware), or with --mock the
// in-process core (the same wasm, on the Node host; no QEMU). The one file that reaches the
// runtime, until host/sdk/connect.ts provides these connectors.

import { loopbackPipe, tcpPipe } from "../console/transport.js";
import { Guest } from "../runtime/guest.js";
import type { Connector } from "./upstream.js";

export interface Target {
  connector: Connector;
  host: string;
  port: number;
  backend: "console-projection" | "host-model";
  stop(): Promise<void>;
}

export function tcpTarget(host: string, port: number, connectTimeoutMs = 3000): Target {
  return { connector: () => tcpPipe(host, port, connectTimeoutMs), host, port, backend: "console-projection", stop: async () => {} };
}

export async function mockTarget(consolePort: number, wasm?: string): Promise<Target> {
  const guest = await Guest.start({ net: "loopback", wasm });
  return {
    connector: async () => {
      const end = guest.loopback.connect(consolePort);
      if (!end) throw new Error("the mock guest is not listening on the console port");
      return loopbackPipe(end);
    },
    host: "mock",
    port: consolePort,
    backend: "host-model",
    stop: () => guest.stop(),
  };
}
