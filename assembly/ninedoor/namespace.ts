// The namespace: one tree of providers and the path rules every surface (console verbs now,
// Secure9P later) goes through. Lookups validate the whole path before walking it.

import {
  CAS_ENABLE,
  LIFECYCLE_AUTO_ONLINE,
  LIFECYCLE_INITIAL_STATE,
  MANIFEST_SHA256,
  NAMESPACE_CTL_JOURNAL_LINES,
  NAMESPACE_QUEEN_LOG_LINES,
  PROFILE_NAME,
  ROOT_TASK_SCHEMA,
} from "../generated/manifest";
import { LogFile, StaticFile } from "./files";
import { PROC_TEST_FILES, PROC_TEST_TEXTS } from "../generated/proc_tests";
import { Lifecycle, LifecycleCtl, LifecycleField } from "./lifecycle";
import { Caller, Dir, ERR_DENIED, ERR_INVALID_PATH, ERR_IS_DIR, File, MODE_RO, Node, NsError } from "./node";
import { checkPath } from "./path";
import { IngestFile, MemoryFile, PressureFile, RootFile, SessionActiveFile } from "./proc";
import { QueenCtl } from "./queen_ctl";
import { LEGACY_ALIAS, ShardDir, WorkerListDir, WorkerTable } from "./workers";
import { TelemetryDir, TelemetryStore } from "./telemetry";
import { LeaseCtl, Leases, LeaseView, Outstanding, ScheduleCtl, Scheduler, ScheduleView } from "./schedule";
import { ActionsDir, DecisionsFile, Policy, RulesFile } from "./policy";
import { PolicyCtl, PreflightDir, RevisionsFile } from "./policy_ctl";
import { ExportDir, Exports } from "./export";
import { ExportFile, Journal, JournalFile, ReplayCtl, ReplayState, ReplayStatus, Scratch, ScratchFactory } from "./audit";
import { CAT_NS, INFO, Trace, TraceCtl, TraceEvents, TraceStatus, WARN } from "../trace/trace";
import { KmesgFile } from "../trace/kmesg";
import { Updates, UpdatesDir } from "./providers/updates";

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

  constructor(bootLines: string[], now: u64) {
    this.lifecycle.state = LIFECYCLE_INITIAL_STATE;

    const proc = this.root.add(new Dir("proc"));
    const lines = ["Cohesix boot: root-task online", "manifest.schema=" + ROOT_TASK_SCHEMA, "manifest.sha256=" + MANIFEST_SHA256, "profile=" + PROFILE_NAME];
    for (let i = 0; i < bootLines.length; i++) lines.push(bootLines[i]);
    proc.add(new StaticFile("boot", lines));
    const lc = proc.add(new Dir("lifecycle"));
    for (let i = 0; i < 3; i++) lc.add(new LifecycleField(["state", "reason", "since"][i], this.lifecycle));
    const p9 = proc.add(new Dir("9p")).add(new Dir("session"));
    p9.add(new SessionActiveFile());
    const ingest = proc.add(new Dir("ingest"));
    for (let i = 0; i < 5; i++) ingest.add(new IngestFile(["p50_ms", "p95_ms", "backpressure", "dropped", "queued"][i]));
    const root = proc.add(new Dir("root"));
    for (let i = 0; i < 3; i++) root.add(new RootFile(["reachable", "last_seen_ms", "cut_reason"][i]));
    proc.add(new MemoryFile());
    // The built-in self-tests cohsh's `test` runs (configs/proc_tests/, compiled in); read-only.
    const tests = proc.add(new Dir("tests"));
    for (let i = 0; i < PROC_TEST_FILES.length; i++) {
      const text = PROC_TEST_TEXTS[i];
      const body = text.endsWith("\n") ? text.substring(0, text.length - 1) : text;
      tests.add(new StaticFile(PROC_TEST_FILES[i], body.split("\n")));
    }
    const pr = proc.add(new Dir("pressure"));
    for (let i = 0; i < 4; i++) pr.add(new PressureFile(["busy", "quota", "cut", "policy"][i]));

    this.root.add(new Dir("log")).add(this.queenLog);
    const queen = this.root.add(new Dir("queen"));
    queen.add(this.ctl);
    queen.add(new Dir("lifecycle")).add(new LifecycleCtl(this.lifecycle, new Outstanding(this.workers, this.leases)));
    queen.add(new Dir("schedule")).add(new ScheduleCtl(this.scheduler));
    queen.add(new Dir("lease")).add(new LeaseCtl(this.leases));
    const ps = proc.add(new Dir("schedule"));
    for (let i = 0; i < 3; i++) ps.add(new ScheduleView(["queue", "active", "summary"][i], this.scheduler));
    const pl = proc.add(new Dir("lease"));
    for (let i = 0; i < 2; i++) pl.add(new LeaseView(["active", "summary"][i], this.leases));
    queen.add(new TelemetryDir(this.telemetry));
    queen.add(new ExportDir(this.exports));
    this.telemetry.sink = this.exports;
    this.root.add(new ShardDir(this.workers));
    const audit = this.root.add(new Dir("audit"));
    audit.add(new JournalFile(this.journal));
    audit.add(new ExportFile(this.journal, this.policy.decisions));
    audit.add(new DecisionsFile(this.policy));
    const pol = this.root.add(new Dir("policy"));
    pol.add(new PolicyCtl(this.policy, this.queenLog));
    pol.add(new RulesFile(this.policy));
    pol.add(new RevisionsFile(this.policy));
    pol.add(new PreflightDir(this.policy));
    this.root.add(new ActionsDir(this.policy));
    const replay = this.root.add(new Dir("replay"));
    const rs = new ReplayState();
    replay.add(new ReplayCtl(this.journal, rs, new FreshNamespace()));
    replay.add(new ReplayStatus(rs));
    if (LEGACY_ALIAS) this.root.add(new WorkerListDir(this.workers, ""));
    const trace = this.root.add(new Dir("trace"));
    trace.add(new TraceCtl(this.trace));
    trace.add(new TraceEvents(this.trace));
    trace.add(new TraceStatus(this.trace));
    this.root.add(new KmesgFile());
    if (CAS_ENABLE != 0) this.root.add(new UpdatesDir(this.updates));

    if (LIFECYCLE_AUTO_ONLINE != 0) this.lifecycle.bootComplete(now);
  }

  tick(now: u64): void {
    this.workers.tick(now);
    this.scheduler.tick(now);
    this.leases.tick(now);
    this.exports.tick(now);
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
      if (!node.isDir()) return new Lookup(null, ERR_INVALID_PATH);
      const next = (node as Dir).find(name);
      if (next == null) return new Lookup(null, ERR_INVALID_PATH);
      node = next;
    }
    return new Lookup(node, null);
  }

  lookupFile(path: string): Lookup {
    const l = this.lookup(path);
    if (l.node != null && l.node!.isDir()) return new Lookup(null, ERR_IS_DIR);
    return l;
  }

  /** Appends one record to a file, enforcing its mode; every attempt is journalled. */
  append(path: string, payload: string, who: Caller): NsError | null {
    const err = this.appendUnjournalled(path, payload, who);
    // Replay requests are not themselves replayed; telemetry and update bundles are data, not control.
    const data = path.endsWith("/telemetry") || path.indexOf("/seg/") >= 0 || path.startsWith("/updates/");
    if (!path.startsWith("/replay/") && !data) this.journal.record(path, payload, who, err);
    if (!data) this.trace.emit(err == null ? INFO : WARN, CAT_NS, "write path=" + path + " role=" + who.role + (err == null ? " outcome=ok" : " outcome=err error=" + err.reason + "/" + err.detail));
    return err;
  }

  private appendUnjournalled(path: string, payload: string, who: Caller): NsError | null {
    const l = this.lookupFile(path);
    if (l.error != null) return l.error;
    const f = l.node as File;
    if (f.mode == MODE_RO) return ERR_DENIED;
    // Policy gate last; the approval is used up only by a write that actually happens.
    const real = this.ctl.resolveBinds(path);
    const approval = this.policy.gate(real, who);
    if (approval == null) return ERR_DENIED;
    const err = f.append(payload, who);
    if (err == null) this.policy.consume(approval!, real, who);
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
