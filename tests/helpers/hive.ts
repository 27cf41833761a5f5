// A hive on real TCP sockets for tests of host tools that connect over the network: the
// Node-hosted core with its console port on a free port, and a queen NamespaceClient on it.

import { Guest } from "../../host/runtime/guest.js";
import { tcpTransport } from "../../host/sdk/connect.js";
import type { NamespaceClient } from "../../host/sdk/ns.js";
import { clientOn } from "../../host/sdk/open.js";

export interface SocketHive {
  guest: Guest;
  /** The console (and Secure9P) TCP port. */
  port: number;
  /** A queen-attached client. */
  ns: NamespaceClient;
  stop(): Promise<void>;
}

export async function socketHive(): Promise<SocketHive> {
  const guest = await Guest.start({ net: "sockets", sockets: { portMap: { 31337: 0, 31338: 0, 31339: 0 } } });
  const port = guest.sockets.bound.get(31337) as number;
  const ns = clientOn(tcpTransport("127.0.0.1", port), { heartbeatMs: 0 });
  try {
    await ns.attach("queen");
  } catch (e) {
    await guest.stop();
    throw e;
  }
  return {
    guest,
    port,
    ns,
    stop: async () => {
      await ns.close().catch(() => undefined);
      await guest.stop();
    },
  };
}
