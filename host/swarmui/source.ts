// Where poll batches come from: the live hive (poller.ts), a replayed snapshot or transcript
// (replay.ts), or the offline snapshot store. The server only sees this interface.

import type { Agent, Bootstrap, PollBatch } from "./shared/types.js";

export interface HiveSource {
  readonly mode: Bootstrap["mode"];
  bootstrap(): Promise<{ agents: Agent[]; replay: boolean }>;
  /** The next batch (events since the previous one, status, summaries). */
  poll(): Promise<Omit<PollBatch, "batch" | "at_ms">>;
  /** The last lines the source keeps for one agent (the detail pane), or null when unknown. */
  detail(agent: string, lines: number): { agent: string; lines: string[] } | null;
  /** Every event the source still holds, oldest first (what a hive snapshot records). */
  recorded(): { agents: Agent[]; events: import("./shared/types.js").HiveEvent[] };
  close(): Promise<void>;
}

export function emptyBatch(): Omit<PollBatch, "batch" | "at_ms"> {
  return {
    events: [],
    pressure: 0,
    backlog: 0,
    dropped: 0,
    root: null,
    sessions: null,
    pressure_counters: null,
    overlays: [],
    detail: null,
    done: false,
    schedule: null,
    lease: null,
    agents: null,
  };
}
