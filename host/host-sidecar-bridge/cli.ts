// host-sidecar-bridge: publishes systemd, Kubernetes, Docker and NVIDIA state into the hive's
// /host (docs/HOST.md). Once by default; --watch polls each provider on its manifest interval.
//   host-sidecar-bridge [--provider systemd|k8s|docker|nvidia]… [--watch] [--mock] [--mount /host]
//                       [--tcp-host H --tcp-port P --auth-token T | --rest-url U --rest-auth-token T]
// Exit codes: 0 done, 1 the hive refused (no mount), 2 bad arguments, 3 the hive unreachable.

import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { MANIFEST } from "../generated/manifest.js";
import { openQueen, UsageError } from "../sdk/hive.js";
import { NsClosed, NsRefusal } from "../sdk/ns.js";
import { ConnectError } from "../sdk/pipe.js";
import { Bridge, checkMount, type PublicationRecord } from "./bridge.js";
import { PROVIDERS, type ProviderName } from "./probes.js";
import { K8sApi } from "../sdk/k8s/api.js";
import { K8sConfigError, resolveTarget } from "../sdk/k8s/config.js";

process.stdout.on("error", () => process.exit(0)); // a closed pipe (| head) ends the run quietly

async function main(argv: string[]): Promise<number> {
  const a = await yargs(argv)
    .scriptName("host-sidecar-bridge")
    .usage("$0 [options]\n\nPublishes host state (systemd, k8s, docker, nvidia) into the hive's /host (docs/HOST.md).")
    .option("provider", { type: "string", array: true, choices: [...PROVIDERS], describe: "provider to publish (repeatable; default all four)" })
    .option("unit", { type: "string", array: true, default: [], describe: "extra systemd unit to publish besides those the hive lists (repeatable)" })
    .option("watch", { type: "boolean", default: false, describe: `poll forever: nvidia ${MANIFEST.host.nvidia_poll_ms} ms, systemd ${MANIFEST.host.systemd_poll_ms} ms, docker ${MANIFEST.host.docker_poll_ms} ms, k8s ${MANIFEST.host.k8s_poll_ms} ms (manifest [host])` })
    .option("rounds", { type: "number", describe: "--watch: stop after this many publish rounds" })
    .option("mock", { type: "boolean", default: false, describe: "an in-process guest and the original's mock values (no host tools)" })
    .option("mount", { type: "string", default: MANIFEST.host.mount_at, describe: "where /host is mounted" })
    .option("tcp-host", { type: "string", describe: "TCP console host [default 127.0.0.1]" })
    .option("tcp-port", { type: "number", describe: `TCP console port [default ${MANIFEST.network.console_port}]` })
    .option("auth-token", { type: "string", describe: "console AUTH token: env:NAME, file:/abs/path or literal [env COH_AUTH_TOKEN; default the manifest's]" })
    .option("protocol", { type: "string", choices: ["console", "9p"], default: "console", describe: "what to speak over TCP" })
    .option("ticket", { type: "string", describe: "queen ticket for --protocol 9p: env:NAME, file:/abs/path or literal" })
    .option("rest-url", { type: "string", describe: "publish through hive-gateway at this URL" })
    .option("rest-auth-token", { type: "string", describe: "gateway request token: env:NAME, file:/abs/path or literal [env HIVE_GATEWAY_REQUEST_AUTH_TOKEN, COHSH_REST_AUTH_TOKEN, COH_REST_AUTH_TOKEN]" })
    .option("k8s-client", { type: "string", choices: ["kubectl", "api"], default: "kubectl", describe: "the k8s provider: `kubectl get nodes`, or the Kubernetes API with a kubeconfig" })
    .option("kubeconfig", { type: "string", describe: "--k8s-client api: the kubeconfig [env KUBECONFIG; else the in-cluster service account; else ~/.kube/config]" })
    .option("json", { type: "boolean", default: false, describe: "print one JSON publication record per write on stdout" })
    .strict()
    .version(false)
    .help()
    .fail((msg, err) => {
      throw new UsageError(msg ?? err?.message ?? "bad arguments");
    })
    .parseAsync(argv);

  const mount = checkMount(a.mount);
  const providers = (a.provider?.length ? [...new Set(a.provider)] : [...PROVIDERS]) as ProviderName[];
  if (a.rounds !== undefined && (!Number.isInteger(a.rounds) || a.rounds < 1)) throw new UsageError("--rounds must be a whole number >= 1");
  const kc = a.kubeconfig as string | string[] | undefined;
  const k8s = a["k8s-client"] === "api" && !a.mock ? new K8sApi(resolveTarget(Array.isArray(kc) ? kc[kc.length - 1] : kc), MANIFEST.host.k8s_poll_ms) : null;
  const opened = await openQueen({
    mock: a.mock,
    tcpHost: a["tcp-host"],
    tcpPort: a["tcp-port"],
    authToken: a["auth-token"],
    protocol: a.protocol as "console" | "9p",
    ticket: a.ticket,
    restUrl: a["rest-url"],
    restAuthToken: a["rest-auth-token"],
    tool: "host-sidecar-bridge",
  });
  const onRecord = (r: PublicationRecord): void => {
    if (a.json) process.stdout.write(JSON.stringify(r) + "\n");
    else if (!r.ok) process.stderr.write(`host-sidecar-bridge: ${r.path}: ${r.error}\n`);
  };
  const bridge = new Bridge(opened.ns, { mount, providers, mock: a.mock, units: a.unit as string[], k8s, onRecord, onRound: (l) => process.stderr.write(l + "\n") });
  const stop = new AbortController();
  const onSignal = (): void => stop.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    if (a.watch) await bridge.watch(stop.signal, a.rounds ?? Infinity);
    else await bridge.publish();
  } finally {
    await opened.close().catch(() => undefined);
  }
  if (!a.json) process.stdout.write(`${a.mock ? "mock " : ""}sidecar published providers at ${mount}\n`);
  return 0;
}

main(hideBin(process.argv)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    const msg = e instanceof Error ? e.message : String(e);
    const code = e instanceof UsageError || e instanceof RangeError || e instanceof K8sConfigError ? 2 : e instanceof NsRefusal ? 1 : e instanceof NsClosed || e instanceof ConnectError ? 3 : 1;
    if (process.argv.includes("--json")) process.stdout.write(JSON.stringify({ ok: false, error: msg }) + "\n");
    process.stderr.write(`host-sidecar-bridge: ${msg}\n`);
    process.exit(code);
  },
);
