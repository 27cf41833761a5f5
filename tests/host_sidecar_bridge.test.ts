// host-sidecar-bridge against FAKE host tools (tests/fakes/: stateful systemctl, docker, kubectl,
// nvidia-smi on PATH) and a REAL hive: the Node-hosted guest on real TCP sockets, and hive-gateway
// REST in front of its own in-process guest. The launcher runs as a child process (stopped by pid).

import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { MANIFEST } from "../host/generated/manifest.js";
import { boundLine, sanitise } from "../host/host-sidecar-bridge/probes.js";
import type { NamespaceClient } from "../host/sdk/ns.js";
import { restClient } from "../host/sdk/connect.js";
import { inProcess, TOKEN } from "./helpers/gateway.js";
import { socketHive, type SocketHive } from "./helpers/hive.js";
import { FAKE_TOOLS_PATH, runBin, type Ran } from "./helpers/run.js";
import { kubeconfigFor, startFakeK8s } from "./fakes/k8s_api.js";

const ROOT = resolve(import.meta.dirname, "..");
const M = MANIFEST.host.mount_at;
const tmp = mkdtempSync(join(tmpdir(), "sidecar-"));
const STATE = join(tmp, "host.json");

let hive: SocketHive;
let port: number;
let ns: NamespaceClient;

const FAKE_STATE = {
  units: { "ssh.service": { ActiveState: "active", SubState: "running", InvocationID: "a1" }, "cohesix-agent.service": { ActiveState: "failed", SubState: "failed", InvocationID: "" } },
  nodes: { "node-1": { ready: true, roles: "control-plane", version: "v1.30.2" }, "node-2": { ready: false, roles: "<none>", version: "v1.29.9" } },
  docker: { version: "27.1.1", containers: { web: { state: "running" }, db: { state: "exited" } } },
  gpus: [
    { index: 0, util: 12, memUsed: 1024, memTotal: 16384, temp: 41, power: 70.5 },
    { index: 1, util: 99, memUsed: 16000, memTotal: 16384, temp: 83, power: 299.9 },
  ],
};

beforeAll(async () => {
  hive = await socketHive();
  ({ port, ns } = hive);
});
afterAll(async () => {
  await hive?.stop();
  rmSync(tmp, { recursive: true, force: true });
});
beforeEach(() => writeFileSync(STATE, JSON.stringify(FAKE_STATE)));

/** The launcher as a child; PATH starts with the fakes (or only system dirs when `path` says so). */
const bridge = (args: string[], path = FAKE_TOOLS_PATH()): Promise<Ran> => runBin("host-sidecar-bridge", args, { env: { PATH: path, FAKE_HOST_STATE: STATE }, timeoutMs: 30_000 });

const tcp = (): string[] => ["--tcp-host", "127.0.0.1", "--tcp-port", String(port)];
const which = (t: string): string => spawnSync("sh", ["-c", `command -v ${t}`], { encoding: "utf8" }).stdout.trim();
const read = async (p: string): Promise<string[]> => ns.read(`${M}/${p}`);

describe("publishing once over TCP", () => {
  it("writes the reference's exact lines for all four providers; new nodes and GPUs join the hive", async () => {
    const r = await bridge(tcp());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`sidecar published providers at ${M}\n`);
    expect(r.stderr).toMatch(/^host-sidecar-bridge round=1 providers=systemd,k8s,docker,nvidia published=\d+ refused=0 unknown=0 ms=\d+\n$/);
    expect(await read("systemd/ssh.service/status")).toEqual(["state=active sub=running"]);
    expect(await read("systemd/cohesix-agent.service/status")).toEqual(["state=failed sub=failed"]);
    expect(await read("k8s/node/node-1/status")).toEqual(["state=ready role=control-plane version=v1.30.2"]);
    expect(await read("k8s/node/node-2/status")).toEqual(["state=notready role=none version=v1.29.9"]);
    expect(await read("docker/status")).toEqual(["version=27.1.1 containers=2 running=1 paused=0 stopped=1"]);
    expect(await read("nvidia/gpu/0/status")).toEqual(["util_pct=12 mem_used_mb=1024 mem_total_mb=16384 temp_c=41 power_w=70.5"]);
    expect(await read("nvidia/gpu/1/thermal")).toEqual(["temp_c=83"]);
    expect(await ns.ls(`${M}/nvidia/gpu`)).toEqual(["0", "1"]);
    expect(await read("systemd/status")).toContain("unit=ssh.service state=active sub=running");
  });

  it("an unavailable provider publishes state=unknown with the sanitised reason and the rest carry on", async () => {
    writeFileSync(STATE, JSON.stringify({ ...FAKE_STATE, fail: { docker: "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?" } }));
    const r = await bridge([...tcp(), "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(await read("docker/status")).toEqual(["state=unknown reason=Cannot_connect_to_the_Docker_daemon_at_unix:///var/run/docker.sock._Is_the_docker_daemon_running"]);
    expect(await read("systemd/ssh.service/status")).toEqual(["state=active sub=running"]);
    const recs = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { schema: string; provider: string; path: string; line: string; ok: boolean });
    expect(recs.every((x) => x.schema === "host-sidecar-publication/v1" && x.ok)).toBe(true);
    expect(recs.find((x) => x.provider === "docker")).toMatchObject({ path: `${M}/docker/status`, line: expect.stringMatching(/^state=unknown reason=/) });
    expect(r.stderr).toMatch(/unknown=1/);
  });

  it("with no host tools on PATH every provider is unknown and nvidia's thermal is temp_c=unknown", async () => {
    // Only what the launcher itself needs (sh finds node and dirname here): no systemctl, no nvidia-smi.
    const bare = join(tmp, "bare");
    mkdirSync(bare, { recursive: true });
    for (const t of ["node", "dirname"]) if (!existsSync(join(bare, t))) symlinkSync(which(t), join(bare, t));
    const r = await bridge([...tcp(), "--provider", "nvidia", "--provider", "systemd"], bare);
    expect(r.code, r.stderr).toBe(0);
    expect(await read("nvidia/gpu/0/status")).toEqual(["state=unknown reason=nvidia-smi_not_found"]);
    expect(await read("nvidia/gpu/0/thermal")).toEqual(["temp_c=unknown"]);
    expect(await read("systemd/ssh.service/status")).toEqual(["state=unknown reason=systemctl_not_found"]);
  });

  it("the REAL systemctl and docker of this machine (no systemd, no daemon) publish state=unknown", async () => {
    const real = (process.env.PATH ?? "").split(":").filter((d) => !d.includes("node_modules"));
    if (!real.some((d) => existsSync(join(d, "systemctl")))) return; // a machine without the binaries: covered above
    const r = await bridge([...tcp(), "--provider", "systemd", "--provider", "docker"], real.join(":"));
    expect(r.code, r.stderr).toBe(0);
    expect((await read("systemd/ssh.service/status"))[0]).toMatch(/^state=unknown reason=\S+$/);
    expect((await read("docker/status"))[0]).toMatch(/^state=unknown reason=\S+$/);
  });
});

describe("k8s over the Kubernetes API (FAKE API server, tests/fakes/k8s_api.ts)", () => {
  it("--k8s-client api publishes the same node lines as kubectl; an unreachable API is state=unknown and the rest carry on", async () => {
    const k8s = await startFakeK8s({
      nodes: { "node-1": { ready: true, roles: ["control-plane"], version: "v1.30.2" }, "node-2": { ready: false, roles: [], version: "v1.29.9" }, "node-5": { ready: true, roles: ["worker"], version: "v1.30.2", unschedulable: true } },
    });
    try {
      const cfg = join(tmp, "kubeconfig");
      writeFileSync(cfg, kubeconfigFor(k8s));
      const r = await bridge([...tcp(), "--provider", "k8s", "--k8s-client", "api", "--kubeconfig", cfg]);
      expect(r.code, r.stderr).toBe(0);
      expect(await read("k8s/node/node-1/status")).toEqual(["state=ready role=control-plane version=v1.30.2"]);
      expect(await read("k8s/node/node-2/status")).toEqual(["state=notready role=none version=v1.29.9"]);
      expect(await read("k8s/node/node-5/status")).toEqual(["state=ready,schedulingdisabled role=worker version=v1.30.2"]);
      await k8s.stop();
      const down = await bridge([...tcp(), "--provider", "k8s", "--provider", "systemd", "--k8s-client", "api", "--kubeconfig", cfg]);
      expect(down.code, down.stderr).toBe(0);
      // Cut to the console's record bound (not refused), so the stale value is replaced.
      const line = (await read("k8s/node/node-1/status"))[0];
      expect(line, down.stderr).toMatch(/^state=unknown reason=Kubernetes_API_unavailable_at_http:\/\/127\.0\.0\.1:\d+_kubeconfig_/);
      expect(Buffer.byteLength(line)).toBeLessThanOrEqual(MANIFEST.console.echo_max);
      expect(down.stderr).toMatch(/refused=0 unknown=3/);
      expect(await read("systemd/ssh.service/status")).toEqual(["state=active sub=running"]);
      const bad = await bridge([...tcp(), "--k8s-client", "api", "--kubeconfig", join(tmp, "none.yaml")]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toContain("not found (give --kubeconfig or set KUBECONFIG)");
    } finally {
      await k8s.stop().catch(() => undefined);
    }
  });
});

describe("watch mode", () => {
  it("each provider runs on its manifest interval (nvidia 1000 ms, systemd 2000 ms) and state changes show up", async () => {
    expect([MANIFEST.host.nvidia_poll_ms, MANIFEST.host.systemd_poll_ms]).toEqual([1000, 2000]);
    const r = await bridge([...tcp(), "--watch", "--rounds", "3", "--provider", "systemd", "--provider", "nvidia"]);
    expect(r.code, r.stderr).toBe(0);
    const rounds = r.stderr.trim().split("\n").map((l) => /round=(\d+) providers=(\S+)/.exec(l)!.slice(1));
    expect(rounds).toEqual([["1", "systemd,nvidia"], ["2", "nvidia"], ["3", "systemd,nvidia"]]);
  });
});

describe("arguments", () => {
  it("bad flags exit 2 with a reason; an unreachable hive exits 3", async () => {
    expect(await bridge(["--mount", "/"])).toMatchObject({ code: 2, stderr: expect.stringContaining("--mount must be an absolute path other than /") });
    expect(await bridge(["--provider", "jetson"])).toMatchObject({ code: 2, stderr: expect.stringContaining("Invalid values") });
    expect(await bridge(["--mock", "--tcp-host", "127.0.0.1"])).toMatchObject({ code: 2, stderr: expect.stringContaining("do not mix") });
    expect(await bridge(["--auth-token", "env:NO_SUCH_VAR_HERE", ...tcp()])).toMatchObject({ code: 2, stderr: expect.stringContaining("NO_SUCH_VAR_HERE is not set") });
    const r = await bridge(["--tcp-host", "127.0.0.1", "--tcp-port", "1"]);
    expect(r.code).toBe(3);
  });

  it("--mock publishes the reference's mock values into an in-process guest", async () => {
    const r = await bridge(["--mock"]);
    expect(r).toMatchObject({ code: 0, stdout: `mock sidecar published providers at ${M}\n` });
  });
});

describe("through hive-gateway REST", () => {
  it("publishes with --rest-url and the request token by reference", async () => {
    const gw = await inProcess(["--mock"]);
    try {
      const r = await runBin("host-sidecar-bridge", ["--rest-url", gw.url, "--rest-auth-token", "env:GW_TOKEN_FOR_TEST", "--provider", "k8s"], {
        env: { PATH: FAKE_TOOLS_PATH(), FAKE_HOST_STATE: STATE, GW_TOKEN_FOR_TEST: TOKEN },
      });
      expect(r.code, r.stderr).toBe(0);
      const rest = await restClient(gw.url, TOKEN);
      await rest.attach("queen");
      expect(await rest.read(`${M}/k8s/node/node-2/status`)).toEqual(["state=notready role=none version=v1.29.9"]);
      await rest.close();
    } finally {
      await gw.stop();
    }
  });
});

describe("line hygiene", () => {
  it("sanitises as the reference does and cuts on UTF-8 boundaries", () => {
    expect(sanitise("a b\tc$%é/:,.-_")).toBe("a_b_c/:,.-_");
    expect(sanitise("$$$")).toBe("unknown");
    expect(boundLine("  x  ")).toBe("x");
    const s = "é".repeat(200); // 400 bytes
    const cut = boundLine(s);
    expect(Buffer.byteLength(cut)).toBe(254);
    expect(cut).toBe("é".repeat(127));
    expect(boundLine("a".repeat(300))).toHaveLength(MANIFEST.host.status_line_max);
  });
});
