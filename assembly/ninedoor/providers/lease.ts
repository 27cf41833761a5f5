// /queen/lease/ctl: resource leases with ttl expiry and per-subject quotas, visible under
// /proc/lease. A strict JSONL control file: nothing is half-applied.

import { E_BUFFER_FULL, E_LEASE_QUOTA, E_NOT_FOUND } from "../../generated/protocol";
import { GOVERNANCE_LEASE_MAX } from "../../generated/manifest";
import { J_STRING } from "../../json/json";
import { now_ms } from "../../platform/abi";
import { RoleViews } from "../access";
import { bad, CtlFile, Fields } from "../ctl";
import { dirAt, Provider } from "../devtab";
import { LogFile } from "../files";
import { Caller, Dir, NsError, ViewFile } from "../node";
import { WorkerCount } from "./lifecycle";

class Lease {
  constructor(public id: string, public subject: string, public resource: string, public priority: i64, public expiresAt: u64) {}
}

class Quota {
  preemptions: i64 = 0;
  constructor(public subject: string, public resource: string, public maxActive: i64, public maxPreemptions: i64) {}
}

/** Leases held elsewhere (GPU leases of worker-gpu spawns), shown beside these in /proc/lease. */
export abstract class LeaseSource {
  /** `/proc/lease/active` lines: `<id> subject=… resource=… priority=… expires_ms=…`. */
  abstract leaseLines(): string[];
}

export class Leases extends WorkerCount {
  active_: Lease[] = [];
  sources: LeaseSource[] = [];
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
    const f = Fields.of(line, []);
    if (!f.ok) return f.error();
    const opv = f.obj.get("op");
    if (opv == null || opv.kind != J_STRING) return bad("op must be grant, renew, preempt or quota");
    const op = opv.s;
    const now = now_ms();
    if (op == "grant") {
      f.only(["op", "id", "subject", "resource", "ttl_s", "priority"], "");
      const id = f.token("id", 64, "._:/-"), subject = f.token("subject", 64, "._:/-"), resource = f.token("resource", 64, "._:/-");
      const ttl = f.int("ttl_s", 1, 86_400), prio = f.int("priority", 0, 255);
      if (!f.ok) return f.error();
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
      f.only(["op", "id", "ttl_s", "priority"], "");
      const id = f.token("id", 64, "._:/-"), ttl = f.int("ttl_s", 1, 86_400);
      const prio = f.has("priority") ? f.int("priority", 0, 255) : -1;
      if (!f.ok) return f.error();
      const i = this.find(id);
      if (i < 0) return new NsError(E_NOT_FOUND, "lease " + id + " not active");
      this.active_[i].expiresAt = now + <u64>ttl * 1000;
      if (prio >= 0) this.active_[i].priority = prio;
      this.log.system("lease renew id=" + id + " ttl_s=" + ttl.toString());
    } else if (op == "preempt") {
      f.only(["op", "id", "reason"], "");
      const id = f.token("id", 64, "._:/-"), reason = f.token("reason", 64, "._:/-");
      if (!f.ok) return f.error();
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
      f.only(["op", "subject", "resource", "max_active", "max_preemptions"], "");
      const subject = f.token("subject", 64, "._:/-"), resource = f.token("resource", 64, "._:/-");
      const ma = f.int("max_active", 0, 1024), mp = f.int("max_preemptions", 0, 1_000_000);
      if (!f.ok) return f.error();
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

export class LeaseCtl extends CtlFile {
  constructor(private l: Leases) {
    super("ctl");
  }
  append(line: string, who: Caller): NsError | null {
    return this.l.apply(line);
  }
}

/** /queen/lease/ctl and /proc/lease/{active,summary}. */
export class LeaseProvider extends Provider {
  constructor(private l: Leases) {
    super();
  }

  mount(root: Dir, views: RoleViews): void {
    dirAt(root, "/queen/lease").add(new LeaseCtl(this.l));
    const p = dirAt(root, "/proc/lease");
    p.add(new ViewFile<Leases>("active", this.l, (l: Leases): string[] => {
      const out: string[] = [];
      for (let i = 0; i < l.active_.length; i++) {
        const x = l.active_[i];
        out.push(x.id + " subject=" + x.subject + " resource=" + x.resource + " priority=" + x.priority.toString() + " expires_ms=" + x.expiresAt.toString());
      }
      for (let i = 0; i < l.sources.length; i++) {
        const more = l.sources[i].leaseLines();
        for (let j = 0; j < more.length; j++) out.push(more[j]);
      }
      return out;
    }));
    p.add(new ViewFile<Leases>("summary", this.l, (l: Leases): string[] => {
      let n = l.active_.length;
      for (let i = 0; i < l.sources.length; i++) n += l.sources[i].leaseLines().length;
      return ["active=" + n.toString() + " expired=" + l.expired.toString() + " preempted=" + l.preempted.toString()];
    }));
  }

  ticks(): bool {
    return true;
  }

  tick(now: u64): void {
    this.l.tick(now);
  }
}
