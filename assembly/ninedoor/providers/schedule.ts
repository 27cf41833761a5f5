// /queen/schedule/ctl and /queen/lease/ctl: a deterministic run queue (priority, then arrival)
// and resource leases with ttl expiry and per-subject quotas, visible under /proc/schedule and
// /proc/lease. Both are strict JSONL control files: nothing is half-applied.

import { EVENT_PUMP_TICK_MS, GOVERNANCE_LEASE_MAX, GOVERNANCE_SCHEDULE_QUEUE_MAX, TICKET_ROLES } from "../generated/manifest";
import { J_INT, J_OBJECT, J_STRING, JValue, parseJson, unknownKey } from "../json/json";
import { now_ms } from "../platform/abi";
import { LogFile } from "./files";
import { WorkerCount } from "./lifecycle";
import { Caller, ERR_DENIED, File, MODE_QUEEN_AO, MODE_RO, NsError } from "./node";
import { onlyChars } from "../text/charset";

function bad(why: string): NsError {
  return new NsError("policy", "invalid-payload", "invalid payload: " + why);
}

/** Values end up inside `key=value` lines under /proc, so they are single tokens. */
function str(o: JValue, k: string, max: i32, err: string[]): string {
  const v = o.get(k);
  if (v == null || v.kind != J_STRING || v.s.length == 0 || v.s.length > max || !onlyChars(v.s, "._:/-")) {
    err.push(k + " must be 1-" + max.toString() + " characters of [A-Za-z0-9._:/-]");
    return "";
  }
  return v.s;
}

function num(o: JValue, k: string, lo: i64, hi: i64, err: string[]): i64 {
  const v = o.get(k);
  if (v == null || v.kind != J_INT || v.n < lo || v.n > hi) {
    err.push(k + " must be an integer in " + lo.toString() + ".." + hi.toString());
    return 0;
  }
  return v.n;
}


// ---- schedule ------------------------------------------------------------------------------

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
    if (this.queue.length >= GOVERNANCE_SCHEDULE_QUEUE_MAX) return new NsError("quota", "buffer-full", "schedule queue full");
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

// ---- leases --------------------------------------------------------------------------------

class Lease {
  constructor(public id: string, public subject: string, public resource: string, public priority: i64, public expiresAt: u64) {}
}

class Quota {
  preemptions: i64 = 0;
  constructor(public subject: string, public resource: string, public maxActive: i64, public maxPreemptions: i64) {}
}

export class Leases extends WorkerCount {
  active_: Lease[] = [];
  quotas: Quota[] = [];
  expired: u64 = 0;
  preempted: u64 = 0;

  constructor(private log: LogFile) {
    super();
  }

  active(): i32 {
    return this.active_.length;
  }

  private quota(subject: string, resource: string): Quota | null {
    for (let i = 0; i < this.quotas.length; i++) if (this.quotas[i].subject == subject && this.quotas[i].resource == resource) return this.quotas[i];
    return null;
  }

  private find(id: string): i32 {
    for (let i = 0; i < this.active_.length; i++) if (this.active_[i].id == id) return i;
    return -1;
  }

  apply(line: string): NsError | null {
    const r = parseJson(line.trim());
    if (r.value == null) return bad(r.error);
    const o = r.value!;
    if (o.kind != J_OBJECT) return bad("expected a JSON object");
    const opv = o.get("op");
    if (opv == null || opv.kind != J_STRING) return bad("op must be grant, renew, preempt or quota");
    const op = opv.s;
    const err: string[] = [];
    const now = now_ms();
    if (op == "grant") {
      const u = unknownKey(o, ["op", "id", "subject", "resource", "ttl_s", "priority"]);
      if (u.length > 0) return bad("unknown field " + u);
      const id = str(o, "id", 64, err), subject = str(o, "subject", 64, err), resource = str(o, "resource", 64, err);
      const ttl = num(o, "ttl_s", 1, 86_400, err), prio = num(o, "priority", 0, 255, err);
      if (err.length > 0) return bad(err[0]);
      if (this.find(id) >= 0) return bad("lease " + id + " already active");
      if (this.active_.length >= GOVERNANCE_LEASE_MAX) return new NsError("quota", "buffer-full", "lease table full");
      const q = this.quota(subject, resource);
      if (q != null) {
        let n: i64 = 0;
        for (let i = 0; i < this.active_.length; i++) if (this.active_[i].subject == subject && this.active_[i].resource == resource) n++;
        if (n >= q.maxActive) return new NsError("quota", "lease-quota", "max_active " + q.maxActive.toString() + " reached for " + subject + "/" + resource);
      }
      this.active_.push(new Lease(id, subject, resource, prio, now + <u64>ttl * 1000));
      this.log.system("lease grant id=" + id + " subject=" + subject + " resource=" + resource + " ttl_s=" + ttl.toString());
    } else if (op == "renew") {
      const u = unknownKey(o, ["op", "id", "ttl_s", "priority"]);
      if (u.length > 0) return bad("unknown field " + u);
      const id = str(o, "id", 64, err), ttl = num(o, "ttl_s", 1, 86_400, err);
      const prio = o.has("priority") ? num(o, "priority", 0, 255, err) : -1;
      if (err.length > 0) return bad(err[0]);
      const i = this.find(id);
      if (i < 0) return new NsError("policy", "not-found", "lease " + id + " not active");
      this.active_[i].expiresAt = now + <u64>ttl * 1000;
      if (prio >= 0) this.active_[i].priority = prio;
      this.log.system("lease renew id=" + id + " ttl_s=" + ttl.toString());
    } else if (op == "preempt") {
      const u = unknownKey(o, ["op", "id", "reason"]);
      if (u.length > 0) return bad("unknown field " + u);
      const id = str(o, "id", 64, err), reason = str(o, "reason", 64, err);
      if (err.length > 0) return bad(err[0]);
      const i = this.find(id);
      if (i < 0) return new NsError("policy", "not-found", "lease " + id + " not active");
      const l = this.active_[i];
      const q = this.quota(l.subject, l.resource);
      if (q != null && q.preemptions >= q.maxPreemptions) return new NsError("quota", "lease-quota", "max_preemptions " + q.maxPreemptions.toString() + " reached for " + l.subject + "/" + l.resource);
      if (q != null) q.preemptions++;
      this.active_.splice(i, 1);
      this.preempted++;
      this.log.system("lease preempt id=" + id + " reason=" + reason);
    } else if (op == "quota") {
      const u = unknownKey(o, ["op", "subject", "resource", "max_active", "max_preemptions"]);
      if (u.length > 0) return bad("unknown field " + u);
      const subject = str(o, "subject", 64, err), resource = str(o, "resource", 64, err);
      const ma = num(o, "max_active", 0, 1024, err), mp = num(o, "max_preemptions", 0, 1_000_000, err);
      if (err.length > 0) return bad(err[0]);
      const q = this.quota(subject, resource);
      if (q != null) {
        q.maxActive = ma;
        q.maxPreemptions = mp;
      } else {
        if (this.quotas.length >= GOVERNANCE_LEASE_MAX) return new NsError("quota", "buffer-full", "quota table full");
        this.quotas.push(new Quota(subject, resource, ma, mp));
      }
    } else {
      return bad("op must be grant, renew, preempt or quota");
    }
    return null;
  }

  tick(now: u64): void {
    for (let i = this.active_.length - 1; i >= 0; i--) {
      if (now >= this.active_[i].expiresAt) {
        this.log.system("lease expired id=" + this.active_[i].id);
        this.active_.splice(i, 1);
        this.expired++;
      }
    }
  }
}

export class LeaseCtl extends File {
  constructor(private l: Leases) {
    super("ctl", MODE_QUEEN_AO);
  }
  read(): string[] {
    return [];
  }
  append(line: string, who: Caller): NsError | null {
    return who.role == "queen" ? this.l.apply(line) : ERR_DENIED;
  }
}

export class LeaseView extends File {
  constructor(name: string, private l: Leases) {
    super(name, MODE_RO);
  }
  read(): string[] {
    if (this.name == "active") {
      const out: string[] = [];
      for (let i = 0; i < this.l.active_.length; i++) {
        const x = this.l.active_[i];
        out.push(x.id + " subject=" + x.subject + " resource=" + x.resource + " priority=" + x.priority.toString() + " expires_ms=" + x.expiresAt.toString());
      }
      return out;
    }
    return ["active=" + this.l.active_.length.toString() + " expired=" + this.l.expired.toString() + " preempted=" + this.l.preempted.toString()];
  }
}

/** Workers and leases both hold resources: drain, quiesce and reset wait for both. */
export class Outstanding extends WorkerCount {
  constructor(private a: WorkerCount, private b: WorkerCount) {
    super();
  }
  active(): i32 {
    return this.a.active() + this.b.active();
  }
}
