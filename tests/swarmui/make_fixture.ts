// Writes tests/swarmui/demo.cbor, the replay fixture the SwarmUI tests use: 12 agents of every
// role over three shards and 600 events (telemetry with a few errors), deterministic bytes.
//   npx tsx tests/swarmui/make_fixture.ts

import { writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { encodeSnapshot, type HiveSnapshot } from "../../host/swarmui/snapshot.js";
import type { Agent, HiveEvent } from "../../host/swarmui/shared/types.js";

export function demoSnapshot(): HiveSnapshot {
  const kinds = ["worker-gpu", "worker-lora", "worker-bus", "worker-heartbeat"] as const;
  const agents: Agent[] = [];
  for (let i = 1; i <= 12; i++) {
    const role = kinds[(i - 1) % kinds.length];
    agents.push({ id: `${role}-${i}`, role, namespace: `/shard/${["0a", "5c", "e1"][i % 3]}/worker/${role}-${i}` });
  }
  const events: HiveEvent[] = [];
  for (let seq = 1; seq <= 600; seq++) {
    const a = agents[(seq * 7) % agents.length];
    const err = seq % 97 === 0;
    events.push({
      seq,
      kind: err ? "error" : "telemetry",
      reason: err ? "quota" : null,
      agent: a.id,
      role: a.role,
      namespace: a.namespace,
      detail: err ? `ERR TELEMETRY reason=quota detail=demo seq=${seq}` : `{"tick":${seq},"ts_ms":${seq * 250}}`,
    });
  }
  return { version: 1, created_ms: 1_764_547_200_000, agents, events };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(new URL("./demo.cbor", import.meta.url), encodeSnapshot(demoSnapshot()));
}
