// /queen/lease/ctl: resource leases with ttl expiry and per-subject quotas, visible under
// /proc/lease. A strict JSONL control file: nothing is half-applied.

import { E_BUFFER_FULL, E_LEASE_QUOTA, E_NOT_FOUND } from "../../generated/protocol";
import { GOVERNANCE_LEASE_MAX } from "../../generated/manifest";
import { J_OBJECT, J_STRING, parseJson, unknownKey } from "../../json/json";
import { now_ms } from "../../platform/abi";
import { bad, num, str } from "../ctl";
import { LogFile } from "../files";
import { Caller, ERR_DENIED, File, MODE_QUEEN_AO, MODE_RO, NsError } from "../node";
import { WorkerCount } from "./lifecycle";

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
      if (this.active_.length >= GOVERNANCE_LEASE_MAX) return new NsError(E_BUFFER_FULL, "lease table full");
      const q = this.quota(subject, resource);
      if (q != null) {
        let n: i64 = 0;
        for (let i = 0; i < this.active_.length; i++) if (this.active_[i].subject == subject && this.active_[i].resource == resource) n++;
        if (n >= q.maxActive) return new NsError(E_LEASE_QUOTA, "max_active " + q.maxActive.toString() + " reached for " + subject + "/" + resource);
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
      if (i < 0) return new NsError(E_NOT_FOUND, "lease " + id + " not active");
      this.active_[i].expiresAt = now + <u64>ttl * 1000;
      if (prio >= 0) this.active_[i].priority = prio;
      this.log.system("lease renew id=" + id + " ttl_s=" + ttl.toString());
    } else if (op == "preempt") {
      const u = unknownKey(o, ["op", "id", "reason"]);
      if (u.length > 0) return bad("unknown field " + u);
      const id = str(o, "id", 64, err), reason = str(o, "reason", 64, err);
      if (err.length > 0) return bad(err[0]);
      const i = this.find(id);
      if (i < 0) return new NsError(E_NOT_FOUND, "lease " + id + " not active");
      const l = this.active_[i];
      const q = this.quota(l.subject, l.resource);
      if (q != null && q.preemptions >= q.maxPreemptions) return new NsError(E_LEASE_QUOTA, "max_preemptions " + q.maxPreemptions.toString() + " reached for " + l.subject + "/" + l.resource);
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
        if (this.quotas.length >= GOVERNANCE_LEASE_MAX) return new NsError(E_BUFFER_FULL, "quota table full");
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
