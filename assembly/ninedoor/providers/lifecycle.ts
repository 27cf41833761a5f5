// The node lifecycle: BOOTING -> ONLINE at boot, then operator commands through
// /queen/lifecycle/ctl. Gates derived from the state decide what new work is allowed.

import { E_LIFECYCLE_DENIED } from "../../generated/protocol";
import { Caller, Dir, NsError, ViewFile } from "../node";
import { RoleViews } from "../access";
import { CtlFile } from "../ctl";
import { dirAt, Provider } from "../devtab";
import { LogFile } from "../files";
import { now_ms } from "../../platform/abi";
import { CAT_LIFECYCLE, INFO, Trace, WARN } from "../../trace/trace";
import {
  BOOTING, DRAINING, DRAINING_GATES, LIFECYCLE_CMDS, LIFECYCLE_FROM, LIFECYCLE_NEEDS_IDLE, LIFECYCLE_TO, ONLINE, DEGRADED,
} from "../../generated/protocol";

// States, gates and the transition table are the protocol spec's (host/coh-rtc/protocol.ts),
// which cohsh's lifecycle precheck reads too.
export {
  BOOTING, DEGRADED, DRAINING, GATE_HOST_PUBLISH, GATE_NEW_WORK, GATE_TELEMETRY_INGEST, GATE_WORKER_ATTACH, GATE_WORKER_JOB,
  GATE_WORKER_TELEMETRY, OFFLINE, ONLINE, QUIESCED,
} from "../../generated/protocol";

export class Lifecycle {
  state: string = BOOTING;
  reason: string = "boot";
  sinceMs: u64 = 0;

  constructor(private log: LogFile, private trace: Trace) {}

  private move(to: string, reason: string, now: u64): void {
    this.log.system("lifecycle transition old=" + this.state + " new=" + to + " reason=" + reason);
    this.trace.emit(INFO, CAT_LIFECYCLE, "transition old=" + this.state + " new=" + to + " reason=" + reason);
    this.state = to;
    this.reason = reason;
    this.sinceMs = now;
  }

  /** The manifest's automatic BOOTING -> ONLINE once the root task is up. */
  bootComplete(now: u64): void {
    if (this.state == BOOTING) this.move(ONLINE, "boot-complete", now);
  }

  /** Applies an operator command; returns the refusal text or "" on success. */
  command(cmd: string, activeWorkers: i32, now: u64): string {
    const i = LIFECYCLE_CMDS.indexOf(cmd);
    if (i < 0) return this.denied(cmd, "invalid-command");
    const target = LIFECYCLE_TO[i];
    const from = LIFECYCLE_FROM[i];
    const allowed = from == "*" ? this.state != target : from.split(",").includes(this.state);
    if (!allowed) return this.denied(cmd, "invalid-transition");
    if (LIFECYCLE_NEEDS_IDLE[i] && activeWorkers > 0) return this.denied(cmd, "outstanding-leases leases=" + activeWorkers.toString());
    this.move(target, cmd, now);
    return "";
  }

  private denied(cmd: string, why: string): string {
    this.log.system("lifecycle denied action=" + cmd + " state=" + this.state + " reason=" + why);
    this.trace.emit(WARN, CAT_LIFECYCLE, "denied action=" + (why == "invalid-command" ? "unknown" : cmd) + " state=" + this.state + " reason=" + why);
    return why;
  }

  gate(g: i32): bool {
    const s = this.state;
    if (s == ONLINE || s == DEGRADED) return true;
    if (s == DRAINING) return (DRAINING_GATES & ((<u32>1) << <u32>g)) != 0;
    return false;
  }
}

/** Something that knows how many workers hold resources (the drain/quiesce/reset check). */
export abstract class WorkerCount {
  abstract active(): i32;
}

export class LifecycleCtl extends CtlFile {
  constructor(private lc: Lifecycle, private workers: WorkerCount) {
    super("ctl");
  }

  append(line: string, who: Caller): NsError | null {
    const why = this.lc.command(line.trim(), this.workers.active(), now_ms());
    if (why.length == 0) return null;
    return new NsError(E_LIFECYCLE_DENIED, why + " state=" + this.lc.state);
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

/** /proc/lifecycle/{state,reason,since} and /queen/lifecycle/ctl. */
export class LifecycleProvider extends Provider {
  constructor(private lc: Lifecycle, private outstanding: WorkerCount) {
    super();
  }

  mount(root: Dir, views: RoleViews): void {
    const p = dirAt(root, "/proc/lifecycle");
    p.add(new ViewFile<Lifecycle>("state", this.lc, (l: Lifecycle): string[] => ["state=" + l.state]));
    p.add(new ViewFile<Lifecycle>("reason", this.lc, (l: Lifecycle): string[] => ["reason=" + l.reason]));
    p.add(new ViewFile<Lifecycle>("since", this.lc, (l: Lifecycle): string[] => ["since_ms=" + l.sinceMs.toString()]));
    dirAt(root, "/queen/lifecycle").add(new LifecycleCtl(this.lc, this.outstanding));
  }
}
