// The allowlisted executors (reference §2.9). Each resolves with a short detail for the receipt
// or throws ExecError; each succeeds only when its postcondition holds afterwards (a restart needs
// a new InvocationID, a cordon a SchedulingDisabled node), and each runs under the manifest's
// action deadline. Host tools come from PATH (systemctl, kubectl), Docker's Engine API from its
// unix socket and (with --k8s-client api) the Kubernetes API from a kubeconfig — the tests put
// stateful fakes in all three places.

import { request } from "node:http";
import { MANIFEST } from "../generated/manifest.js";
import { NsRefusal, type NamespaceClient } from "../sdk/ns.js";
import { commandRunner, parseProps, type Runner } from "../sdk/exec.js";
import type { TicketSpec } from "./schema.js";
import type { Validated } from "./validate.js";
import { DEFAULT_PEFT_PLACES, PeftTicketError, runPeft, type PeftPlaces } from "./peft_exec.js";
import { PeftError } from "../sdk/gpu/peft.js";
import { RegistryError } from "../sdk/gpu/registry.js";
import { PublishError } from "../sdk/gpu/publish.js";
import { InventoryError } from "../sdk/gpu/inventory.js";
import { K8sApi, K8sApiError } from "../sdk/k8s/api.js";
import { cordon, drain, DrainError, getNode, nodeLine, nodeStatus } from "../sdk/k8s/nodes.js";

export class ExecError extends Error {
  override readonly name = "ExecError";
}

export interface ExecContext {
  ns: NamespaceClient;
  mount: string;
  run: Runner;
  dockerSocket: string;
  deadlineMs: number;
  peft: PeftPlaces;
  /** The Kubernetes API client (--k8s-client api), or null to drive kubectl. */
  k8s: K8sApi | null;
}

export type Executor = (spec: TicketSpec, v: Validated, ctx: ExecContext) => Promise<string>;

async function must(ctx: ExecContext, cmd: string, args: string[]): Promise<string> {
  const r = await ctx.run(cmd, args);
  if (!r.ok) throw new ExecError(`${cmd} ${args[0]} failed: ${r.error.split("\n")[0]}`);
  return r.stdout;
}

async function unitState(ctx: ExecContext, unit: string): Promise<Record<string, string>> {
  return parseProps(await must(ctx, "systemctl", ["show", unit, "--property=ActiveState,SubState,InvocationID"]));
}

const systemd: Executor = async (spec, v, ctx) => {
  const verb = spec.action.slice("systemd.".length);
  const before = await unitState(ctx, v.subject);
  if (verb === "status-check") return `state=${before.ActiveState ?? "unknown"} sub=${before.SubState ?? "unknown"}`;
  await must(ctx, "systemctl", [verb, v.subject]);
  const after = await unitState(ctx, v.subject);
  if (verb === "stop") {
    if (after.ActiveState === "active") throw new ExecError(`postcondition failed: ${v.subject} still active after stop`);
  } else {
    if (after.ActiveState !== "active") throw new ExecError(`postcondition failed: ${v.subject} is ${after.ActiveState ?? "unknown"} after ${verb}`);
    if (verb === "restart" && (!after.InvocationID || after.InvocationID === before.InvocationID)) throw new ExecError(`postcondition failed: ${v.subject} kept InvocationID ${before.InvocationID || "-"} (not restarted)`);
  }
  return `state=${after.ActiveState} sub=${after.SubState ?? "unknown"}${verb === "restart" ? ` invocation=${after.InvocationID.slice(0, 12)}` : ""}`;
};

interface DockerReply {
  status: number;
  body: string;
}

/** One Engine API call on the unix socket. */
export function dockerApi(socket: string, method: string, path: string, timeoutMs: number): Promise<DockerReply> {
  return new Promise((res, rej) => {
    const req = request({ socketPath: socket, method, path, timeout: timeoutMs, headers: { host: "docker" } }, (r) => {
      let body = "";
      r.setEncoding("utf8");
      r.on("data", (d: string) => (body += d));
      r.on("end", () => res({ status: r.statusCode ?? 0, body }));
    });
    req.on("timeout", () => req.destroy(new Error(`docker API ${method} ${path}: no answer in ${timeoutMs} ms`)));
    req.on("error", (e) => rej(new ExecError(`docker API unavailable at ${socket}: ${(e as NodeJS.ErrnoException).code ?? e.message}`)));
    req.end();
  });
}

function dockerMessage(r: DockerReply): string {
  try {
    return (JSON.parse(r.body) as { message?: string }).message ?? `HTTP ${r.status}`;
  } catch {
    return `HTTP ${r.status}`;
  }
}

const docker: Executor = async (spec, v, ctx) => {
  const verb = spec.action.slice("docker.".length);
  const api = (method: string, path: string): Promise<DockerReply> => dockerApi(ctx.dockerSocket, method, path, ctx.deadlineMs);
  if (verb === "status-check" && v.subject === "") {
    const r = await api("GET", "/info");
    if (r.status !== 200) throw new ExecError(`docker info: ${dockerMessage(r)}`);
    const i = JSON.parse(r.body) as { ServerVersion?: string; ContainersRunning?: number };
    return `version=${i.ServerVersion ?? "unknown"} running=${i.ContainersRunning ?? 0}`;
  }
  const c = encodeURIComponent(v.subject);
  const inspect = async (): Promise<{ Running: boolean; StartedAt: string; Status: string }> => {
    const r = await api("GET", `/containers/${c}/json`);
    if (r.status !== 200) throw new ExecError(`container ${v.subject}: ${dockerMessage(r)}`);
    return (JSON.parse(r.body) as { State: { Running: boolean; StartedAt: string; Status: string } }).State;
  };
  const before = await inspect();
  if (verb === "status-check") return `status=${before.Status}`;
  const r = await api("POST", `/containers/${c}/${verb}?t=10`);
  if (r.status !== 204 && !(verb === "stop" && r.status === 304)) throw new ExecError(`docker ${verb} ${v.subject}: ${dockerMessage(r)}`);
  const after = await inspect();
  if (verb === "stop" && after.Running) throw new ExecError(`postcondition failed: ${v.subject} still running after stop`);
  if (verb === "restart" && (!after.Running || after.StartedAt === before.StartedAt)) throw new ExecError(`postcondition failed: ${v.subject} was not restarted`);
  return `status=${after.Status}`;
};

async function nodeRow(ctx: ExecContext, node: string): Promise<string[]> {
  const out = await must(ctx, "kubectl", ["get", "nodes", "--no-headers"]);
  const row = out.split("\n").map((l) => l.trim().split(/\s+/)).find((c) => c[0] === node);
  if (!row) throw new ExecError(`node ${node} not found`);
  return row;
}

const k8sKubectl: Executor = async (spec, v, ctx) => {
  const verb = spec.action.slice("k8s.".length);
  if (verb === "lease.sync") {
    const row = await nodeRow(ctx, v.subject);
    const line = `state=${row[1].toLowerCase()} role=${row[2]} version=${row[row.length - 1]}`;
    await ctx.ns.append(`${ctx.mount}/k8s/node/${v.subject}/status`, line);
    return `synced ${line}`.slice(0, 120);
  }
  const args = verb === "drain" ? ["drain", v.subject, "--ignore-daemonsets", "--delete-emptydir-data", `--timeout=${Math.ceil(ctx.deadlineMs / 1000)}s`] : ["cordon", v.subject];
  const r = await ctx.run("kubectl", args);
  if (!r.ok) {
    const pod = /evicting pods?\/"?([A-Za-z0-9.-]+)/.exec(r.error)?.[1];
    if (/disruption budget/i.test(r.error)) throw new ExecError(`drain refused: evicting ${pod ?? "a pod"} would violate its PodDisruptionBudget`);
    throw new ExecError(`kubectl ${verb} failed: ${r.error.split("\n")[0]}`);
  }
  const row = await nodeRow(ctx, v.subject);
  if (!row[1].includes("SchedulingDisabled")) throw new ExecError(`postcondition failed: ${v.subject} is schedulable after ${verb}`);
  return `node ${v.subject} ${row[1]}`;
};

// The same three verbs on the Kubernetes API itself (--k8s-client api): the eviction API makes the
// API server enforce PodDisruptionBudgets; receipts are the kubectl path's, word for word.
const k8sApi = async (spec: TicketSpec, v: Validated, ctx: ExecContext, api: K8sApi): Promise<string> => {
  const verb = spec.action.slice("k8s.".length);
  try {
    if (verb === "lease.sync") {
      const line = nodeLine(await getNode(api, v.subject));
      await ctx.ns.append(`${ctx.mount}/k8s/node/${v.subject}/status`, line);
      return `synced ${line}`.slice(0, 120);
    }
    if (verb === "drain") await drain(api, v.subject, { attempts: MANIFEST.host.k8s_evict_attempts, retryMs: MANIFEST.host.k8s_evict_retry_ms, deadline: Date.now() + ctx.deadlineMs });
    else await cordon(api, v.subject);
    const after = await getNode(api, v.subject);
    if (!after.spec?.unschedulable) throw new ExecError(`postcondition failed: ${v.subject} is schedulable after ${verb}`);
    return `node ${v.subject} ${nodeStatus(after)}`;
  } catch (e) {
    if (e instanceof DrainError || e instanceof K8sApiError) throw new ExecError(e.message);
    throw e;
  }
};

const k8s: Executor = (spec, v, ctx) => (ctx.k8s ? k8sApi(spec, v, ctx, ctx.k8s) : k8sKubectl(spec, v, ctx));

async function ctlWrite(ctx: ExecContext, path: string, line: string): Promise<string> {
  try {
    await ctx.ns.append(path, line);
    return "committed";
  } catch (e) {
    if (e instanceof NsRefusal) throw new ExecError(`${path}: ${e.line ?? e.message}`);
    throw e;
  }
}

// GPU leases go through the guest's own lease table (/queen/lease/ctl), the lease id defaulting to
// the ticket id, so a lease and the ticket that asked for it share a name.
const gpu: Executor = async (spec, v, ctx) => {
  const verb = spec.action.slice("gpu.lease.".length);
  const id = v.str.lease_id ?? spec.id;
  const ctl = "/queen/lease/ctl";
  if (verb === "grant") {
    const subject = v.str.worker_id ?? "host-ticket-agent";
    return ctlWrite(ctx, ctl, JSON.stringify({ op: "grant", id, subject, resource: v.subject, ttl_s: Math.min(v.num.ttl_s ?? 120, 86_400), priority: v.num.priority ?? 0 }));
  }
  if (verb === "renew") {
    const o: Record<string, unknown> = { op: "renew", id, ttl_s: Math.min(v.num.ttl_s ?? 120, 86_400) };
    if (v.num.priority !== undefined) o.priority = v.num.priority;
    return ctlWrite(ctx, ctl, JSON.stringify(o));
  }
  return ctlWrite(ctx, ctl, JSON.stringify({ op: "preempt", id, reason: "released" }));
};

// PEFT tickets run the `coh peft` lifecycle (host/sdk/gpu/peft.ts) in this process, inside the
// agent's --registry-root/--export-root/--adapter-root (peft_exec.ts).
const peft: Executor = async (spec, v, ctx) => {
  try {
    return await runPeft(spec, v, ctx.ns, ctx.peft);
  } catch (e) {
    if (e instanceof PeftError || e instanceof PeftTicketError || e instanceof RegistryError || e instanceof PublishError || e instanceof InventoryError) throw new ExecError(e.message);
    throw e;
  }
};

export const EXECUTORS: Array<[string, Executor]> = [
  ["systemd.", systemd],
  ["docker.", docker],
  ["k8s.", k8s],
  ["gpu.lease.", gpu],
  ["peft.", peft],
];

export function executorFor(action: string): Executor | null {
  return EXECUTORS.find(([p]) => action.startsWith(p))?.[1] ?? null;
}

/** --mock: every allowlisted action succeeds at once (the bench's executors), counted. */
export function mockExecutor(counts: Map<string, number>): Executor {
  return async (spec) => {
    counts.set(spec.action, (counts.get(spec.action) ?? 0) + 1);
    return "mock executor";
  };
}

export function defaultContext(ns: NamespaceClient, over: Partial<ExecContext> = {}): ExecContext {
  return { ns, mount: MANIFEST.host.mount_at, run: commandRunner(over.deadlineMs ?? MANIFEST.host.action_deadline_ms), dockerSocket: "/var/run/docker.sock", peft: DEFAULT_PEFT_PLACES, k8s: null, deadlineMs: MANIFEST.host.action_deadline_ms, ...over };
}
