// Scheduler and Lease boxes (0.9): summaries and tables from each poll batch.

import type { PollBatch } from "../../shared/types.js";
import { byId, el } from "../dom.js";

function table(target: HTMLElement, head: string[], rows: Array<Array<string | number>>): void {
  const t = el("table");
  const tr = el("tr");
  for (const h of head) {
    const th = el("th", h);
    th.scope = "col";
    tr.appendChild(th);
  }
  t.appendChild(tr);
  for (const r of rows) {
    const row = el("tr");
    for (const c of r) row.appendChild(el("td", String(c)));
    t.appendChild(row);
  }
  if (!rows.length) {
    const row = el("tr");
    const td = el("td", "none");
    td.colSpan = head.length;
    row.appendChild(td);
    t.appendChild(row);
  }
  target.replaceChildren(t);
}

export function updateTables(b: PollBatch): void {
  if (b.schedule) {
    const s = b.schedule.summary;
    byId("sched-summary").textContent = `Queue ${s.queue}/${s.max_entries} · dequeued ${s.dequeued} · dropped ${s.dropped}`;
    table(byId("sched-table"), ["ID", "ROLE", "PRIORITY", "TICKS", "BUDGET", "SEQ"], b.schedule.queue.map((q) => [q.id, q.role, q.priority, q.ticks, q.budget_ms, q.seq]));
  }
  if (b.lease) {
    const s = b.lease.summary;
    byId("lease-summary").textContent = `Active ${s.active}/${s.max_active} · preemptions ${s.preemptions} · quotas ${s.quotas}`;
    table(byId("lease-table"), ["ID", "SUBJECT", "RESOURCE", "TTL", "PRIORITY", "STATE"], b.lease.active.map((l) => [l.id, l.subject, l.resource, `${l.ttl_s}s`, l.priority, l.state]));
  }
}
