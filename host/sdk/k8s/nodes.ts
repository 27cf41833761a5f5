// Node operations on the Kubernetes API, with kubectl's semantics so both paths give the same
// lines and receipts: the status column (`Ready,SchedulingDisabled`), roles from the
// node-role.kubernetes.io/* labels, cordon = spec.unschedulable, and drain = cordon, then evict
// every pod on the node through the Eviction API (so PodDisruptionBudgets are honoured by the API
// server itself), skipping DaemonSet and mirror pods and refusing pods no controller would
// recreate, then wait until the evicted pods are gone.

import { K8sApi, K8sApiError, statusMessage } from "./api.js";

export class DrainError extends Error {
  override readonly name = "DrainError";
}

interface Meta {
  name: string;
  namespace?: string;
  uid?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: Array<{ kind: string; name: string; controller?: boolean }>;
}

export interface Node {
  metadata: Meta;
  spec?: { unschedulable?: boolean };
  status?: { conditions?: Array<{ type: string; status: string }>; nodeInfo?: { kubeletVersion?: string } };
}

export interface Pod {
  metadata: Meta;
  spec?: { nodeName?: string };
  status?: { phase?: string };
}

const enc = encodeURIComponent;

/** kubectl's STATUS column for a node. */
export function nodeStatus(n: Node): string {
  const ready = n.status?.conditions?.find((c) => c.type === "Ready");
  const s = ready ? (ready.status === "True" ? "Ready" : "NotReady") : "Unknown";
  return n.spec?.unschedulable ? `${s},SchedulingDisabled` : s;
}

/** kubectl's ROLES column: the node-role.kubernetes.io/<role> labels, or `<none>`. */
export function nodeRoles(n: Node): string {
  const roles = Object.keys(n.metadata.labels ?? {})
    .filter((k) => k.startsWith("node-role.kubernetes.io/"))
    .map((k) => k.slice("node-role.kubernetes.io/".length))
    .filter((r) => r !== "")
    .sort();
  return roles.length > 0 ? roles.join(",") : "<none>";
}

/** The /host/k8s/node/<n>/status value (the same as from `kubectl get nodes --no-headers`). */
export function nodeLine(n: Node): string {
  return `state=${nodeStatus(n).toLowerCase()} role=${nodeRoles(n)} version=${n.status?.nodeInfo?.kubeletVersion ?? "unknown"}`;
}

export async function listNodes(api: K8sApi): Promise<Node[]> {
  return (await api.must<{ items?: Node[] }>("GET", "/api/v1/nodes")).items ?? [];
}

export async function getNode(api: K8sApi, name: string): Promise<Node> {
  const r = await api.call<Node>("GET", `/api/v1/nodes/${enc(name)}`);
  if (r.status === 404) throw new DrainError(`node ${name} not found`);
  if (r.status !== 200) throw new K8sApiError(r.status, `GET node ${name}: ${statusMessage(r.body, r.status)}`, r.body);
  return r.body;
}

export async function cordon(api: K8sApi, name: string): Promise<Node> {
  const n = await getNode(api, name);
  if (n.spec?.unschedulable) return n;
  return api.must<Node>("PATCH", `/api/v1/nodes/${enc(name)}`, { spec: { unschedulable: true } }, "application/merge-patch+json");
}

export interface DrainOptions {
  /** Eviction attempts per pod while its PodDisruptionBudget refuses (429). */
  attempts: number;
  retryMs: number;
  /** When the whole drain must be over (ms since the epoch). */
  deadline: number;
  sleep?: (ms: number) => Promise<void>;
}

const isDaemonSet = (p: Pod): boolean => (p.metadata.ownerReferences ?? []).some((o) => o.kind === "DaemonSet" && o.controller !== false);
const isMirror = (p: Pod): boolean => "kubernetes.io/config.mirror" in (p.metadata.annotations ?? {});
const hasController = (p: Pod): boolean => (p.metadata.ownerReferences ?? []).some((o) => o.controller === true);
const podName = (p: Pod): string => `${p.metadata.namespace ?? "default"}/${p.metadata.name}`;

/** Cordons and drains `name`; resolves with the number of pods evicted. */
export async function drain(api: K8sApi, name: string, o: DrainOptions): Promise<number> {
  const sleep = o.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  await cordon(api, name);
  const list = await api.must<{ items?: Pod[] }>("GET", `/api/v1/pods?fieldSelector=${enc(`spec.nodeName=${name}`)}`);
  const pods = (list.items ?? []).filter((p) => !isDaemonSet(p) && !isMirror(p));
  // Like kubectl without --force: a pod nothing would recreate is refused before anything is evicted.
  const bare = pods.find((p) => !hasController(p) && p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed");
  if (bare) throw new DrainError(`drain refused: pod ${podName(bare)} is not managed by a controller (it would be lost)`);
  const evicted: Pod[] = [];
  for (const p of pods) {
    const ns = enc(p.metadata.namespace ?? "default");
    const path = `/api/v1/namespaces/${ns}/pods/${enc(p.metadata.name)}/eviction`;
    const body = { apiVersion: "policy/v1", kind: "Eviction", metadata: { name: p.metadata.name, namespace: p.metadata.namespace ?? "default" } };
    for (let attempt = 1; ; attempt++) {
      const r = await api.call("POST", path, body);
      if (r.status === 200 || r.status === 201) {
        evicted.push(p);
        break;
      }
      if (r.status === 404) break; // already gone
      if (r.status === 429) {
        if (attempt >= o.attempts || Date.now() + o.retryMs > o.deadline) throw new DrainError(`drain refused: evicting ${p.metadata.name} would violate its PodDisruptionBudget`);
        await sleep(o.retryMs);
        continue;
      }
      throw new K8sApiError(r.status, `evict ${podName(p)}: ${statusMessage(r.body, r.status)}`, r.body);
    }
  }
  // Evictions are requests: wait until each pod is really gone (or replaced under the same name).
  for (const p of evicted) {
    for (;;) {
      const r = await api.call<Pod>("GET", `/api/v1/namespaces/${enc(p.metadata.namespace ?? "default")}/pods/${enc(p.metadata.name)}`);
      if (r.status === 404 || (r.status === 200 && r.body.metadata.uid !== p.metadata.uid)) break;
      if (Date.now() + 100 > o.deadline) throw new DrainError(`drain timed out: pod ${podName(p)} still terminating`);
      await sleep(100);
    }
  }
  return evicted.length;
}
