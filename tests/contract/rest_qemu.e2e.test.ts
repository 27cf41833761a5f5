// The NamespaceClient contract over REST on the QEMU-booted image: hive-gateway (in this
// process) holds its pool of console sessions to the guest; the cases go through restClient().

import { afterAll, beforeAll, describe } from "vitest";
import type { RunningGateway } from "../../host/hive-gateway/gateway.js";
import { qemuTransport, restClient, type Transport } from "../../host/sdk/connect.js";
import { inProcess, TOKEN } from "../helpers/gateway.js";
import { manifestTicket } from "../helpers/tickets.js";
import { contractCases } from "./cases.js";

let qemu: Transport;
let gw: RunningGateway;
beforeAll(async () => {
  qemu = await qemuTransport({ readyTimeoutMs: 60_000 });
  const port = Number(qemu.endpoint.split(":")[1]);
  gw = await inProcess(["--auth-token", "changeme", "--tcp-port", String(port)]);
}, 90_000);
afterAll(async () => {
  await gw?.stop();
  await qemu?.stop();
});

describe("NamespaceClient contract: REST (hive-gateway) on QEMU", () =>
  contractCases(() => ({ make: () => restClient(gw.url, TOKEN), queenTicket: () => manifestTicket("queen") })));
