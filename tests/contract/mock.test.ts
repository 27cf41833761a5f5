// The NamespaceClient contract over the console and over 9P, on the in-process guest.

import { afterAll, beforeAll, describe } from "vitest";
import { mockTransport, type Transport } from "../../host/sdk/connect.js";
import { contractCases } from "./cases.js";
import { consoleTarget, nineTarget } from "./targets.js";

let mock: Transport;
beforeAll(async () => {
  mock = await mockTransport();
});
afterAll(async () => {
  await mock?.stop();
});

describe("NamespaceClient contract: console on the mock", () => contractCases(() => consoleTarget(() => mock)));
describe("NamespaceClient contract: 9P on the mock", () => contractCases(() => nineTarget(() => mock)));
