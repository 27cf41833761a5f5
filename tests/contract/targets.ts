// Contract targets: a NamespaceClient factory per protocol over one transport.

import { Session } from "../../host/sdk/console/session.js";
import type { Transport } from "../../host/sdk/connect.js";
import type { NamespaceClient } from "../../host/sdk/ns.js";
import { ConsoleNamespace } from "../../host/sdk/ns_console.js";
import { NineNamespace } from "../../host/sdk/ns_9p.js";
import { manifestTicket } from "../helpers/tickets.js";
import type { ContractTarget } from "./cases.js";

export function consoleTarget(t: () => Transport): ContractTarget {
  return {
    make: async (): Promise<NamespaceClient> => new ConsoleNamespace(new Session({ connector: t().connector, authToken: "changeme", heartbeatMs: 0, timeoutMs: 10_000 })),
    queenTicket: () => "",
  };
}

export function nineTarget(t: () => Transport): ContractTarget {
  return {
    make: async (): Promise<NamespaceClient> => new NineNamespace({ connector: t().connector, timeoutMs: 10_000 }),
    queenTicket: () => manifestTicket("queen"),
  };
}
