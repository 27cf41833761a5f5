// A FAKE Kubernetes API server (no cluster can run here), for host-ticket-agent's --k8s-client api
// and host-sidecar-bridge's API probe: the routes they call, with the real API's shapes and
// status codes, and state that persists across calls —
//   GET  /api/v1/nodes, /api/v1/nodes/<n>            (404 Status for an unknown node)
//   PATCH /api/v1/nodes/<n>                          (merge patch of spec.unschedulable only)
//   GET  /api/v1/pods?fieldSelector=spec.nodeName=<n>
//   GET  /api/v1/namespaces/<ns>/pods/<p>
//   POST /api/v1/namespaces/<ns>/pods/<p>/eviction   (policy/v1 Eviction; 429 when a
//        PodDisruptionBudget's minAvailable would be broken, counted as the real API server does
//        from the healthy pods its selector matches; an evicted pod owned by a ReplicaSet or
//        StatefulSet is recreated on another schedulable node, as its controller would)
// Bearer-token auth (401 Status otherwise). Every mutating call is counted.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeNode {
  ready: boolean;
  roles: string[];
  version: string;
  unschedulable?: boolean;
}

export interface FakePod {
  namespace: string;
  name: string;
  node: string;
  labels?: Record<string, string>;
  /** "ReplicaSet" | "StatefulSet" | "DaemonSet" | undefined (a bare pod) */
  owner?: string;
  mirror?: boolean;
  uid?: string;
}

export interface FakePdb {
  namespace: string;
  name: string;
  selector: Record<string, string>;
  minAvailable: number;
}

export interface FakeK8s {
  url: string;
  token: string;
  nodes: Map<string, FakeNode>;
  pods: FakePod[];
  pdbs: FakePdb[];
  /** "cordon <node>", "evict <ns>/<pod>", "evict-refused <ns>/<pod>" → count */
  calls: Map<string, number>;
  /** Called after each refused eviction (tests free a budget from here). */
  onRefused?: (pod: FakePod, count: number) => void;
  stop(): Promise<void>;
}

const status = (code: number, reason: string, message: string): Record<string, unknown> => ({ kind: "Status", apiVersion: "v1", status: "Failure", message, reason, code });

export async function startFakeK8s(init: { nodes: Record<string, FakeNode>; pods?: FakePod[]; pdbs?: FakePdb[]; token?: string }): Promise<FakeK8s> {
  let uid = 1;
  const token = init.token ?? "fake-k8s-token";
  const nodes = new Map(Object.entries(init.nodes));
  const pods: FakePod[] = (init.pods ?? []).map((p) => ({ ...p, uid: p.uid ?? `uid-${uid++}` }));
  const k: FakeK8s = { url: "", token, nodes, pods, pdbs: init.pdbs ?? [], calls: new Map(), stop: async () => undefined };
  const count = (key: string): number => {
    const n = (k.calls.get(key) ?? 0) + 1;
    k.calls.set(key, n);
    return n;
  };
  const nodeJson = (name: string, n: FakeNode): Record<string, unknown> => ({
    kind: "Node",
    apiVersion: "v1",
    metadata: { name, labels: Object.fromEntries(n.roles.map((r) => [`node-role.kubernetes.io/${r}`, ""])) },
    spec: n.unschedulable ? { unschedulable: true } : {},
    status: { conditions: [{ type: "Ready", status: n.ready ? "True" : "False" }], nodeInfo: { kubeletVersion: n.version } },
  });
  const podJson = (p: FakePod): Record<string, unknown> => ({
    kind: "Pod",
    apiVersion: "v1",
    metadata: {
      name: p.name,
      namespace: p.namespace,
      uid: p.uid,
      labels: p.labels ?? {},
      annotations: p.mirror ? { "kubernetes.io/config.mirror": "x" } : {},
      ownerReferences: p.owner ? [{ kind: p.owner, name: `${p.name.replace(/-[^-]+$/, "")}`, controller: true }] : [],
    },
    spec: { nodeName: p.node },
    status: { phase: "Running" },
  });
  const matches = (p: FakePod, sel: Record<string, string>): boolean => Object.entries(sel).every(([a, b]) => p.labels?.[a] === b);
  const healthy = (p: FakePod): boolean => nodes.get(p.node)?.ready === true;
  const send = (res: ServerResponse, code: number, body: unknown): void => {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  const body = (req: IncomingMessage): Promise<string> =>
    new Promise((res) => {
      let b = "";
      req.setEncoding("utf8");
      req.on("data", (d: string) => (b += d));
      req.on("end", () => res(b));
    });

  const server: Server = createServer(async (req, res) => {
    if (req.headers.authorization !== `Bearer ${token}`) return send(res, 401, status(401, "Unauthorized", "Unauthorized"));
    const url = new URL(req.url ?? "/", "http://k8s");
    const p = url.pathname;
    let m: RegExpExecArray | null;
    if (req.method === "GET" && p === "/api/v1/nodes") return send(res, 200, { kind: "NodeList", items: [...nodes].map(([n, v]) => nodeJson(n, v)) });
    if ((m = /^\/api\/v1\/nodes\/([^/]+)$/.exec(p))) {
      const name = decodeURIComponent(m[1]);
      const n = nodes.get(name);
      if (!n) return send(res, 404, status(404, "NotFound", `nodes "${name}" not found`));
      if (req.method === "GET") return send(res, 200, nodeJson(name, n));
      if (req.method === "PATCH") {
        if (!/merge-patch\+json|strategic-merge-patch\+json/.test(req.headers["content-type"] ?? "")) return send(res, 415, status(415, "UnsupportedMediaType", "the body of the request was in an unknown format"));
        const patch = JSON.parse(await body(req)) as { spec?: { unschedulable?: boolean } };
        if (patch.spec?.unschedulable !== undefined) {
          n.unschedulable = patch.spec.unschedulable;
          count(`cordon ${name}`);
        }
        return send(res, 200, nodeJson(name, n));
      }
    }
    if (req.method === "GET" && p === "/api/v1/pods") {
      const sel = /^spec\.nodeName=(.+)$/.exec(url.searchParams.get("fieldSelector") ?? "");
      return send(res, 200, { kind: "PodList", items: pods.filter((x) => !sel || x.node === sel[1]).map(podJson) });
    }
    if ((m = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)(\/eviction)?$/.exec(p))) {
      const [ns, name] = [decodeURIComponent(m[1]), decodeURIComponent(m[2])];
      const i = pods.findIndex((x) => x.namespace === ns && x.name === name);
      if (i < 0) return send(res, 404, status(404, "NotFound", `pods "${name}" not found`));
      const pod = pods[i];
      if (!m[3] && req.method === "GET") return send(res, 200, podJson(pod));
      if (m[3] && req.method === "POST") {
        const ev = JSON.parse(await body(req)) as { kind?: string; apiVersion?: string };
        if (ev.kind !== "Eviction") return send(res, 400, status(400, "BadRequest", "not an Eviction"));
        const blocking = k.pdbs.find((b) => b.namespace === ns && matches(pod, b.selector) && pods.filter((x) => x.namespace === ns && matches(x, b.selector) && healthy(x)).length - 1 < b.minAvailable);
        if (blocking) {
          const n = count(`evict-refused ${ns}/${name}`);
          send(res, 429, { ...status(429, "TooManyRequests", "Cannot evict pod as it would violate the pod's disruption budget."), details: { causes: [{ reason: "DisruptionBudget", message: `The disruption budget ${blocking.name} needs ${blocking.minAvailable} healthy pods` }] } });
          k.onRefused?.(pod, n);
          return;
        }
        pods.splice(i, 1);
        count(`evict ${ns}/${name}`);
        // Its controller recreates it elsewhere (same name for a StatefulSet, like the real one).
        const target = [...nodes].find(([n, v]) => n !== pod.node && !v.unschedulable && v.ready)?.[0];
        if (target && (pod.owner === "ReplicaSet" || pod.owner === "StatefulSet")) pods.push({ ...pod, node: target, uid: `uid-${uid++}`, name: pod.owner === "StatefulSet" ? pod.name : `${pod.name}-r${uid}` });
        return send(res, 201, { kind: "Status", apiVersion: "v1", status: "Success", code: 201 });
      }
    }
    send(res, 404, status(404, "NotFound", `the server could not find the requested resource (${req.method} ${p})`));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  k.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  k.stop = () => new Promise((r) => server.close(() => r()));
  return k;
}

/** A kubeconfig for the fake (token inline, or from a file when `tokenFile` is given). */
export function kubeconfigFor(k: FakeK8s, tokenFile?: string): string {
  const user = tokenFile ? `    tokenFile: ${tokenFile}` : `    token: ${k.token}`;
  return ["apiVersion: v1", "kind: Config", "current-context: fake", "clusters:", "- name: fake", "  cluster:", `    server: ${k.url}`, "contexts:", "- name: fake", "  context:", "    cluster: fake", "    user: fake", "users:", "- name: fake", "  user:", user, ""].join("\n");
}
