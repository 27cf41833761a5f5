// The namespace: one tree of providers (the devtab below) and the path rules every surface
// (console verbs, Secure9P) goes through. Lookups validate the whole path before walking it;
// appends are checked against the file's mode once, here, then gated, journalled and traced as
// the file's flags say.

import { LIFECYCLE_AUTO_ONLINE, LIFECYCLE_INITIAL_STATE, NAMESPACE_CTL_JOURNAL_LINES, NAMESPACE_QUEEN_LOG_LINES } from "../generated/manifest";
import { RoleViews } from "./access";
import { Devtab } from "./devtab";
import { LogFile } from "./files";
import { Caller, Dir, ERR_DENIED, ERR_IS_DIR, ERR_NOT_FOUND, F_CONTROL, F_JOURNALLED, F_TRACED, File, MODE_QUEEN_AO, MODE_RO, Node, NsError, SYSTEM_ROLE } from "./node";
import { checkPath } from "./path";
import { AuditProvider, Journal } from "./providers/audit";
import { ExportProvider, Exports } from "./providers/export";
import { Host, HostProvider } from "./providers/host";
import { KmesgProvider } from "./providers/kmesg";
import { LeaseProvider, Leases } from "./providers/lease";
import { Lifecycle, LifecycleProvider, Outstanding } from "./providers/lifecycle";
import { LogProvider } from "./providers/log";
import { Policy, PolicyProvider } from "./providers/policy";
import { PolicyCtlProvider } from "./providers/policy_ctl";
import { ProcProvider } from "./providers/proc";
import { QueenCtl, QueenCtlProvider } from "./providers/queen_ctl";
import { ReplayProvider, Scratch, ScratchFactory } from "./providers/replay";
import { ScheduleProvider, Scheduler } from "./providers/schedule";
import { SidecarViews } from "./providers/sidecars";
import { TelemetryProvider, TelemetryStore } from "./providers/telemetry";
import { TraceProvider } from "./providers/trace";
import { Updates, UpdatesProvider } from "./providers/updates";
import { GpuLeaseLines, GpuProvider, GpuTable } from "./providers/gpu";
import { WorkersProvider, WorkerTable } from "./providers/workers";
import { CAT_NS, INFO, Trace, WARN } from "../trace/trace";

/** Result of a lookup: exactly one of `node` / `error` is set. */
export class Lookup {
  constructor(public node: Node | null, public error: NsError | null) {}
}

export class Namespace {
  root: Dir = new Dir("");
  trace: Trace = new Trace(); // per namespace: a replay's scratch namespace has its own
  queenLog: LogFile = new LogFile("queen.log", NAMESPACE_QUEEN_LOG_LINES);
  lifecycle: Lifecycle = new Lifecycle(this.queenLog, this.trace);
  workers: WorkerTable = new WorkerTable(this.queenLog, this.trace);
  ctl: QueenCtl = new QueenCtl(this.queenLog, this.workers, this.lifecycle, NAMESPACE_CTL_JOURNAL_LINES);
  telemetry: TelemetryStore = new TelemetryStore(this.queenLog, this.lifecycle);
  journal: Journal = new Journal();
  policy: Policy = new Policy();
  scheduler: Scheduler = new Scheduler(this.queenLog);
  leases: Leases = new Leases(this.queenLog);
  exports: Exports = new Exports(this.queenLog, this.journal);
  updates: Updates = new Updates(this.queenLog);
  gpus: GpuTable = new GpuTable(this.queenLog, this.workers, this.lifecycle);
  host: Host = new Host(this.queenLog, this.lifecycle);

  views: RoleViews = new RoleViews();
  devtab: Devtab = new Devtab([]); // replaced by the table below

  constructor(bootLines: string[], now: u64) {
    this.lifecycle.state = LIFECYCLE_INITIAL_STATE;
    this.telemetry.sink = this.exports;
    this.ctl.gpus = this.gpus;
    this.leases.sources.push(new GpuLeaseLines(this.gpus));
    // The provider table: every mount of the tree, in one place (order does not matter:
    // directories keep their children sorted). Providers that keep time are ticked.
    this.devtab = new Devtab([
      new ProcProvider(bootLines),
      new LifecycleProvider(this.lifecycle, new Outstanding(this.workers, this.leases)),
      new LogProvider(this.queenLog),
      new QueenCtlProvider(this.ctl),
      new WorkersProvider(this.workers),
      new ScheduleProvider(this.scheduler),
      new LeaseProvider(this.leases),
      new TelemetryProvider(this.telemetry),
      new ExportProvider(this.exports),
      new AuditProvider(this.journal, this.policy.decisions),
      new PolicyProvider(this.policy),
      new PolicyCtlProvider(this.policy, this.queenLog),
      new ReplayProvider(this.journal, new FreshNamespace()),
      new TraceProvider(this.trace),
      new KmesgProvider(),
      new SidecarViews(),
      new UpdatesProvider(this.updates),
      new GpuProvider(this.gpus),
      new HostProvider(this.host),
    ]);
    this.devtab.mount(this.root, this.views);
    if (LIFECYCLE_AUTO_ONLINE != 0) this.lifecycle.bootComplete(now);
  }

  tick(now: u64): void {
    this.devtab.tick(now);
  }

  lookup(path: string): Lookup {
    const err = checkPath(path);
    if (err != null) return new Lookup(null, err);
    const real = this.ctl.resolveBinds(path);
    let node: Node = this.root;
    const parts = real.split("/");
    for (let i = 1; i < parts.length; i++) {
      const name = parts[i];
      if (name.length == 0) continue; // the trailing slash of "/proc/"
      if (!node.isDir()) return new Lookup(null, ERR_NOT_FOUND);
      const next = (node as Dir).find(name);
      if (next == null) return new Lookup(null, ERR_NOT_FOUND);
      const gone = next.unavailable();
      if (gone != null) return new Lookup(null, gone);
      node = next;
    }
    return new Lookup(node, null);
  }

  lookupFile(path: string): Lookup {
    const l = this.lookup(path);
    if (l.node != null && l.node!.isDir()) return new Lookup(null, ERR_IS_DIR);
    return l;
  }

  /** Appends one record to a file, enforcing its mode; every attempt is journalled and traced as the file's flags say. */
  append(path: string, payload: string, who: Caller): NsError | null {
    const l = this.lookupFile(path);
    const f = l.node != null ? (l.node as File) : null;
    const err = f == null ? l.error : this.write(f, path, payload, who);
    const flags = f == null ? F_CONTROL : f.flags; // a write to no file is a control attempt
    if ((flags & F_JOURNALLED) != 0) this.journal.record(path, payload, who, err);
    if ((flags & F_TRACED) != 0) this.trace.emit(err == null ? INFO : WARN, CAT_NS, "write path=" + path + " role=" + who.role + (err == null ? " outcome=ok" : " outcome=err error=" + err.reason + "/" + err.detail));
    return err;
  }

  private write(f: File, path: string, payload: string, who: Caller): NsError | null {
    return this.gated(f, path, payload, 0, 0, 0, who);
  }

  /**
   * Raw bytes to a file that takes them (Secure9P's binary writes to /updates). Such files are data,
   * neither journalled nor traced, so only the write gate applies.
   */
  appendBytes(path: string, off: u64, p: usize, n: i32, who: Caller): NsError | null {
    const l = this.lookupFile(path);
    if (l.node == null) return l.error;
    const f = l.node as File;
    if (!f.takesBytes()) return ERR_DENIED;
    return this.gated(f, path, "", off, p, n, who);
  }

  /** The one write gate: mode, queen-only, then policy; text when `p` is 0, else bytes. */
  private gated(f: File, path: string, payload: string, off: u64, p: usize, n: i32, who: Caller): NsError | null {
    if (f.mode == MODE_RO) return ERR_DENIED;
    // Queen-only files: the queen, or the core itself (replayed ttl expiries of export windows).
    if (f.mode == MODE_QUEEN_AO && who.role != "queen" && who.role != SYSTEM_ROLE) return ERR_DENIED;
    // Policy gate last; the approval is used up only by a write that actually happens.
    const real = this.ctl.resolveBinds(path);
    const approval = this.policy.gate(real, who);
    if (approval == null) return ERR_DENIED;
    const err = p == 0 ? f.append(payload, who) : f.appendBytes(off, p, n, who);
    if (err == null) this.policy.consume(approval, real, who);
    return err;
  }
}

/** Replay's scratch state: a namespace freshly booted from the same manifest. */
class ScratchNamespace extends Scratch {
  constructor(private ns: Namespace) {
    super();
  }
  apply(path: string, payload: string, who: Caller): NsError | null {
    return this.ns.append(path, payload, who);
  }
}

class FreshNamespace extends ScratchFactory {
  make(): Scratch {
    return new ScratchNamespace(new Namespace([], 0));
  }
}
