// /queen/ctl: one JSON object per append, strictly checked (unknown fields and wrong types are
// refused, nothing is half-applied): spawn heartbeat / gpu, kill, bind, mount.

import { E_BUFFER_FULL, E_INVALID_PATH, E_INVALID_PAYLOAD, E_LIFECYCLE_DENIED, E_NOT_FOUND, E_WORKER_LIMIT } from "../../generated/protocol";
import {
  QUEEN_CTL_MAX_BINDS, QUEEN_CTL_MEM_MB_MAX, QUEEN_CTL_OPS_MAX, QUEEN_CTL_PRIORITY_MAX, QUEEN_CTL_STREAMS_MAX, QUEEN_CTL_TICKS_MAX,
  QUEEN_CTL_TTL_S_MAX,
} from "../../generated/protocol";
import { J_INT, J_OBJECT, J_STRING, JValue, parseJson, unknownKey } from "../../json/json";
import { now_ms } from "../../platform/abi";
import { LogFile } from "../files";
import { GATE_NEW_WORK, Lifecycle } from "./lifecycle";
import { Caller, ERR_DENIED, File, MODE_QUEEN_AO, NsError } from "../node";
import { KIND_GPU, KIND_HEARTBEAT, WorkerTable } from "./workers";

export const MAX_BINDS: i32 = QUEEN_CTL_MAX_BINDS;

export class Bind {
  constructor(public from: string, public to: string) {}
}

export class Mount {
  constructor(public service: string, public at: string) {}
}

function bad(why: string): NsError {
  return new NsError(E_INVALID_PAYLOAD, "invalid payload: " + why);
}

/** A non-negative integer field, or -1 with `err` set. */
function uintField(o: JValue, key: string, required: bool, max: i64, err: string[]): i64 {
  const v = o.get(key);
  if (v == null) {
    if (required) err.push("missing " + key);
    return required ? -1 : 0;
  }
  if (v.kind != J_INT || v.n < 0 || v.n > max) {
    err.push(key + " must be an integer in 0.." + max.toString());
    return -1;
  }
  return v.n;
}

function strField(o: JValue, key: string, err: string[]): string {
  const v = o.get(key);
  if (v == null || v.kind != J_STRING || v.s.length == 0) {
    err.push(key + " must be a non-empty string");
    return "";
  }
  return v.s;
}

function objField(o: JValue, key: string, required: bool, allowed: string[], err: string[]): JValue | null {
  const v = o.get(key);
  if (v == null) {
    if (required) err.push("missing " + key);
    return null;
  }
  if (v.kind != J_OBJECT) {
    err.push(key + " must be an object");
    return null;
  }
  const u = unknownKey(v, allowed);
  if (u.length > 0) err.push("unknown field " + key + "." + u);
  return v;
}

/** Path arguments of bind/mount: absolute, no `.`/`..`, no empty components. */
export function plainPath(p: string): bool {
  if (p.length == 0 || p.charCodeAt(0) != 0x2f || p.length > 96) return false;
  const parts = p.split("/");
  for (let i = 1; i < parts.length; i++) {
    const c = parts[i];
    if (c.length == 0 || c == "." || c == ".." || c.indexOf("\0") >= 0) return false;
  }
  return true;
}

export class QueenCtl extends File {
  binds: Bind[] = [];
  mounts: Mount[] = [];
  journal: string[] = [];

  constructor(
    private log: LogFile,
    private workers: WorkerTable,
    private lifecycle: Lifecycle,
    private maxJournal: i32,
  ) {
    super("ctl", MODE_QUEEN_AO);
  }

  read(): string[] {
    return this.journal;
  }

  append(line: string, who: Caller): NsError | null {
    if (who.role != "queen") return ERR_DENIED;
    const parsed = parseJson(line.trim());
    if (parsed.value == null) return bad(parsed.error);
    const o = parsed.value!;
    if (o.kind != J_OBJECT || o.keys.length == 0) return bad("expected a JSON object");
    const verb = o.keys[0];
    let err: NsError | null = null;
    if (verb == "spawn") err = this.spawn(o);
    else if (verb == "kill") err = this.kill(o);
    else if (verb == "bind") err = this.bind(o);
    else if (verb == "mount") err = this.mount(o);
    else return bad("unknown command " + verb);
    if (err != null) return err;
    if (this.journal.length >= this.maxJournal) this.journal.shift();
    this.journal.push(line.trim());
    this.log.system("queen ctl accepted role=" + who.role + " payload=" + line.trim());
    return null;
  }

  private spawn(o: JValue): NsError | null {
    const kind = o.get("spawn")!;
    if (kind.kind != J_STRING) return bad("spawn must be a string");
    const err: string[] = [];
    let ticks: i64 = 0;
    let ttl: i64 = 0;
    let ops: i64 = 0;
    let detail = "";
    if (kind.s == KIND_HEARTBEAT) {
      const u = unknownKey(o, ["spawn", "ticks", "budget"]);
      if (u.length > 0) return bad("unknown field " + u);
      ticks = uintField(o, "ticks", true, QUEEN_CTL_TICKS_MAX, err);
    } else if (kind.s == KIND_GPU) {
      const u = unknownKey(o, ["spawn", "lease", "budget"]);
      if (u.length > 0) return bad("unknown field " + u);
      const lease = objField(o, "lease", true, ["gpu_id", "mem_mb", "streams", "ttl_s", "priority"], err);
      if (lease != null) {
        const gpu = strField(lease, "gpu_id", err);
        const mem = uintField(lease, "mem_mb", true, QUEEN_CTL_MEM_MB_MAX, err);
        const streams = uintField(lease, "streams", true, QUEEN_CTL_STREAMS_MAX, err);
        ttl = uintField(lease, "ttl_s", true, QUEEN_CTL_TTL_S_MAX, err);
        const prio = uintField(lease, "priority", false, QUEEN_CTL_PRIORITY_MAX, err);
        detail = "gpu_id=" + gpu + " mem_mb=" + mem.toString() + " streams=" + streams.toString() + " priority=" + prio.toString();
      }
    } else {
      return bad("spawn must be heartbeat or gpu");
    }
    const budget = objField(o, "budget", false, ["ttl_s", "ops"], err);
    if (budget != null) {
      const bttl = uintField(budget, "ttl_s", false, QUEEN_CTL_TTL_S_MAX, err);
      if (bttl > 0 && (ttl == 0 || bttl < ttl)) ttl = bttl;
      ops = uintField(budget, "ops", false, QUEEN_CTL_OPS_MAX, err);
    }
    if (err.length > 0) return bad(err[0]);
    if (!this.lifecycle.gate(GATE_NEW_WORK)) {
      return new NsError(E_LIFECYCLE_DENIED, "gate new-work closed state=" + this.lifecycle.state);
    }
    const w = this.workers.spawn(kind.s, <u64>ticks, <u64>ops, <u64>ttl, detail, now_ms());
    if (w == null) return new NsError(E_WORKER_LIMIT, "worker limit reached");
    return null;
  }

  private kill(o: JValue): NsError | null {
    if (o.keys.length != 1) return bad("kill takes no other field");
    const v = o.get("kill")!;
    if (v.kind != J_STRING || v.s.length == 0) return bad("kill must be a worker id");
    if (!this.workers.remove(v.s, "killed")) return new NsError(E_NOT_FOUND, "worker " + v.s + " not found");
    return null;
  }

  private bind(o: JValue): NsError | null {
    if (o.keys.length != 1) return bad("bind takes no other field");
    const err: string[] = [];
    const b = objField(o, "bind", true, ["from", "to"], err);
    if (b == null || err.length > 0) return bad(err.length > 0 ? err[0] : "bind must be an object");
    const from = strField(b, "from", err);
    const to = strField(b, "to", err);
    if (err.length > 0) return bad(err[0]);
    if (!plainPath(from) || !plainPath(to)) return new NsError(E_INVALID_PATH, "invalid path");
    if (this.binds.length >= MAX_BINDS) return new NsError(E_BUFFER_FULL, "at most " + MAX_BINDS.toString() + " binds");
    this.binds.push(new Bind(from, to));
    return null;
  }

  private mount(o: JValue): NsError | null {
    if (o.keys.length != 1) return bad("mount takes no other field");
    const err: string[] = [];
    const m = objField(o, "mount", true, ["service", "at"], err);
    if (m == null || err.length > 0) return bad(err.length > 0 ? err[0] : "mount must be an object");
    const service = strField(m, "service", err);
    const at = strField(m, "at", err);
    if (err.length > 0) return bad(err[0]);
    if (!plainPath(at)) return new NsError(E_INVALID_PATH, "invalid path");
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
