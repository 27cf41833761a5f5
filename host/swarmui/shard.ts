// A worker's shard label, computed the way the guest does (assembly/ninedoor/providers/workers.ts
// shardLabel: the first byte of sha256(id), shifted by 8 - shard_bits, two hex digits), so the
// poller can name /shard/<label>/worker/<id> without listing all 2^shard_bits shards.

import { createHash } from "node:crypto";
import { MANIFEST } from "../generated/manifest.js";

export function shardLabel(id: string, bits: number = MANIFEST.sharding.shard_bits): string {
  const first = createHash("sha256").update(id, "utf8").digest()[0];
  const v = bits === 0 ? 0 : first >> (8 - bits);
  return v.toString(16).padStart(2, "0");
}

export function workerNamespace(id: string): string {
  return `/shard/${shardLabel(id)}/worker/${id}`;
}
