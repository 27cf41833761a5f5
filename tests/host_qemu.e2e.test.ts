// /host end to end on the QEMU-booted image (a real TCP peer): tests/scripts/host_sidecar.coh
// gives byte-identical transcripts on the mock and on QEMU; then host-sidecar-bridge (with the
// FAKE host tools of tests/fakes on PATH) publishes into QEMU's /host, and host-ticket-agent runs
// a ticket against it and appends its receipts there.

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MANIFEST } from "../host/generated/manifest.js";
import { Guest } from "../host/runtime/guest.js";
import { QemuGuest } from "../host/runtime/qemu.js";
import { tcpTransport } from "../host/sdk/connect.js";
import type { NamespaceClient } from "../host/sdk/ns.js";
import { clientOn } from "../host/sdk/open.js";
import { loopbackConnector, runCohFile, tcpConnector } from "./helpers/cohsh.js";
import { FAKE_TOOLS_PATH, runBin, type Ran } from "./helpers/run.js";

const M = MANIFEST.host.mount_at;
const tmp = mkdtempSync(join(tmpdir(), "host-e2e-"));
const STATE = join(tmp, "host.json");

let qemu: QemuGuest;
let ns: NamespaceClient;

beforeAll(async () => {
  qemu = await QemuGuest.start();
  await qemu.waitReady();
}, 180_000);
afterAll(async () => {
  await ns?.close().catch(() => undefined);
  await qemu?.stop();
  rmSync(tmp, { recursive: true, force: true });
});

const tool = (name: string, args: string[]): Promise<Ran> =>
  runBin(name, ["--tcp-host", "127.0.0.1", "--tcp-port", String(qemu.ports.tcp), ...args], { env: { PATH: FAKE_TOOLS_PATH(), FAKE_HOST_STATE: STATE }, timeoutMs: 120_000 });

describe("/host on QEMU", () => {
  it("tests/scripts/host_sidecar.coh: byte-identical transcripts on the mock and on QEMU", async () => {
    const mock = await Guest.start();
    try {
      const viaMock = await runCohFile("tests/scripts/host_sidecar.coh", loopbackConnector(mock));
      const viaQemu = await runCohFile("tests/scripts/host_sidecar.coh", tcpConnector(qemu.ports.tcp));
      expect(viaMock.result).toMatchObject({ ok: true });
      expect(viaQemu.result).toMatchObject({ ok: true });
      expect(viaQemu.transcript).toBe(viaMock.transcript);
    } finally {
      await mock.stop();
    }
  }, 120_000);

  it("host-sidecar-bridge publishes into QEMU and host-ticket-agent's receipts land there", async () => {
    writeFileSync(STATE, JSON.stringify({
      units: { "ssh.service": { ActiveState: "active", SubState: "running", InvocationID: "q1" }, "cohesix-agent.service": { ActiveState: "active", SubState: "running", InvocationID: "q2" } },
      nodes: { "node-1": { ready: true, roles: "control-plane" } },
      gpus: [{ index: 0, util: 5, memUsed: 100, memTotal: 8192, temp: 40, power: 30 }],
    }));
    const b = await tool("host-sidecar-bridge", ["--provider", "systemd", "--provider", "nvidia", "--provider", "docker"]);
    expect(b.code, b.stderr).toBe(0);
    ns = clientOn(tcpTransport("127.0.0.1", qemu.ports.tcp), { heartbeatMs: 0, timeoutMs: 30_000 });
    await ns.attach("queen");
    expect(await ns.read(`${M}/nvidia/gpu/0/status`)).toEqual(["util_pct=5 mem_used_mb=100 mem_total_mb=8192 temp_c=40 power_w=30"]);
    expect(await ns.read(`${M}/docker/status`)).toEqual(["version=27.1.1 containers=0 running=0 paused=0 stopped=0"]);
    await ns.append(`${M}/tickets/spec`, '{"schema":"host-ticket/v1","id":"q-restart-1","idempotency_key":"e2e","action":"systemd.restart","target":"/host/systemd/cohesix-agent.service/restart"}');
    const a = await tool("host-ticket-agent", ["--run-once", "--state-dir", join(tmp, "agent")]);
    expect(a.code, a.stderr).toBe(0);
    // (the script's qemu-1 ticket is in the spec too; this test looks at its own)
    const st = (await ns.read(`${M}/tickets/status`)).filter((l) => l.includes('"id":"q-restart-1"'));
    expect(st.map((l) => JSON.parse(l).state)).toEqual(["claimed", "running", "succeeded"]);
    const inv = (JSON.parse(readFileSync(STATE, "utf8")) as { units: Record<string, { InvocationID: string }> }).units["cohesix-agent.service"].InvocationID;
    expect(inv).not.toBe("q2");
    expect(JSON.parse(st[2]).message).toBe(`state=active sub=running invocation=${inv.slice(0, 12)}`);
  }, 180_000);
});
