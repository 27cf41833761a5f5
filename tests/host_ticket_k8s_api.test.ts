// host-ticket-agent --k8s-client api (a child process) against a REAL hive (the Node-hosted guest
// on TCP) and a FAKE Kubernetes API server (tests/fakes/k8s_api.ts: nodes, pods, evictions,
// PodDisruptionBudgets, bearer auth, state kept across calls). The receipts are the kubectl
// path's, word for word; the eviction bound ([host] k8s_evict_attempts) is tested at and past
// its edge.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { MANIFEST } from "../host/generated/manifest.js";
import type { NamespaceClient } from "../host/sdk/ns.js";
import { socketHive, type SocketHive } from "./helpers/hive.js";
import { runBin, type Ran } from "./helpers/run.js";
import { receiptLine, type TicketSpec } from "../host/host-ticket-agent/schema.js";
import { inClusterTarget, K8sConfigError, loadKubeconfig } from "../host/sdk/k8s/config.js";
import { kubeconfigFor, startFakeK8s, type FakeK8s, type FakePod } from "./fakes/k8s_api.js";

const M = MANIFEST.host.mount_at;
const ATTEMPTS = MANIFEST.host.k8s_evict_attempts;
const tmp = mkdtempSync(join(tmpdir(), "hta-k8s-"));
let n = 0;
let hive: SocketHive;
let ns: NamespaceClient;
let port: number;
let k8s: FakeK8s;
let dir: string;
let kubeconfig: string;

const PODS: FakePod[] = [
  { namespace: "app", name: "web-7d4-abc", node: "node-2", owner: "ReplicaSet", labels: { app: "web" } },
  { namespace: "kube-system", name: "proxy-x1", node: "node-2", owner: "DaemonSet" },
  { namespace: "kube-system", name: "etcd-node-2", node: "node-2", mirror: true },
  { namespace: "db", name: "db-0", node: "node-3", owner: "StatefulSet", labels: { app: "db" } },
  { namespace: "ops", name: "debug-shell", node: "node-4" },
];

beforeEach(async () => {
  dir = join(tmp, `case-${++n}`);
  mkdirSync(dir, { recursive: true });
  hive = await socketHive();
  ({ port, ns } = hive);
  k8s = await startFakeK8s({
    nodes: {
      "node-1": { ready: true, roles: ["worker"], version: "v1.30.2" },
      "node-2": { ready: true, roles: ["worker"], version: "v1.30.2" },
      "node-3": { ready: true, roles: ["worker", "storage"], version: "v1.30.2" },
      "node-4": { ready: false, roles: [], version: "v1.29.9" },
    },
    pods: PODS.map((p) => ({ ...p })),
    pdbs: [{ namespace: "db", name: "db-pdb", selector: { app: "db" }, minAvailable: 1 }],
  });
  kubeconfig = join(dir, "kubeconfig");
  writeFileSync(kubeconfig, kubeconfigFor(k8s));
});
afterEach(async () => {
  await hive.stop();
  await k8s.stop();
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const agent = (extra: string[] = []): Promise<Ran> =>
  runBin("host-ticket-agent", ["--run-once", "--tcp-port", String(port), "--state-dir", join(dir, "state"), "--k8s-client", "api", "--kubeconfig", kubeconfig, ...extra], { env: { KUBECONFIG: "" } });

const spec = (o: Partial<TicketSpec> & { id: string; action: string }): TicketSpec => ({ schema: "host-ticket/v1", idempotency_key: "run-1", ...o });
const submit = async (...ss: TicketSpec[]): Promise<void> => {
  for (const s of ss) await ns.append(`${M}/tickets/spec`, JSON.stringify(s));
};
const status = (): Promise<string[]> => ns.read(`${M}/tickets/status`);
const dead = (): Promise<string[]> => ns.read(`${M}/tickets/deadletter`);
const calls = (): Record<string, number> => Object.fromEntries(k8s.calls);

describe("k8s.* over the Kubernetes API (fake API server)", () => {
  it("cordon, drain (DaemonSet and mirror pods stay, the ReplicaSet pod is evicted and rescheduled), lease.sync — kubectl's words", async () => {
    const t = [
      spec({ id: "a1", action: "k8s.cordon", target: `${M}/k8s/node/node-1/cordon` }),
      spec({ id: "a2", action: "k8s.drain", args: { node: "node-2" } }),
      spec({ id: "a3", action: "k8s.lease.sync", target: `${M}/k8s/node/node-1/lease-sync` }),
      spec({ id: "a4", action: "k8s.cordon", args: { node: "ghost" } }),
    ];
    await submit(...t);
    const r = await agent();
    expect(r.code, r.stderr).toBe(0);
    const st = await status();
    expect(st).toContain(receiptLine(t[0], "succeeded", "node node-1 Ready,SchedulingDisabled"));
    expect(st).toContain(receiptLine(t[1], "succeeded", "node node-2 Ready,SchedulingDisabled"));
    expect(st).toContain(receiptLine(t[2], "succeeded", "synced state=ready,schedulingdisabled role=worker version=v1.30.2"));
    expect(await ns.read(`${M}/k8s/node/node-1/status`)).toEqual(["state=ready,schedulingdisabled role=worker version=v1.30.2"]);
    expect(await dead()).toEqual([receiptLine(t[3], "failed", "node ghost not found")]);
    expect(calls()).toEqual({ "cordon node-1": 1, "cordon node-2": 1, "evict app/web-7d4-abc": 1 });
    // Left on node-2: the DaemonSet and mirror pods; the web pod now runs on node-3 (node-1 is cordoned).
    expect(k8s.pods.filter((p) => p.node === "node-2").map((p) => p.name).sort()).toEqual(["etcd-node-2", "proxy-x1"]);
    expect(k8s.pods.find((p) => p.name.startsWith("web-7d4-abc"))?.node).toBe("node-3");
  });

  it(`a PodDisruptionBudget refusal is retried ${ATTEMPTS} times (k8s_evict_attempts) and then fails; a budget freed before the last attempt drains`, async () => {
    // Past the edge: the budget never frees — exactly ATTEMPTS evictions are tried.
    const blocked = spec({ id: "b1", action: "k8s.drain", args: { node: "node-3" } });
    await submit(blocked);
    expect((await agent()).code).toBe(0);
    expect(await dead()).toEqual([receiptLine(blocked, "failed", "drain refused: evicting db-0 would violate its PodDisruptionBudget")]);
    expect(calls()["evict-refused db/db-0"]).toBe(ATTEMPTS);
    expect(calls()["evict db/db-0"]).toBeUndefined();
    expect(k8s.nodes.get("node-3")?.unschedulable).toBe(true); // cordoned, as kubectl leaves it
    // At the edge: a second replica becomes healthy after the (ATTEMPTS-1)th refusal, so the last attempt succeeds.
    k8s.nodes.get("node-3")!.unschedulable = false;
    k8s.calls.clear();
    k8s.onRefused = (_pod, count) => {
      if (count === ATTEMPTS - 1) k8s.pods.push({ namespace: "db", name: "db-1", node: "node-1", owner: "StatefulSet", labels: { app: "db" }, uid: "uid-db-1" });
    };
    const freed = spec({ id: "b2", action: "k8s.drain", args: { node: "node-3" } });
    await submit(freed);
    expect((await agent()).code).toBe(0);
    expect(await status()).toContain(receiptLine(freed, "succeeded", "node node-3 Ready,SchedulingDisabled"));
    expect(calls()).toEqual({ "cordon node-3": 1, "evict-refused db/db-0": ATTEMPTS - 1, "evict db/db-0": 1 });
  });

  it("a pod no controller would recreate is refused before anything is evicted; a NotReady node keeps its state word", async () => {
    const t = [spec({ id: "c1", action: "k8s.drain", args: { node: "node-4" } }), spec({ id: "c2", action: "k8s.lease.sync", args: { node: "node-4" } })];
    await submit(...t);
    expect((await agent()).code).toBe(0);
    expect(await dead()).toEqual([receiptLine(t[0], "failed", "drain refused: pod ops/debug-shell is not managed by a controller (it would be lost)")]);
    expect(k8s.pods.some((p) => p.name === "debug-shell")).toBe(true);
    expect(await status()).toContain(receiptLine(t[1], "succeeded", "synced state=notready,schedulingdisabled role=<none> version=v1.29.9"));
  });

  it("a wrong token is the API's 401 in the receipt; an unusable kubeconfig is a usage error (exit 2) before anything is held", async () => {
    writeFileSync(kubeconfig, kubeconfigFor({ ...k8s, token: "wrong" }));
    const t = spec({ id: "d1", action: "k8s.cordon", args: { node: "node-1" } });
    await submit(t);
    expect((await agent()).code).toBe(0);
    expect(await dead()).toEqual([receiptLine(t, "failed", "GET node node-1: Unauthorized")]);
    expect(calls()).toEqual({});
    const bad = await agent(["--kubeconfig", join(dir, "nope.yaml")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`kubeconfig ${join(dir, "nope.yaml")} not found (give --kubeconfig or set KUBECONFIG)`);
  });
});

describe("kubeconfig and in-cluster targets", () => {
  it("reads the current context's server, inline or file token; refuses exec plugins by name", () => {
    const d = mkdtempSync(join(tmp, "cfg-"));
    writeFileSync(join(d, "tok"), "file-token\n");
    const fake = { url: "https://10.0.0.1:6443/", token: "inline" } as FakeK8s;
    writeFileSync(join(d, "a.yaml"), kubeconfigFor(fake));
    expect(loadKubeconfig(join(d, "a.yaml"))).toMatchObject({ server: "https://10.0.0.1:6443", token: "inline", insecure: false });
    writeFileSync(join(d, "b.yaml"), kubeconfigFor(fake, "tok"));
    expect(loadKubeconfig(join(d, "b.yaml")).token).toBe("file-token");
    writeFileSync(join(d, "c.yaml"), kubeconfigFor(fake).replace("    token: inline", "    exec:\n      command: aws"));
    expect(() => loadKubeconfig(join(d, "c.yaml"))).toThrow(K8sConfigError);
    expect(() => loadKubeconfig(join(d, "c.yaml"))).toThrow(/exec\/auth-provider plugin/);
    expect(() => loadKubeconfig(join(d, "a.yaml"), "other")).toThrow(/context 'other' not found/);
    writeFileSync(join(d, "token"), "sa-token");
    expect(inClusterTarget({ KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" }, d)).toMatchObject({ server: "https://10.96.0.1:443", token: "sa-token" });
    expect(inClusterTarget({}, d)).toBeNull();
  });
});
