// Where the Kubernetes API is and how to authenticate to it: a kubeconfig's current context
// (--kubeconfig, $KUBECONFIG, ~/.kube/config) or, inside a pod, the service account. Only what a
// control tool needs: server URL, CA, bearer token (inline or file) or client certificate; exec
// plugins and auth providers are refused by name rather than half-supported.

import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, isAbsolute, join } from "node:path";
import { parse as parseYaml } from "yaml";

export class K8sConfigError extends Error {
  override readonly name = "K8sConfigError";
}

export interface K8sTarget {
  server: string;
  token?: string;
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
  insecure: boolean;
  /** Where it came from, for error messages (never the token). */
  source: string;
}

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj => (typeof v === "object" && v !== null && !Array.isArray(v) ? (v as Obj) : {});
const str = (v: unknown): string | undefined => (typeof v === "string" && v !== "" ? v : undefined);

function named(list: unknown, name: string, what: string, file: string): Obj {
  const e = (Array.isArray(list) ? list : []).map(obj).find((x) => x.name === name);
  if (!e) throw new K8sConfigError(`${file}: ${what} '${name}' not found`);
  return obj(e[what]);
}

/** `<x>-data` (base64) or `<x>` (a file, relative to the kubeconfig's directory). */
function material(o: Obj, key: string, base: string): Buffer | undefined {
  const data = str(o[`${key}-data`]);
  if (data) return Buffer.from(data, "base64");
  const file = str(o[key]);
  if (!file) return undefined;
  const p = isAbsolute(file) ? file : join(base, file);
  if (!existsSync(p)) throw new K8sConfigError(`${key} ${p} not found`);
  return readFileSync(p);
}

/** The kubeconfig's current context (or `context`) as a target. */
export function loadKubeconfig(path: string, context?: string): K8sTarget {
  if (!existsSync(path)) throw new K8sConfigError(`kubeconfig ${path} not found (give --kubeconfig or set KUBECONFIG)`);
  let doc: Obj;
  try {
    doc = obj(parseYaml(readFileSync(path, "utf8")));
  } catch (e) {
    throw new K8sConfigError(`kubeconfig ${path}: not YAML: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}`);
  }
  const ctxName = context ?? str(doc["current-context"]);
  if (!ctxName) throw new K8sConfigError(`kubeconfig ${path}: no current-context`);
  const ctx = named(doc.contexts, ctxName, "context", path);
  const cluster = named(doc.clusters, str(ctx.cluster) ?? "", "cluster", path);
  const user = str(ctx.user) ? named(doc.users, str(ctx.user) as string, "user", path) : {};
  if (user.exec || user["auth-provider"]) throw new K8sConfigError(`kubeconfig ${path}: user of context '${ctxName}' needs an exec/auth-provider plugin, which this tool does not run; give it a token or client certificate`);
  const server = str(cluster.server);
  if (!server || !/^https?:\/\//.test(server)) throw new K8sConfigError(`kubeconfig ${path}: cluster of context '${ctxName}' has no http(s) server`);
  const base = dirname(path);
  const tokenFile = str(user.tokenFile);
  const token = str(user.token) ?? (tokenFile ? readFileSync(isAbsolute(tokenFile) ? tokenFile : join(base, tokenFile), "utf8").trim() : undefined);
  return {
    server: server.replace(/\/+$/, ""),
    token,
    ca: material(cluster, "certificate-authority", base),
    cert: material(user, "client-certificate", base),
    key: material(user, "client-key", base),
    insecure: cluster["insecure-skip-tls-verify"] === true,
    source: `kubeconfig ${path} context ${ctxName}`,
  };
}

const SA = "/var/run/secrets/kubernetes.io/serviceaccount";

/** The pod's service account, when running in a cluster (KUBERNETES_SERVICE_HOST set). */
export function inClusterTarget(env: NodeJS.ProcessEnv = process.env, dir = SA): K8sTarget | null {
  const host = env.KUBERNETES_SERVICE_HOST;
  if (!host || !existsSync(join(dir, "token"))) return null;
  const h = host.includes(":") ? `[${host}]` : host;
  return {
    server: `https://${h}:${env.KUBERNETES_SERVICE_PORT ?? "443"}`,
    token: readFileSync(join(dir, "token"), "utf8").trim(),
    ca: existsSync(join(dir, "ca.crt")) ? readFileSync(join(dir, "ca.crt")) : undefined,
    insecure: false,
    source: "in-cluster service account",
  };
}

/** --kubeconfig, else $KUBECONFIG (first entry), else in-cluster, else ~/.kube/config. */
export function resolveTarget(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): K8sTarget {
  const given = flag ?? env.KUBECONFIG?.split(":").find((p) => p !== "");
  if (given) return loadKubeconfig(given);
  return inClusterTarget(env) ?? loadKubeconfig(join(homedir(), ".kube", "config"));
}
