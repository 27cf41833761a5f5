// One bridge: discover what the hive lists under the mount, probe the selected providers and
// write each value to its status file; in watch mode each provider on its own manifest interval.
// A refused write (a bound, a closed gate) is recorded and the round carries on.

import type { K8sApi } from "../sdk/k8s/api.js";
import { MANIFEST } from "../generated/manifest.js";
import { NsRefusal, type NamespaceClient } from "../sdk/ns.js";
import { boundLine, mockPublications, probe, runCommand, type ProviderName, type Publication, type Runner, type Topology } from "./probes.js";

export const SCHEMA = "host-sidecar-publication/v1";

/** One write as `--json` prints it. */
export interface PublicationRecord {
  schema: typeof SCHEMA;
  round: number;
  provider: ProviderName;
  path: string;
  line: string;
  ok: boolean;
  error?: string;
}

export interface BridgeOptions {
  mount: string;
  providers: ProviderName[];
  mock: boolean;
  /** Extra systemd units to publish (the hive adds them, within host.units_max). */
  units: string[];
  run?: Runner;
  /** The Kubernetes API (--k8s-client api) instead of kubectl for the k8s provider. */
  k8s?: K8sApi | null;
  /** Called once per write. */
  onRecord?: (r: PublicationRecord) => void;
  /** Called once per round with its one-line summary (stderr). */
  onRound?: (line: string) => void;
}

export const INTERVAL_MS: Record<ProviderName, number> = {
  nvidia: MANIFEST.host.nvidia_poll_ms,
  systemd: MANIFEST.host.systemd_poll_ms,
  docker: MANIFEST.host.docker_poll_ms,
  k8s: MANIFEST.host.k8s_poll_ms,
};

/** Checks `--mount` as the original does: absolute, not `/`, no `..`; a trailing `/` is dropped. */
export function checkMount(m: string): string {
  const t = m.length > 1 ? m.replace(/\/+$/, "") : m;
  if (!t.startsWith("/") || t === "/" || t.split("/").includes("..")) throw new RangeError(`--mount must be an absolute path other than / without '..', got '${m}'`);
  return t;
}

async function list(ns: NamespaceClient, path: string): Promise<string[] | null> {
  try {
    return await ns.ls(path);
  } catch (e) {
    if (e instanceof NsRefusal) return null;
    throw e;
  }
}

/** The original's discovery (§3.1): the mount must exist; units, nodes, docker and GPUs are what it lists. */
export async function discover(ns: NamespaceClient, mount: string, extraUnits: string[] = []): Promise<Topology> {
  if ((await list(ns, mount)) === null) throw new NsRefusal({ op: "LS", reason: "policy", detail: `mount ${mount} not available`, path: mount });
  const units = ((await list(ns, `${mount}/systemd`)) ?? []).filter((u) => u !== "status");
  return {
    units: [...new Set([...units, ...extraUnits])],
    nodes: (await list(ns, `${mount}/k8s/node`)) ?? [],
    docker: (await list(ns, `${mount}/docker`)) !== null,
    gpus: (await list(ns, `${mount}/nvidia/gpu`)) ?? [],
  };
}

export class Bridge {
  round = 0;
  readonly totals = { published: 0, refused: 0, unknown: 0 };
  private topo: Topology | null = null;

  constructor(private ns: NamespaceClient, private o: BridgeOptions) {}

  async topology(): Promise<Topology> {
    if (!this.topo) this.topo = await discover(this.ns, this.o.mount, this.o.units);
    return this.topo;
  }

  /** One publish round over `providers`. */
  async publish(providers: ProviderName[] = this.o.providers): Promise<PublicationRecord[]> {
    const topo = await this.topology();
    const started = Date.now();
    this.round++;
    const pubs: Publication[] = [];
    for (const p of providers) pubs.push(...(this.o.mock ? mockPublications(p, topo) : await probe(p, topo, this.o.run ?? runCommand, this.o.k8s ?? null)));
    const records: PublicationRecord[] = [];
    // A status value longer than the transport's record (the console's echo bound is below the
    // provider's 255-byte line) is cut on a UTF-8 boundary rather than refused, so a long
    // `state=unknown reason=…` still replaces the stale value.
    const fit = Math.min(MANIFEST.host.status_line_max, this.ns.caps.maxRecord);
    for (const raw of pubs) {
      const pub = { ...raw, line: boundLine(raw.line, fit) };
      const path = `${this.o.mount}/${pub.rel}`;
      const rec: PublicationRecord = { schema: SCHEMA, round: this.round, provider: pub.provider, path, line: pub.line, ok: true };
      try {
        await this.ns.append(path, pub.line);
        this.totals.published++;
      } catch (e) {
        if (!(e instanceof NsRefusal)) throw e;
        rec.ok = false;
        rec.error = e.line ?? e.message;
        this.totals.refused++;
      }
      if (pub.line.startsWith("state=unknown")) this.totals.unknown++;
      records.push(rec);
      this.o.onRecord?.(rec);
    }
    // New nodes and GPUs the probes found are now in the hive; the next round lists them again.
    this.topo = null;
    const unknownN = records.filter((r) => r.line.startsWith("state=unknown")).length;
    const refused = records.filter((r) => !r.ok).length;
    this.o.onRound?.(`host-sidecar-bridge round=${this.round} providers=${providers.join(",")} published=${records.length - refused} refused=${refused} unknown=${unknownN} ms=${Date.now() - started}`);
    return records;
  }

  /** Polls forever (until `signal`), each provider when it is due; `maxRounds` stops early (tests). */
  async watch(signal: AbortSignal, maxRounds = Infinity): Promise<void> {
    const providers = this.o.providers;
    if (providers.length === 0) throw new RangeError("no live providers selected for watch mode");
    // A fixed grid from the start (due += interval), so providers whose intervals divide each
    // other fall due in the same round instead of drifting apart by each round's duration.
    const t0 = Date.now();
    const due = new Map<ProviderName, number>(providers.map((p) => [p, t0]));
    while (!signal.aborted && this.round < maxRounds) {
      const now = Date.now();
      const ready = providers.filter((p) => (due.get(p) ?? 0) <= now);
      if (ready.length > 0) {
        await this.publish(ready);
        for (const p of ready) {
          let d = (due.get(p) ?? now) + INTERVAL_MS[p];
          while (d <= now) d += INTERVAL_MS[p]; // a round that overran skips missed slots, never bursts
          due.set(p, d);
        }
        continue;
      }
      const next = Math.min(...providers.map((p) => due.get(p) ?? now)) - now;
      await new Promise<void>((res) => {
        const t = setTimeout(res, Math.max(1, next));
        signal.addEventListener("abort", () => (clearTimeout(t), res()), { once: true });
      });
    }
  }
}
