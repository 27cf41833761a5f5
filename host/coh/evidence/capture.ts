// `coh evidence pack`: one bounded read per surface (reference §3.2), JSONL surfaces redacted
// before anything is written, every item listed in summary.json as captured / missing / error,
// then sealed. The pack is built in memory and written to a temporary directory renamed into
// place, so a failure leaves no half-written pack; the same hive state gives the same bytes
// (no timestamps, items sorted, JSON in fixed key order).

import { mkdirSync, renameSync, rmSync, writeFileSync, existsSync, readdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { COHSH_POLICY_SHA256, MANIFEST, MANIFEST_SHA256 } from "../../generated/manifest.js";
import { NsRefusal, type NamespaceClient } from "../../sdk/ns.js";
import { RestNamespaceClient } from "../../sdk/rest/client.js";
import { redactJsonl } from "./redact.js";
import { sealOf } from "./seal.js";

const KIB = 1024;
/** Reference §3.3: every file ≤ 1 MiB, ≤ 512 entries, ≤ 64 MiB in all. */
export const PACK_FILE_MAX = 1024 * KIB;
export const PACK_ENTRIES_MAX = 512;
export const PACK_TOTAL_MAX = 64 * 1024 * KIB;

interface Item {
  path: string;
  saved_as: string;
  verb: "CAT" | "TAIL" | "LS";
  status: "captured" | "missing" | "error";
  bytes: number | null;
  detail: string | null;
}

const line = MANIFEST.console.line_max;
const gov = MANIFEST.governance;

/** (namespace path, saved as, verb, byte bound, JSONL to redact) — the original's surfaces. */
const ITEMS: [string, string, "CAT" | "TAIL", number, boolean][] = [
  ["/proc/boot", "proc/boot", "CAT", 64 * KIB, false],
  ["/proc/schedule/summary", "proc/schedule/summary", "CAT", 128, false],
  ["/proc/schedule/queue", "proc/schedule/queue", "CAT", gov.schedule_queue_max * line, false],
  ["/proc/lease/summary", "proc/lease/summary", "CAT", 160, false],
  ["/proc/lease/active", "proc/lease/active", "CAT", gov.lease_max * line, false],
  ["/proc/lease/preemptions", "proc/lease/preemptions", "CAT", gov.lease_max * line, false],
  // The console's CAT of the queen log is a summary; TAIL returns its records.
  ["/log/queen.log", "log/queen.log", "TAIL", 2048 * 257, false],
  ["/log/system.log", "log/system.log", "CAT", 2048 * 257, false],
  ["/audit/export", "audit/export", "CAT", KIB, false],
  ["/audit/journal", "audit/journal", "CAT", PACK_FILE_MAX, true],
  ["/audit/decisions", "audit/decisions", "CAT", PACK_FILE_MAX, true],
  ["/host/tickets/spec", "host/tickets/spec", "CAT", 128 * KIB, true],
  ["/host/tickets/status", "host/tickets/status", "CAT", 128 * KIB, true],
  ["/host/tickets/deadletter", "host/tickets/deadletter", "CAT", 128 * KIB, true],
  ["/replay/status", "replay/status", "CAT", KIB, false],
];

/** bounds.json: the gateway's /v1/meta/bounds over REST, else the same figures from the manifest. */
async function boundsOf(ns: NamespaceClient): Promise<Record<string, unknown>> {
  let doc: Record<string, unknown> = { manifest_sha256: MANIFEST_SHA256, console: { max_line_len: line, max_echo_len: MANIFEST.console.echo_max, max_tail_lines: MANIFEST.console.log_lines }, worker_runtime: null };
  if (ns instanceof RestNamespaceClient) {
    const r = await ns.http.get("/v1/meta/bounds");
    if (r.status === 200 && r.raw && typeof r.raw === "object") doc = r.raw as Record<string, unknown>;
  }
  // What the CI kit checks each schedule/lease file against (this core has no preemptions file).
  doc.observability = {
    proc_schedule: { summary: true, queue: true, summary_bytes: 128, queue_bytes: gov.schedule_queue_max * line },
    proc_lease: { summary: true, active: true, preemptions: false, summary_bytes: 160, active_bytes: gov.lease_max * line, preemptions_bytes: 0 },
  };
  return doc;
}

function classify(e: unknown): { status: "missing" | "error"; detail: string } {
  const msg = e instanceof NsRefusal ? `${e.detail} ${e.line ?? ""} ${e.message}` : e instanceof Error ? e.message : String(e);
  if (/invalid-path|not-found|not found|no such file|disabled|does not exist|404|ENOENT/.test(msg)) return { status: "missing", detail: "not-found" };
  const code = ["ELIMIT", "EPERM", "EBUSY", "EINVAL", "ETIMEDOUT", "EACCES"].find((c) => msg.includes(c));
  return { status: "error", detail: "capture-error" + (code ? `:${code}` : `:${msg.replace(/\s+/g, " ").trim().slice(0, 120)}`) };
}

const text = (lines: string[]): Buffer => Buffer.from(lines.map((l) => l + "\n").join(""), "utf8");
const json = (v: unknown): Buffer => Buffer.from(JSON.stringify(v, null, 2) + "\n", "utf8");

export interface PackResult {
  out: string;
  captured: number;
  missing: number;
  errors: number;
  files: number;
  bytes: number;
  packSha256: string;
}

/** Captures the pack's files from `ns` (attached as the queen), in memory. */
export async function capturePack(ns: NamespaceClient, o: { withTelemetry: boolean; progress?: (l: string) => void }): Promise<{ files: Map<string, Uint8Array>; items: Item[] }> {
  const files = new Map<string, Uint8Array>();
  const items: Item[] = [];
  let total = 0;
  const keep = (item: Item, bytes: Buffer, limit: number): void => {
    if (bytes.length > limit) {
      Object.assign(item, { status: "error", detail: `capture-error:over-bound ${bytes.length} > ${limit} bytes` });
      return;
    }
    if (files.size >= PACK_ENTRIES_MAX || total + bytes.length > PACK_TOTAL_MAX) {
      Object.assign(item, { status: "error", detail: `capture-error:pack-full (${PACK_ENTRIES_MAX} files / ${PACK_TOTAL_MAX} bytes)` });
      return;
    }
    files.set(item.saved_as, bytes);
    total += bytes.length;
    Object.assign(item, { status: "captured", bytes: bytes.length });
  };
  for (const [path, saved, verb, limit, jsonl] of ITEMS) {
    const item: Item = { path, saved_as: saved, verb, status: "captured", bytes: null, detail: null };
    try {
      let lines = verb === "TAIL" ? await ns.tail(path) : await ns.read(path);
      if (jsonl) {
        const r = redactJsonl(lines, path);
        if (!r.ok) throw new Error(r.error);
        lines = r.lines;
      }
      keep(item, text(lines), limit);
    } catch (e) {
      Object.assign(item, classify(e));
    }
    items.push(item);
    o.progress?.(`[coh evidence] ${item.status} ${path}`);
  }
  if (o.withTelemetry) await captureTelemetry(ns, items, keep, o.progress);
  items.sort((a, b) => (a.saved_as < b.saved_as ? -1 : a.saved_as > b.saved_as ? 1 : 0));
  return { files, items };
}

/** /queen/telemetry/<device>/seg/* (each a file in the pack), devices and segments in listing order. */
async function captureTelemetry(ns: NamespaceClient, items: Item[], keep: (i: Item, b: Buffer, limit: number) => void, progress?: (l: string) => void): Promise<void> {
  let devices: string[];
  try {
    devices = await ns.ls("/queen/telemetry");
  } catch (e) {
    items.push({ path: "/queen/telemetry", saved_as: "telemetry", verb: "LS", bytes: null, ...classify(e) });
    return;
  }
  for (const d of devices) {
    let segs: string[] = [];
    try {
      segs = await ns.ls(`/queen/telemetry/${d}/seg`);
    } catch (e) {
      items.push({ path: `/queen/telemetry/${d}/seg`, saved_as: `telemetry/${d}/seg`, verb: "LS", bytes: null, ...classify(e) });
      continue;
    }
    for (const s of segs) {
      const path = `/queen/telemetry/${d}/seg/${s}`;
      const item: Item = { path, saved_as: `telemetry/${d}/seg/${s}`, verb: "CAT", status: "captured", bytes: null, detail: null };
      try {
        keep(item, text(await ns.read(path)), PACK_FILE_MAX);
      } catch (e) {
        Object.assign(item, classify(e));
      }
      items.push(item);
    }
    progress?.(`[coh evidence] telemetry ${d}: ${segs.length} segment(s)`);
  }
}

/** The whole pack as files (meta, bounds, summary, captured surfaces, seal). */
export async function buildPack(ns: NamespaceClient, o: { withTelemetry: boolean; progress?: (l: string) => void }): Promise<{ files: Map<string, Uint8Array>; counts: { captured: number; missing: number; errors: number }; digest: string }> {
  const { files, items } = await capturePack(ns, o);
  files.set("meta.json", json({ schema: "cohesix-evidence-pack/meta-v1", manifest_sha256: MANIFEST_SHA256, policy_sha256: COHSH_POLICY_SHA256, redaction_ticket: "sha256", with_telemetry: o.withTelemetry }));
  files.set("bounds.json", json(await boundsOf(ns)));
  const counts = { captured: 0, missing: 0, errors: 0 };
  for (const i of items) i.status === "captured" ? counts.captured++ : i.status === "missing" ? counts.missing++ : counts.errors++;
  files.set("summary.json", json({ schema: "cohesix-evidence-pack/summary-v1", captured: counts.captured, missing: counts.missing, errors: counts.errors, items }));
  const seal = sealOf(files);
  files.set("checksums.json", Buffer.from(seal.checksums));
  files.set("pack.sha256", Buffer.from(seal.digest + "\n"));
  return { files, counts, digest: seal.digest };
}

/** Writes `files` as directory `out`: into a sibling temporary directory first, then one rename. */
export function writePackDir(out: string, files: Map<string, Uint8Array>): void {
  if (existsSync(out) && readdirSync(out).length > 0) throw new Error(`${out} exists and is not empty; choose a new --out (packs are never merged)`);
  const tmp = `${out}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  try {
    for (const [rel, bytes] of [...files.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
      mkdirSync(dirname(join(tmp, rel)), { recursive: true });
      writeFileSync(join(tmp, rel), bytes, { mode: 0o644 });
    }
    if (existsSync(out)) rmSync(out, { recursive: true });
    mkdirSync(dirname(out), { recursive: true });
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
