// The NamespaceClient contract over REST: hive-gateway on the in-process guest (--mock), the
// SDK's restClient() factory as any tool reaches it.

import { afterAll, beforeAll, describe } from "vitest";
import type { RunningGateway } from "../../host/hive-gateway/gateway.js";
import { restClient } from "../../host/sdk/connect.js";
import { inProcess, TOKEN } from "../helpers/gateway.js";
import { manifestTicket } from "../helpers/tickets.js";
import { contractCases } from "./cases.js";

let gw: RunningGateway;
beforeAll(async () => {
  gw = await inProcess(["--mock"]);
});
afterAll(async () => {
  await gw?.stop();
});

describe("NamespaceClient contract: REST (hive-gateway) on the mock", () =>
  contractCases(() => ({ make: () => restClient(gw.url, TOKEN), queenTicket: () => manifestTicket("queen") })));
