// Seed 000 §12 LLMOps flow C/D by script: scripts/host/llmops_tickets.sh enqueues the seed's two
// tickets with curl through hive-gateway (REAL: the gateway in process over its own in-process
// guest) while host-ticket-agent (a child, --rest-url) executes them; the script reads the
// receipts back. The GPU lease is granted through /queen/lease/ctl; the PEFT activation runs the
// coh peft lifecycle in the agent against a registry holding the seed's model, published to the
// hive through the same gateway first (as gpu-bridge-host would).

import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { expect, it } from "vitest";
import { inProcess, TOKEN } from "./helpers/gateway.js";
import { open } from "../host/sdk/open.js";
import { publishSnapshot } from "../host/sdk/gpu/publish.js";
import { mockInventory } from "../host/sdk/gpu/inventory.js";
import { loadRegistry } from "../host/sdk/gpu/registry.js";

const ROOT = resolve(import.meta.dirname, "..");

it("curl enqueues the seed's tickets through the gateway; the receipts come back claimed → running → terminal", async () => {
  const gw = await inProcess(["--mock"]);
  const dir = mkdtempSync(join(tmpdir(), "llmops-"));
  const reg = join(dir, "registry");
  for (const m of ["base-v1", "lejepa-edge-v1"]) {
    mkdirSync(join(reg, "available", m), { recursive: true });
    writeFileSync(join(reg, "available", m, "manifest.toml"), `[model]\nid = "${m}"\nformat = "gguf"\n`);
  }
  writeFileSync(join(reg, "active"), "base-v1\n");
  const pub = await open({ transport: "rest", restUrl: gw.url, restToken: TOKEN, tool: "test" });
  try {
    await pub.ns.attach("queen");
    await publishSnapshot(pub.ns, mockInventory().gpus, loadRegistry(reg));
  } finally {
    await pub.close();
  }
  const agent = spawn(join(ROOT, "bin/host-ticket-agent"), ["--rest-url", gw.url, "--rest-auth-token", "env:HIVE_GATEWAY_REQUEST_AUTH_TOKEN", "--poll-ms", "100", "--state-dir", join(dir, "state"), "--registry-root", reg], {
    env: { ...process.env, HIVE_GATEWAY_REQUEST_AUTH_TOKEN: TOKEN },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let agentErr = "";
  agent.stderr.on("data", (d) => (agentErr += d));
  try {
    const r = await new Promise<{ code: number; stdout: string; stderr: string }>((res) => {
      const p = spawn("sh", [join(ROOT, "scripts/host/llmops_tickets.sh")], { env: { ...process.env, GATEWAY: gw.url, HIVE_GATEWAY_REQUEST_AUTH_TOKEN: TOKEN, WAIT_S: "40" } });
      let stdout = "";
      let stderr = "";
      p.stdout.on("data", (d) => (stdout += d));
      p.stderr.on("data", (d) => (stderr += d));
      p.on("close", (code) => res({ code: code ?? -1, stdout, stderr }));
    });
    expect(r.code, `${r.stderr}\n${agentErr}`).toBe(0);
    const lines = r.stdout.split("\n").filter((l) => l.startsWith("{\"schema\":\"host-ticket-result/v1\""));
    expect(lines.map((l) => JSON.parse(l) as { id: string; state: string; message: string }).map((x) => `${x.id} ${x.state} ${x.message}`)).toEqual([
      "llmops-gpu-lease-1 claimed claimed by durable compatibility executor",
      "llmops-gpu-lease-1 running compatibility executor starting",
      "llmops-gpu-lease-1 succeeded committed",
      "llmops-peft-activate-1 claimed claimed by durable compatibility executor",
      "llmops-peft-activate-1 running compatibility executor starting",
      "llmops-peft-activate-1 succeeded activated model=lejepa-edge-v1 previous=base-v1",
    ]);
    expect(readFileSync(join(reg, "active"), "utf8")).toBe("lejepa-edge-v1\n");
  } finally {
    agent.kill("SIGTERM");
    await new Promise((res) => agent.once("close", res));
    await gw.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);

it("the script is POSIX sh", () => {
  expect(spawnSync("sh", ["-n", join(ROOT, "scripts/host/llmops_tickets.sh")]).status).toBe(0);
});
