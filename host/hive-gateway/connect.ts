// Where the gateway's upstream sessions go, on the SDK's transports: a TCP console (QEMU,
// hardware), or with --mock the in-process core (the same wasm on the Node host; no QEMU).

import { mockTransport, tcpTransport } from "../sdk/connect.js";
import type { Connector } from "../sdk/pipe.js";

export interface Target {
  connector: Connector;
  host: string;
  port: number;
  backend: "console-projection" | "host-model";
  stop(): Promise<void>;
}

export function tcpTarget(host: string, port: number): Target {
  const t = tcpTransport(host, port);
  return { connector: t.connector, host, port, backend: "console-projection", stop: () => t.stop() };
}

export async function mockTarget(consolePort: number, wasm?: string): Promise<Target> {
  const t = await mockTransport(wasm ? { wasm } : {});
  return { connector: t.connector, host: "mock", port: consolePort, backend: "host-model", stop: () => t.stop() };
}
