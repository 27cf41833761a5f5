// /queen/ctl: one JSON object per append, strictly checked (unknown fields and wrong types are
// refused, nothing is half-applied): spawn heartbeat / gpu, kill, bind, mount.

import {
  E_BUFFER_FULL, E_INVALID_PATH, E_LIFECYCLE_DENIED, E_NOT_FOUND, E_WORKER_LIMIT, QUEEN_CTL_MAX_BINDS, QUEEN_CTL_MEM_MB_MAX,
  QUEEN_CTL_OPS_MAX, QUEEN_CTL_PRIORITY_MAX, QUEEN_CTL_STREAMS_MAX, QUEEN_CTL_TICKS_MAX, QUEEN_CTL_TTL_S_MAX,
} from "../../generated/protocol";
import { J_STRING } from "../../json/json";
import { now_ms } from "../../platform/abi";
import { bad, CtlFile, Fields } from "../ctl";
import { LogFile } from "../files";
import { GATE_NEW_WORK, Lifecycle } from "./lifecycle";
import { Caller, Dir, NsError } from "../node";
import { RoleViews } from "../access";
import { dirAt, Provider } from "../devtab";
import { checkPath, PATH_EXACT } from "../path";
import { KIND_GPU, KIND_HEARTBEAT, WorkerTable } from "./workers";
import { GpuTable } from "./gpu";
import { GPU_GPU_ID_MAX, WORKERS_MAX } from "../../generated/manifest";

export const MAX_BINDS: i32 = QUEEN_CTL_MAX_BINDS;

export class Bind {
  constructor(public from: string, public to: string) {}
}

export class Mount {
  constructor(public service: string, public at: string) {}
}

export class QueenCtl extends CtlFile {
  binds: Bind[] = [];
  mounts: Mount[] = [];
  journal: string[] = [];
  gpus: GpuTable | null = null; // set by the namespace: a gpu spawn takes a lease on one of its GPUs

  constructor(
    private log: LogFile,
    private workers: WorkerTable,
    private lifecycle: Lifecycle,
    private maxJournal: i32,
  ) {
    super("ctl");
  }

  read(): string[] {
    return this.journal;
  }

  append(line: string, who: Caller): NsError | null {
    const f = Fields.of(line, []);
    if (f.ok && f.keys.length == 0) f.fail("expected a JSON object");
    if (!f.ok) return f.error();
    const verb = f.keys[0];
    let err: NsError | null = null;
    if (verb == "spawn") err = this.spawn(f);
    else if (verb == "kill") err = this.kill(f);
    else if (verb == "bind") err = this.bind(f);
    else if (verb == "mount") err = this.mount(f);
    else return bad("unknown command " + verb);
    if (err != null) return err;
    if (this.journal.length >= this.maxJournal) this.journal.shift();
    this.journal.push(line.trim());
    this.log.system("queen ctl accepted role=" + who.role + " payload=" + line.trim());
    return null;
  }

  private spawn(f: Fields): NsError | null {
    const kind = f.obj.get("spawn")!;
    if (kind.kind != J_STRING) return bad("spawn must be a string");
    let ticks: i64 = 0;
    let ttl: i64 = 0;
    let detail = "";
    let gpu = "";
    let mem: i64 = 0, streams: i64 = 0, prio: i64 = 0, leaseTtl: i64 = 0;
    if (kind.s == KIND_HEARTBEAT) {
      f.only(["spawn", "ticks", "budget"], "");
      ticks = f.need("ticks").int("ticks", 0, QUEEN_CTL_TICKS_MAX);
    } else if (kind.s == KIND_GPU) {
      f.only(["spawn", "lease", "budget"], "");
      const lease = f.object("lease", ["gpu_id", "mem_mb", "streams", "ttl_s", "priority"], true);
      gpu = lease.need("gpu_id").token("gpu_id", GPU_GPU_ID_MAX, "._:-");
      // A lease holds something: memory, streams and a ttl of at least 1 (the reference's rule).
      mem = lease.need("mem_mb").int("mem_mb", 1, QUEEN_CTL_MEM_MB_MAX);
      streams = lease.need("streams").int("streams", 1, QUEEN_CTL_STREAMS_MAX);
      ttl = lease.need("ttl_s").int("ttl_s", 1, QUEEN_CTL_TTL_S_MAX);
      leaseTtl = ttl;
      prio = lease.optInt("priority", 0, QUEEN_CTL_PRIORITY_MAX, 0);
      detail = "gpu_id=" + gpu + " mem_mb=" + mem.toString() + " streams=" + streams.toString() + " priority=" + prio.toString();
    } else {
      return bad("spawn must be heartbeat or gpu");
    }
    const budget = f.object("budget", ["ttl_s", "ops"], false);
    const bttl = budget.optInt("ttl_s", 0, QUEEN_CTL_TTL_S_MAX, 0);
    if (bttl > 0 && (ttl == 0 || bttl < ttl)) ttl = bttl;
    const ops = budget.optInt("ops", 0, QUEEN_CTL_OPS_MAX, 0);
    if (!f.ok) return f.error();
    if (!this.lifecycle.gate(GATE_NEW_WORK)) {
      return new NsError(E_LIFECYCLE_DENIED, "gate new-work closed state=" + this.lifecycle.state);
    }
    // Every refusal comes before the worker is made: never a worker without its lease.
    if (kind.s == KIND_GPU) {
      if (this.gpus == null) return new NsError(E_NOT_FOUND, "gpu " + gpu + " not found");
      const held = this.gpus!.check(gpu, mem);
      if (held != null) return held;
    }
    if (this.workers.active() >= WORKERS_MAX) return new NsError(E_WORKER_LIMIT, "worker limit reached");
    const w = this.workers.spawn(kind.s, <u64>ticks, <u64>ops, <u64>ttl, detail, now_ms());
    if (w == null) return new NsError(E_WORKER_LIMIT, "worker limit reached");
    if (kind.s == KIND_GPU) this.gpus!.grant(gpu, w, mem, streams, leaseTtl, prio);
    return null;
  }

  private kill(f: Fields): NsError | null {
    if (f.keys.length != 1) return bad("kill takes no other field");
    const v = f.obj.get("kill")!;
    if (v.kind != J_STRING || v.s.length == 0) return bad("kill must be a worker id");
    if (!this.workers.remove(v.s, "killed")) return new NsError(E_NOT_FOUND, "worker " + v.s + " not found");
    return null;
  }

  private bind(f: Fields): NsError | null {
    if (f.keys.length != 1) return bad("bind takes no other field");
    const b = f.object("bind", ["from", "to"], true);
    const from = b.str("from");
    const to = b.str("to");
    if (!f.ok) return f.error();
    if (checkPath(from, PATH_EXACT) != null || checkPath(to, PATH_EXACT) != null) return new NsError(E_INVALID_PATH, "invalid path");
    if (this.binds.length >= MAX_BINDS) return new NsError(E_BUFFER_FULL, "at most " + MAX_BINDS.toString() + " binds");
    this.binds.push(new Bind(from, to));
    return null;
  }

  private mount(f: Fields): NsError | null {
    if (f.keys.length != 1) return bad("mount takes no other field");
    const m = f.object("mount", ["service", "at"], true);
    const service = m.str("service");
    const at = m.str("at");
    if (!f.ok) return f.error();
    if (checkPath(at, PATH_EXACT) != null) return new NsError(E_INVALID_PATH, "invalid path");
    if (this.mounts.length >= MAX_BINDS) return new NsError(E_BUFFER_FULL, "at most " + MAX_BINDS.toString() + " mounts");
    this.mounts.push(new Mount(service, at));
    return null;
  }

  /** Rewrites a path through the binds (longest `to` prefix wins). */
  resolveBinds(path: string): string {
    let best = -1;
    for (let i = 0; i < this.binds.length; i++) {
      const to = this.binds[i].to;
      if ((path == to || path.startsWith(to + "/")) && (best < 0 || to.length > this.binds[best].to.length)) best = i;
    }
    if (best < 0) return path;
    return this.binds[best].from + path.substring(this.binds[best].to.length);
  }
}

/** /queen/ctl. */
export class QueenCtlProvider extends Provider {
  constructor(private ctl: QueenCtl) {
    super();
  }

  mount(root: Dir, views: RoleViews): void {
    dirAt(root, "/queen").add(this.ctl);
  }
}
