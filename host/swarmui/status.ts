// The single-line /proc files a poll reads (reference §5.3: root, sessions, pressure; 0.9's
// schedule and lease summaries), parsed from their `key=value` words. Pure.

import type { PollBatch } from "./shared/types.js";

/** `a=1 b=x` → {a:"1", b:"x"} (the first word may be a bare id, returned as `_id`). */
export function words(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  line.split(/\s+/).filter(Boolean).forEach((w, i) => {
    const eq = w.indexOf("=");
    if (eq > 0) out[w.slice(0, eq)] = w.slice(eq + 1);
    else if (i === 0) out._id = w;
  });
  return out;
}

const num = (v: string | undefined): number => {
  const n = Number(v);
  return Number.isFinite(n) ? n : 0;
};

export function parseRoot(reachable: string, cut: string): NonNullable<PollBatch["root"]> {
  const r = words(reachable).reachable;
  const c = words(cut).cut_reason;
  return { reachable: r === "yes", cut_reason: c && c !== "none" ? c : r === "yes" ? null : "unknown" };
}

export function parseSessions(line: string): NonNullable<PollBatch["sessions"]> {
  const w = words(line);
  return { active: num(w.active), draining: num(w.draining) };
}

export function parsePressure(lines: Record<"busy" | "quota" | "cut" | "policy", string>): NonNullable<PollBatch["pressure_counters"]> {
  return { busy: num(words(lines.busy).busy), quota: num(words(lines.quota).quota), cut: num(words(lines.cut).cut), policy: num(words(lines.policy).policy) };
}

/** /proc/schedule/summary + queue lines (`<id> role= priority= ticks= budget_ms=`). */
export function parseSchedule(summary: string, queue: string[], maxEntries: number): NonNullable<PollBatch["schedule"]> {
  const s = words(summary);
  return {
    summary: { queue: num(s.queued), max_entries: maxEntries, dequeued: num(s.completed), dropped: num(s.over_budget) },
    queue: queue.map((l, i) => {
      const w = words(l);
      return { id: w._id ?? w.id ?? "", role: w.role ?? "", priority: num(w.priority), ticks: num(w.ticks), budget_ms: num(w.budget_ms), seq: i + 1 };
    }),
  };
}

/** /proc/lease/summary + active lines (`<id> subject= resource= priority= expires_ms=`). */
export function parseLease(summary: string, active: string[], maxActive: number, nowMs: number): NonNullable<PollBatch["lease"]> {
  const s = words(summary);
  return {
    summary: { active: num(s.active), preemptions: num(s.preempted), quotas: num(s.expired), max_active: maxActive },
    active: active
      .filter((l) => l.trim() !== "" && !l.startsWith("active=none"))
      .map((l, i) => {
        const w = words(l);
        const exp = num(w.expires_ms);
        return { id: w._id ?? "", subject: w.subject ?? "", resource: w.resource ?? "", ttl_s: Math.max(0, Math.round((exp - nowMs) / 1000)), priority: num(w.priority), state: w.state ?? "active", seq: i + 1 };
      }),
    preemptions: [],
  };
}
