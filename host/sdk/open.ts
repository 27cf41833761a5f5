// One call from "where and what" to a NamespaceClient: the transport (tcp, mock, qemu, rest)
// chooses where the hive is, the protocol (console, 9p) what is spoken to it. The caller closes
// the client and then stops the transport (which stops a mock or QEMU guest it started).

import { MANIFEST } from "../generated/manifest.js";
import { Session, DEFAULT_HEARTBEAT_MS, DEFAULT_RETRY, type SessionOptions } from "./console/session.js";
import { mockTransport, qemuTransport, restClient, tcpTransport, type QemuTransportOptions, type Transport } from "./connect.js";
import type { NamespaceClient } from "./ns.js";
import { ConsoleNamespace } from "./ns_console.js";
import { NineNamespace } from "./ns_9p.js";

export type TransportName = "tcp" | "mock" | "qemu" | "rest";
export type ProtocolName = "console" | "9p";

export interface OpenOptions {
  transport: TransportName;
  protocol?: ProtocolName;
  host?: string;
  port?: number;
  /** Console AUTH token (default: the manifest's). */
  authToken?: string;
  mockWasm?: string;
  qemu?: QemuTransportOptions;
  restUrl?: string;
  restToken?: string;
  tool?: string;
  log?: (line: string) => void;
  retry?: SessionOptions["retry"];
  timeoutMs?: number;
  heartbeatMs?: number;
}

export interface Opened {
  ns: NamespaceClient;
  /** Null for rest (the gateway owns the hive connection). */
  transport: Transport | null;
  /** Closes the client, then stops what the transport started. */
  close(): Promise<void>;
}

export async function startTransport(o: OpenOptions): Promise<Transport> {
  if (o.transport === "mock") return mockTransport(o.mockWasm);
  if (o.transport === "qemu") return qemuTransport({ ...o.qemu, log: o.qemu?.log ?? o.log });
  if (o.transport === "tcp") return tcpTransport(o.host ?? "127.0.0.1", o.port ?? MANIFEST.network.console_port);
  throw new RangeError(`transport ${o.transport} has no byte pipe`);
}

/** A NamespaceClient over an already running transport. */
export function clientOn(t: Transport, o: Omit<OpenOptions, "transport">): NamespaceClient {
  if ((o.protocol ?? "console") === "9p") return new NineNamespace({ connector: t.connector, timeoutMs: o.timeoutMs, log: o.log, tool: o.tool });
  return new ConsoleNamespace(
    new Session({
      connector: t.connector,
      authToken: o.authToken ?? MANIFEST.console.auth_token,
      name: t.name,
      endpoint: t.name === "mock" ? undefined : t.endpoint,
      tool: o.tool,
      log: o.log,
      retry: o.retry ?? DEFAULT_RETRY,
      timeoutMs: o.timeoutMs,
      heartbeatMs: o.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
    }),
  );
}

export async function open(o: OpenOptions): Promise<Opened> {
  if (o.transport === "rest") {
    if (!o.restUrl) throw new RangeError("the rest transport needs a gateway URL");
    const ns = await restClient(o.restUrl, o.restToken);
    return { ns, transport: null, close: () => ns.close() };
  }
  const t = await startTransport(o);
  const ns = clientOn(t, o);
  return {
    ns,
    transport: t,
    close: async () => {
      try {
        await ns.close();
      } finally {
        await t.stop();
      }
    },
  };
}
