// The live probes of host-sidecar-bridge: the reference's commands (§3.2) and the exact status
// lines they become. A probe never throws: a command that fails gives `state=unknown reason=<…>`
// with the error sanitised, so one absent provider (no Docker here, no GPU there) never stops the
// others. The commands are looked up on PATH, which is how the tests put stateful fakes in front.

import type { K8sApi } from "../sdk/k8s/api.js";
import { listNodes, nodeRoles, nodeStatus } from "../sdk/k8s/nodes.js";
import { MANIFEST } from "../generated/manifest.js";
import { commandRunner, parseProps, type Runner } from "../sdk/exec.js";

export type { Runner } from "../sdk/exec.js";

export const PROVIDERS = ["systemd", "k8s", "docker", "nvidia"] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** One value to write: `path` relative to the mount (`systemd/ssh.service/status`). */
export interface Publication {
  provider: ProviderName;
  rel: string;
  line: string;
}

/** What the hive lists (the bridge publishes what the VM knows, plus new nodes and GPUs it finds). */
export interface Topology {
  units: string[];
  nodes: string[];
  docker: boolean;
  gpus: string[];
}

const PROBE_TIMEOUT_MS = 10_000;

/** Runs a command from PATH with a deadline; never rejects. */
export const runCommand: Runner = commandRunner(PROBE_TIMEOUT_MS);

/** The reference's sanitiser: keep [A-Za-z0-9-_.:/,], whitespace → `_`, drop the rest; empty → unknown. */
export function sanitise(s: string): string {
  let out = "";
  for (const ch of s) {
    if (/\s/.test(ch)) out += "_";
    else if (/[A-Za-z0-9\-_.:/,]/.test(ch)) out += ch;
  }
  return out.length ? out : "unknown";
}

/** Trimmed and cut on a UTF-8 boundary to the manifest's status bound. */
export function boundLine(s: string, max: number = MANIFEST.host.status_line_max): string {
  const t = s.trim();
  const enc = new TextEncoder();
  if (enc.encode(t).length <= max) return t;
  let out = "";
  let n = 0;
  for (const ch of t) {
    const w = enc.encode(ch).length;
    if (n + w > max) break;
    out += ch;
    n += w;
  }
  return out;
}

export function unknown(reason: string): string {
  return boundLine(`state=unknown reason=${sanitise(reason)}`);
}

/** `systemctl show <unit> --property=ActiveState,SubState,InvocationID` → `state=… sub=…`. */
export async function probeSystemd(units: string[], run: Runner = runCommand): Promise<Publication[]> {
  const out: Publication[] = [];
  for (const u of units) {
    const r = await run("systemctl", ["show", u, "--property=ActiveState,SubState,InvocationID"]);
    let line: string;
    if (!r.ok) line = unknown(r.error);
    else {
      const props = parseProps(r.stdout);
      line = `state=${sanitise(props.ActiveState ?? "")} sub=${sanitise(props.SubState ?? "")}`;
    }
    out.push({ provider: "systemd", rel: `systemd/${u}/status`, line: boundLine(line) });
  }
  return out;
}

/** `kubectl get nodes --no-headers` (one call): `state=<status> role=<roles> version=<last>` per node. */
export async function probeK8s(known: string[], run: Runner = runCommand): Promise<Publication[]> {
  const r = await run("kubectl", ["get", "nodes", "--no-headers"]);
  const rows = new Map<string, string>();
  if (r.ok) {
    for (const l of r.stdout.split("\n")) {
      const cols = l.trim().split(/\s+/);
      if (cols.length < 3 || !/^[a-z0-9][a-z0-9.-]{0,62}$/.test(cols[0])) continue;
      rows.set(cols[0], `state=${sanitise(cols[1].toLowerCase())} role=${sanitise(cols[2])} version=${sanitise(cols[cols.length - 1])}`);
    }
  }
  const names = [...new Set([...known, ...rows.keys()])];
  return names.map((n) => ({
    provider: "k8s" as const,
    rel: `k8s/node/${n}/status`,
    line: boundLine(rows.get(n) ?? (r.ok ? "state=unknown reason=node-not-listed" : unknown(r.error))),
  }));
}

/** `docker info --format '…'` → `version=… containers=… running=… paused=… stopped=…`. */
export async function probeDocker(run: Runner = runCommand): Promise<Publication[]> {
  const r = await run("docker", ["info", "--format", "{{.ServerVersion}} {{.Containers}} {{.ContainersRunning}} {{.ContainersPaused}} {{.ContainersStopped}}"]);
  let line: string;
  const t = r.stdout.trim().split(/\s+/);
  if (!r.ok) line = unknown(r.error);
  else if (t.length < 5) line = unknown(`docker info gave ${t.length} fields, expected 5`);
  else line = `version=${sanitise(t[0])} containers=${sanitise(t[1])} running=${sanitise(t[2])} paused=${sanitise(t[3])} stopped=${sanitise(t[4])}`;
  return [{ provider: "docker", rel: "docker/status", line: boundLine(line) }];
}

/** `nvidia-smi --query-gpu=… --format=csv,noheader,nounits` → status and thermal per GPU. */
export async function probeNvidia(known: string[], run: Runner = runCommand): Promise<Publication[]> {
  const r = await run("nvidia-smi", ["--query-gpu=index,utilization.gpu,memory.used,memory.total,temperature.gpu,power.draw", "--format=csv,noheader,nounits"]);
  const rows = new Map<string, string[]>();
  if (r.ok) {
    for (const l of r.stdout.split("\n")) {
      const c = l.split(",").map((x) => x.trim());
      if (c.length >= 6 && /^\d{1,2}$/.test(c[0])) rows.set(c[0], c.map(sanitise));
    }
  }
  const out: Publication[] = [];
  for (const i of [...new Set([...known, ...rows.keys()])]) {
    const c = rows.get(i);
    const status = c ? `util_pct=${c[1]} mem_used_mb=${c[2]} mem_total_mb=${c[3]} temp_c=${c[4]} power_w=${c[5]}` : r.ok ? "state=unknown reason=gpu-not-listed" : unknown(r.error);
    out.push({ provider: "nvidia", rel: `nvidia/gpu/${i}/status`, line: boundLine(status) });
    out.push({ provider: "nvidia", rel: `nvidia/gpu/${i}/thermal`, line: c ? `temp_c=${c[4]}` : "temp_c=unknown" });
  }
  return out;
}

/** The reference's --mock values (§3.2). */
export function mockPublications(p: ProviderName, topo: Topology): Publication[] {
  if (p === "systemd") return topo.units.map((u) => ({ provider: p, rel: `systemd/${u}/status`, line: "active" }));
  if (p === "k8s") return topo.nodes.map((n) => ({ provider: p, rel: `k8s/node/${n}/status`, line: "state=ready" }));
  if (p === "docker") return topo.docker ? [{ provider: p, rel: "docker/status", line: "state=ok" }] : [];
  return topo.gpus.flatMap((g) => [
    { provider: p, rel: `nvidia/gpu/${g}/status`, line: "state=ok" },
    { provider: p, rel: `nvidia/gpu/${g}/thermal`, line: "temp_c=42" },
  ]);
}

/** The same lines from the Kubernetes API (--k8s-client api): one node list per round. */
export async function probeK8sApi(known: string[], api: K8sApi): Promise<Publication[]> {
  const rows = new Map<string, string>();
  let error: string | null = null;
  try {
    for (const n of await listNodes(api)) if (/^[a-z0-9][a-z0-9.-]{0,62}$/.test(n.metadata.name)) rows.set(n.metadata.name, `state=${sanitise(nodeStatus(n).toLowerCase())} role=${sanitise(nodeRoles(n))} version=${sanitise(n.status?.nodeInfo?.kubeletVersion ?? "unknown")}`);
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const names = [...new Set([...known, ...rows.keys()])];
  return names.map((n) => ({ provider: "k8s" as const, rel: `k8s/node/${n}/status`, line: boundLine(rows.get(n) ?? (error === null ? "state=unknown reason=node-not-listed" : unknown(error))) }));
}

export async function probe(p: ProviderName, topo: Topology, run: Runner = runCommand, k8s: K8sApi | null = null): Promise<Publication[]> {
  if (p === "systemd") return probeSystemd(topo.units, run);
  if (p === "k8s") return k8s ? probeK8sApi(topo.nodes, k8s) : probeK8s(topo.nodes, run);
  if (p === "docker") return topo.docker ? probeDocker(run) : [];
  return probeNvidia(topo.gpus, run);
}
