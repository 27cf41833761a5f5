// The NamespaceClient contract over the console and over 9P, on the QEMU-booted image. One boot
// through the SDK's own qemu connector serves both protocols (the cases tolerate a used guest).

import { afterAll, beforeAll, describe } from "vitest";
import { qemuTransport, type Transport } from "../../host/sdk/connect.js";
import { contractCases } from "./cases.js";
import { consoleTarget, nineTarget } from "./targets.js";

let qemu: Transport;
beforeAll(async () => {
  qemu = await qemuTransport({ readyTimeoutMs: 60_000 });
}, 90_000);
afterAll(async () => {
  await qemu?.stop();
});

describe("NamespaceClient contract: console on QEMU", () => contractCases(() => consoleTarget(() => qemu)));
describe("NamespaceClient contract: 9P on QEMU", () => contractCases(() => nineTarget(() => qemu)));
