// Governance flows against QEMU-booted images, from the real cohsh, as docs/OPERATOR_WALKTHROUGH.md
// tells an operator to run them: the walkthrough (seed 000 sections 1-7) on the default image, and
// the approval / policy-revision flow on an image built from the regression manifest (which gates
// /queen/ctl and /policy/ctl), with byte-identical transcripts on the mock running the same core.

import { beforeAll, describe, expect, it } from "vitest";
import { Guest } from "../host/runtime/guest.js";
import { QemuGuest } from "../host/runtime/qemu.js";
import { cohsh, loopbackConnector, runCohFile, tcpConnector } from "./helpers/cohsh.js";
import { buildRegressionImage } from "./helpers/regression_core.js";

describe("operator walkthrough on the default image", () => {
  it("sections 1-7 from cohsh over TCP, plus the timestamps the shared script leaves out", async () => {
    const q = await QemuGuest.start();
    try {
      await q.waitReady();
      const since = await cohsh(["--tcp-port", String(q.ports.tcp), "--role", "queen"], "cat /proc/lifecycle/since\nquit\n", 30_000);
      expect(since.stdout).toMatch(/^since_ms=\d+$/m);
      const r = await cohsh(["--tcp-port", String(q.ports.tcp), "--script", "tests/scripts/operator_walkthrough.coh", "--json"], "", 60_000);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("lifecycle transition old=ONLINE new=DRAINING reason=cordon");
      expect(r.stdout).toContain("lifecycle denied action=drain state=DRAINING reason=outstanding-leases leases=1");
      expect(r.stdout).toMatch(/"entries":9,"match":true/);
    } finally {
      await q.stop();
    }
  });
});

describe("approvals and policy revisions on the regression image", () => {
  let img = { wasm: "", image: "" };
  beforeAll(() => {
    const r = buildRegressionImage("qemu");
    img = { wasm: r.wasm, image: r.image };
  }, 240_000);

  it("policy_gate.coh: byte-identical transcripts on the mock and on QEMU", async () => {
    const [q, mock] = await Promise.all([QemuGuest.start({ image: img.image }), Guest.start({ wasm: img.wasm })]);
    try {
      await q.waitReady();
      const viaMock = await runCohFile("tests/scripts/policy_gate.coh", loopbackConnector(mock));
      const viaQemu = await runCohFile("tests/scripts/policy_gate.coh", tcpConnector(q.ports.tcp));
      expect(viaMock.result).toMatchObject({ ok: true });
      expect(viaQemu.result).toMatchObject({ ok: true });
      expect(viaQemu.transcript).toBe(viaMock.transcript);
    } finally {
      await q.stop();
      await mock.stop();
    }
  });

  it("cohsh --transport qemu --qemu-image boots the variant and runs the approval flow", async () => {
    const r = await cohsh(["--transport", "qemu", "--qemu-image", img.image, "--script", "tests/scripts/policy_gate.coh"], "", 90_000);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"action":"approval-1","role":"queen"');
    expect(r.stdout).toContain("revision id=rev-1 rules=3");
  });
});
