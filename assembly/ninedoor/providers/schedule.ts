// /queen/schedule/ctl: a deterministic run queue (priority, then arrival), visible under
// /proc/schedule. A strict JSONL control file: nothing is half-applied.

import { E_BUFFER_FULL } from "../../generated/protocol";
import { EVENT_PUMP_TICK_MS, GOVERNANCE_SCHEDULE_QUEUE_MAX, TICKET_ROLES } from "../../generated/manifest";
import { J_OBJECT, parseJson, unknownKey } from "../../json/json";
import { bad, num, str } from "../ctl";
import { LogFile } from "../files";
import { Caller, ERR_DENIED, File, MODE_QUEEN_AO, MODE_RO, NsError } from "../node";

class Job {
  remaining: i64;
  startedAt: u64 = 0;
  constructor(public id: string, public role: string, public priority: i64, public ticks: i64, public budgetMs: i64, public seq: u64) {
    this.remaining = ticks;
  }
  line(): string {
    return this.id + " role=" + this.role + " priority=" + this.priority.toString() + " ticks=" + this.ticks.toString() + " budget_ms=" + this.budgetMs.toString();
  }
}

export class Scheduler {
  queue: Job[] = [];
  active: Job | null = null;
  completed: u64 = 0;
  overBudget: u64 = 0;
  private seq: u64 = 0;

  constructor(private log: LogFile) {}

  submit(line: string): NsError | null {
    const r = parseJson(line.trim());
    if (r.value == null) return bad(r.error);
    const o = r.value!;
    if (o.kind != J_OBJECT) return bad("expected a JSON object");
    const u = unknownKey(o, ["id", "role", "priority", "ticks", "budget_ms"]);
    if (u.length > 0) return bad("unknown field " + u);
    const err: string[] = [];
    const id = str(o, "id", 64, err);
    const role = str(o, "role", 16, err);
    const priority = num(o, "priority", 0, 255, err);
    const ticks = num(o, "ticks", 1, 1_000_000, err);
    const budget = num(o, "budget_ms", 1, 3_600_000, err);
    if (err.length > 0) return bad(err[0]);
    if (!TICKET_ROLES.includes(role)) return bad("role must be one of " + TICKET_ROLES.join(","));
    if (this.has(id)) return bad("id " + id + " already scheduled");
    if (this.queue.length >= GOVERNANCE_SCHEDULE_QUEUE_MAX) return new NsError(E_BUFFER_FULL, "schedule queue full");
    const j = new Job(id, role, priority, ticks, budget, this.seq++);
    // Insert keeping (priority desc, arrival asc): a deterministic order whatever the timing.
    this.queue.push(j);
    for (let i = this.queue.length - 1; i > 0 && this.queue[i - 1].priority < priority; i--) {
      const t = this.queue[i - 1];
      this.queue[i - 1] = this.queue[i];
      this.queue[i] = t;
    }
    this.log.system("schedule queued id=" + id + " priority=" + priority.toString());
    return null;
  }

  private has(id: string): bool {
    if (this.active != null && this.active!.id == id) return true;
    for (let i = 0; i < this.queue.length; i++) if (this.queue[i].id == id) return true;
    return false;
  }

  /** One scheduler step per core tick: the active job uses a tick; the next one starts. */
  tick(now: u64): void {
    let a = this.active;
    if (a == null && this.queue.length > 0) {
      a = this.queue.shift();
      a.startedAt = now;
      this.active = a;
      this.log.system("schedule start id=" + a.id);
    }
    if (a == null) return;
    a.remaining--;
    const over = now - a.startedAt > <u64>a.budgetMs;
    if (a.remaining <= 0 || over) {
      if (over) this.overBudget++;
      this.completed++;
      this.log.system("schedule done id=" + a.id + (over ? " reason=budget" : " reason=ticks"));
      this.active = null;
    }
  }
}

export class ScheduleCtl extends File {
  constructor(private s: Scheduler) {
    super("ctl", MODE_QUEEN_AO);
  }
  read(): string[] {
    return [];
  }
  append(line: string, who: Caller): NsError | null {
    return who.role == "queen" ? this.s.submit(line) : ERR_DENIED;
  }
}

export class ScheduleView extends File {
  constructor(name: string, private s: Scheduler) {
    super(name, MODE_RO);
  }
  read(): string[] {
    if (this.name == "queue") {
      const out: string[] = [];
      for (let i = 0; i < this.s.queue.length; i++) out.push(this.s.queue[i].line());
      return out;
    }
    const a = this.s.active;
    if (this.name == "active") return [a == null ? "active=none" : "active=" + a.id + " remaining_ticks=" + a.remaining.toString()];
    return [
      "queued=" + this.s.queue.length.toString() + " active=" + (a == null ? "0" : "1") + " completed=" + this.s.completed.toString() +
        " over_budget=" + this.s.overBudget.toString() + " tick_ms=" + EVENT_PUMP_TICK_MS.toString(),
    ];
  }
}
