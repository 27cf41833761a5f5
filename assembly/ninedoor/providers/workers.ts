// Workers: bookkeeping records with budgets and a telemetry ring each, created and removed
// through /queen/ctl. Heartbeat workers append a record every heartbeat interval until a
// budget (ticks, ops, ttl) runs out; then they disappear and the log says why.

import { LineRing } from "../../text/line_ring";
import { E_BUDGET, E_BUFFER_FULL, E_NOT_FOUND } from "../../generated/protocol";
import {
  SHARDING_LEGACY_WORKER_ALIAS,
  SHARDING_SHARD_BITS,
  WORKERS_HEARTBEAT_MS,
  WORKERS_MAX,
  WORKERS_RECORD_MAX,
  WORKERS_RING_BYTES,
} from "../../generated/manifest";
import { sha256Hex } from "../../crypto/sha256";
import { LogFile } from "../files";
import { CAT_WORKERS, INFO, Trace } from "../../trace/trace";
import { WorkerCount } from "./lifecycle";
import { Caller, Dir, ERR_DENIED, F_CURSOR, File, MODE_AO, Node, NsError } from "../node";
import { RoleViews, VIEW_READ, VIEW_WRITE } from "../access";
import { Provider } from "../devtab";

export const KIND_HEARTBEAT = "heartbeat";
export const KIND_GPU = "gpu";

/** A worker's telemetry: bounded by bytes (`workers.ring_bytes`), the oldest records go first. */
export class TelemetryRing extends LineRing {
  /** Appends; true if older records were dropped to make room. */
  add(line: string): bool {
    return this.push(line) > 0;
  }
}

export class Worker {
  ring: TelemetryRing = new TelemetryRing(WORKERS_RING_BYTES);
  beats: u64 = 0;
  ops: u64 = 0;
  lastBeat: u64;

  constructor(
    public id: string,
    public kind: string,
    public label: string,
    public ticks: u64, // heartbeat budget; 0 = unbounded
    public opsBudget: u64, // telemetry records allowed; 0 = unbounded
    public expiresAt: u64, // 0 = no ttl
    public spawnedAt: u64,
    public detail: string, // the lease line for GPU workers
  ) {
    this.lastBeat = spawnedAt;
  }
}

/** `sha256(id)[0] >> (8 - shard_bits)` as two lower-case hex digits. */
export function shardLabel(id: string): string {
  const first = <u32>I32.parseInt(sha256Hex(id).substring(0, 2), 16);
  const v = SHARDING_SHARD_BITS == 0 ? 0 : first >> (8 - <u32>SHARDING_SHARD_BITS);
  return (v < 16 ? "0" : "") + v.toString(16);
}

export class WorkerTable extends WorkerCount {
  list: Worker[] = [];
  private nextId: i32 = 1;

  constructor(private log: LogFile, private trace: Trace) {
    super();
  }

  active(): i32 {
    return this.list.length;
  }

  find(id: string): Worker | null {
    for (let i = 0; i < this.list.length; i++) if (this.list[i].id == id) return this.list[i];
    return null;
  }

  spawn(kind: string, ticks: u64, ops: u64, ttlS: u64, detail: string, now: u64): Worker | null {
    if (this.list.length >= WORKERS_MAX) return null;
    const id = "worker-" + this.nextId.toString();
    this.nextId++;
    const w = new Worker(id, kind, shardLabel(id), ticks, ops, ttlS > 0 ? now + ttlS * 1000 : 0, now, detail);
    this.list.push(w);
    this.log.system("worker spawn id=" + id + " kind=" + kind + " shard=" + w.label);
    this.trace.emit(INFO, CAT_WORKERS, "spawn id=" + id + " kind=" + kind + " shard=" + w.label);
    return w;
  }

  remove(id: string, reason: string): bool {
    for (let i = 0; i < this.list.length; i++) {
      if (this.list[i].id == id) {
        this.list.splice(i, 1);
        this.log.system("worker exit id=" + id + " reason=" + reason);
        this.trace.emit(INFO, CAT_WORKERS, "exit id=" + id + " reason=" + reason);
        return true;
      }
    }
    return false;
  }

  /** Appends one record to a worker's ring, counting it against the ops budget. */
  record(w: Worker, line: string): NsError | null {
    if (String.UTF8.byteLength(line) > WORKERS_RECORD_MAX) return new NsError(E_BUFFER_FULL, "record exceeds " + WORKERS_RECORD_MAX.toString() + " bytes");
    if (w.opsBudget > 0 && w.ops >= w.opsBudget) return new NsError(E_BUDGET, "ops budget exhausted");
    w.ops++;
    if (w.ring.add(line)) this.log.system("telemetry ring wrap worker=" + w.id + " wraps=" + w.ring.wraps.toString());
    return null;
  }

  /** Heartbeats and expiry; called on every core tick. */
  tick(now: u64): void {
    for (let i = this.list.length - 1; i >= 0; i--) {
      const w = this.list[i];
      if (w.expiresAt != 0 && now >= w.expiresAt) {
        this.remove(w.id, "ttl-expired");
        continue;
      }
      if (w.kind != KIND_HEARTBEAT || now - w.lastBeat < <u64>WORKERS_HEARTBEAT_MS) continue;
      w.lastBeat = now;
      w.beats++;
      if (this.record(w, '{"tick":' + w.beats.toString() + ',"ts_ms":' + now.toString() + "}") != null) {
        this.remove(w.id, "ops-exhausted");
        continue;
      }
      if (w.ticks > 0 && w.beats >= w.ticks) this.remove(w.id, "ticks-exhausted");
    }
  }
}

/** /shard/<label>/worker/<id>/telemetry and /worker/<id>/telemetry. */
export class TelemetryFile extends File {
  constructor(private table: WorkerTable, private w: Worker) {
    super("telemetry", MODE_AO, F_CURSOR); // data, not control: neither journalled nor traced
  }

  read(): string[] {
    return this.w.ring.lines;
  }

  append(line: string, who: Caller): NsError | null {
    // The queen, or the worker itself (a worker session's subject is its id).
    if (who.role != "queen" && who.subject != this.w.id) return ERR_DENIED;
    if (this.table.find(this.w.id) == null) return new NsError(E_NOT_FOUND, "worker " + this.w.id + " not found");
    return this.table.record(this.w, line);
  }
}

class WorkerNode extends Dir {
  constructor(table: WorkerTable, w: Worker) {
    super(w.id);
    this.children.push(new TelemetryFile(table, w));
  }
}

/** Lists the workers of one shard label (or all, for the legacy /worker alias). */
export class WorkerListDir extends Dir {
  constructor(private table: WorkerTable, private label: string) {
    super("worker");
  }

  entries(): Node[] {
    const out: Node[] = [];
    const ids: string[] = [];
    for (let i = 0; i < this.table.list.length; i++) {
      const w = this.table.list[i];
      if (this.label.length == 0 || w.label == this.label) ids.push(w.id);
    }
    ids.sort(); // lexicographic, like every listing
    for (let i = 0; i < ids.length; i++) out.push(new WorkerNode(this.table, this.table.find(ids[i])!));
    return out;
  }

  find(name: string): Node | null {
    const w = this.table.find(name);
    if (w == null || (this.label.length > 0 && w.label != this.label)) return null;
    return new WorkerNode(this.table, w);
  }
}

class ShardLabelDir extends Dir {
  constructor(table: WorkerTable, label: string) {
    super(label);
    this.children.push(new WorkerListDir(table, label));
  }
}

/** /shard: the labels that currently hold workers. */
export class ShardDir extends Dir {
  constructor(private table: WorkerTable) {
    super("shard");
  }

  entries(): Node[] {
    const labels: string[] = [];
    for (let i = 0; i < this.table.list.length; i++) {
      const l = this.table.list[i].label;
      if (!labels.includes(l)) labels.push(l);
    }
    labels.sort();
    const out: Node[] = [];
    for (let i = 0; i < labels.length; i++) out.push(new ShardLabelDir(this.table, labels[i]));
    return out;
  }

  find(name: string): Node | null {
    for (let i = 0; i < this.table.list.length; i++) {
      if (this.table.list[i].label == name) return new ShardLabelDir(this.table, name);
    }
    return null;
  }
}

export const LEGACY_ALIAS: bool = SHARDING_LEGACY_WORKER_ALIAS != 0;

/** /shard (and the legacy /worker): worker records, their heartbeats and expiry. */
export class WorkersProvider extends Provider {
  constructor(private table: WorkerTable) {
    super();
  }

  mount(root: Dir, views: RoleViews): void {
    root.add(new ShardDir(this.table));
    if (LEGACY_ALIAS) root.add(new WorkerListDir(this.table, ""));
    // A worker reads and appends its own telemetry, under either name.
    const own = ["worker-heartbeat", "worker-gpu"];
    views.shardOf = shardLabel;
    views.grant(own, VIEW_READ, "/shard/{shard}/worker/{s}/telemetry");
    views.grant(own, VIEW_WRITE, "/shard/{shard}/worker/{s}/telemetry");
    views.grant(own, VIEW_READ, "/worker/{s}/telemetry");
    views.grant(own, VIEW_WRITE, "/worker/{s}/telemetry");
  }

  ticks(): bool {
    return true;
  }

  tick(now: u64): void {
    this.table.tick(now);
  }
}
