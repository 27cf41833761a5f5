// Publishing a gpu-bridge-snapshot/v1 to a hive: the envelope's lines appended to
// /gpu/bridge/ctl one by one over any NamespaceClient (console, Secure9P, hive-gateway REST),
// then /gpu/bridge/status read back, which must say ok with our size and hash. A snapshot over
// [gpu] bridge_max_bytes is refused before anything is sent.

import { MANIFEST } from "../../generated/manifest.js";
import type { NamespaceClient } from "../ns.js";
import { envelope, wirePayload, type Catalogue, type GpuInfo } from "./snapshot.js";

export const BRIDGE_CTL = "/gpu/bridge/ctl";
export const BRIDGE_STATUS = "/gpu/bridge/status";

export class PublishError extends Error {
  override readonly name = "PublishError";
}

export interface PublishResult {
  bytes: number;
  sha256: string;
  gpus: number;
  models: number;
  lines: number;
  ms: number;
  status: string;
}

/** Base64 characters per `b64:` line the connection carries (console: 124; the guest takes lines of at most 4096 bytes). */
export function chunkFor(ns: NamespaceClient): number {
  const max = Math.min(ns.caps.maxRecord, MANIFEST.telemetry_ingest.max_record_bytes);
  return Math.floor((max - 4) / 4) * 4;
}

export async function publishSnapshot(ns: NamespaceClient, gpus: readonly GpuInfo[], cat: Catalogue, progress: (line: string) => void = () => undefined): Promise<PublishResult> {
  const payload = wirePayload(gpus, cat);
  const env = envelope(payload, chunkFor(ns));
  if (env.bytes > MANIFEST.gpu.bridge_max_bytes) {
    throw new PublishError(`snapshot of ${env.bytes} bytes exceeds [gpu] bridge_max_bytes ${MANIFEST.gpu.bridge_max_bytes}; nothing was sent`);
  }
  const t0 = performance.now();
  const step = Math.max(1, Math.floor(env.lines.length / 10));
  for (let i = 0; i < env.lines.length; i++) {
    await ns.append(BRIDGE_CTL, env.lines[i]);
    if (i % step === 0 || i === env.lines.length - 1) progress(`publish lines=${i + 1}/${env.lines.length}`);
  }
  const status = (await ns.read(BRIDGE_STATUS))[0] ?? "";
  const want = `state=ok bytes=${env.bytes} sha256=${env.sha256}`;
  if (status !== want) throw new PublishError(`the hive did not install the snapshot: ${BRIDGE_STATUS} says '${status}'`);
  return { bytes: env.bytes, sha256: env.sha256, gpus: gpus.length, models: cat.models.length, lines: env.lines.length, ms: Math.round(performance.now() - t0), status };
}

export function summaryLine(r: PublishResult): string {
  return `published bytes=${r.bytes} sha256=${r.sha256} gpus=${r.gpus} models=${r.models} ms=${r.ms}`;
}
