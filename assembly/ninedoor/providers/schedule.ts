// /queen/schedule/ctl: a deterministic run queue (priority, then arrival), visible under
// /proc/schedule. A strict JSONL control file: nothing is half-applied.

import { E_BUFFER_FULL } from "../../generated/protocol";
import { EVENT_PUMP_TICK_MS, GOVERNANCE_SCHEDULE_QUEUE_MAX, TICKET_ROLES } from "../../generated/manifest";
import { RoleViews } from "../access";
import { bad, CtlFile, Fields } from "../ctl";
import { dirAt, Provider } from "../devtab";
import { LogFile } from "../files";
import { Caller, Dir, NsError, ViewFile } from "../node";

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
    const f = Fields.of(line, ["id", "role", "priority", "ticks", "budget_ms"]);
    const id = f.token("id", 64, "._:/-");
    const role = f.token("role", 16, "._:/-");
    const priority = f.int("priority", 0, 255);
    const ticks = f.int("ticks", 1, 1_000_000);
    const budget = f.int("budget_ms", 1, 3_600_000);
    if (!f.ok) return f.error();
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

export class ScheduleCtl extends CtlFile {
  constructor(private s: Scheduler) {
    super("ctl");
  }
  append(line: string, who: Caller): NsError | null {
    return this.s.submit(line);
  }
}

/** /queen/schedule/ctl and /proc/schedule/{queue,active,summary}. */
export class ScheduleProvider extends Provider {
  constructor(private s: Scheduler) {
    super();
  }

  mount(root: Dir, views: RoleViews): void {
    dirAt(root, "/queen/schedule").add(new ScheduleCtl(this.s));
    const p = dirAt(root, "/proc/schedule");
    p.add(new ViewFile<Scheduler>("queue", this.s, (s: Scheduler): string[] => {
      const out: string[] = [];
      for (let i = 0; i < s.queue.length; i++) out.push(s.queue[i].line());
      return out;
    }));
    p.add(new ViewFile<Scheduler>("active", this.s, (s: Scheduler): string[] => {
      const a = s.active;
      return [a == null ? "active=none" : "active=" + a.id + " remaining_ticks=" + a.remaining.toString()];
    }));
    p.add(new ViewFile<Scheduler>("summary", this.s, (s: Scheduler): string[] => [
      "queued=" + s.queue.length.toString() + " active=" + (s.active == null ? "0" : "1") + " completed=" + s.completed.toString() +
        " over_budget=" + s.overBudget.toString() + " tick_ms=" + EVENT_PUMP_TICK_MS.toString(),
    ]));
  }

  ticks(): bool {
    return true;
  }

  tick(now: u64): void {
    this.s.tick(now);
  }
}
