// /gpu: GPU nodes, their leases and the model view, published by gpu-bridge-host (docs/GPU.md).
//   /gpu/bridge/ctl       queen, lifecycle gate host-publish: `begin bytes=N sha256=H`, `b64:<chunk>`…, `end`
//   /gpu/bridge/status    state=idle | receiving bytes=N | ok bytes=N sha256=H | err reason=<why> detail=<what>
//   /gpu/<id>/info        the bridge's info JSON          /gpu/<id>/lease   gpu-lease/v1 lines (the core writes them)
//   /gpu/<id>/ctl         LEASE | RELEASE | PRIORITY <n> | RESET, answered OK/ERR with a status line
//   /gpu/<id>/status      JSON lines: ctl answers, lease ends, job lines, coh run's gpu-breadcrumb/v1
//   /gpu/<id>/job         ([gpu] job_enable) simulated QUEUED -> RUNNING -> OK job lifecycle
//   /gpu/models/available/<m>/manifest.toml, /gpu/models/active, /gpu/telemetry/schema.json (after a publish)
// Fixes of the original: a republish keeps the logs and lease of a GPU still present; ctl verbs
// are parsed; a second session's publish while one is being received is refused busy.

import {
  GPU_ACTIVE_MAX_BYTES, GPU_CTL_LOG_BYTES, GPU_ENABLE, GPU_JOB_ENABLE, GPU_JOB_STEP_MS, GPU_LEASE_LOG_BYTES,
  GPU_MOCK_SEED, GPU_MODEL_ID_MAX, GPU_STATUS_BYTES, GPU_STATUS_LINE_MAX,
} from "../../generated/manifest";
import { E_BUSY, E_DENIED, E_INVALID_PATH, E_LIFECYCLE_DENIED, E_NOT_FOUND, QUEEN_CTL_PRIORITY_MAX } from "../../generated/protocol";
import { J_ARRAY, J_INT, J_STRING, JValue } from "../../json/json";
import { jsonString } from "../../json/string";
import { now_ms } from "../../platform/abi";
import { base64Decode } from "../../text/base64";
import { isLowerHex } from "../../text/hex";
import { RoleViews, VIEW_LIST, VIEW_READ, VIEW_WRITE, ViewVar } from "../access";
import { bad, Fields } from "../ctl";
import { Provider } from "../devtab";
import { LogFile } from "../files";
import { Snapshot, SnapModel, validId } from "../gpu_snapshot";
import { Bridge, isDigits, sha256Of } from "../gpu_bridge";
import { Caller, Dir, F_CONTROL, F_DATA, File, MODE_AO, MODE_QUEEN_AO, MODE_RO, Node, NsError } from "../node";
import { GATE_NEW_WORK, GATE_WORKER_JOB, Lifecycle } from "./lifecycle";
import { LeaseSource } from "./lease";
import { TelemetryRing, Worker, WorkerExit, WorkerTable } from "./workers";

const LEASE_SCHEMA = "gpu-lease/v1";

/** The original's pretty info JSON (4-space indent, no trailing newline). */
export function infoJson(id: string, name: string, memMb: i64, sm: i64, driver: string, runtime: string): string {
  return "{\n    \"id\": " + jsonString(id) + ",\n    \"name\": " + jsonString(name) + ",\n    \"memory_mb\": " + memMb.toString() + ",\n    \"sm_count\": " + sm.toString() + ",\n    \"driver_version\": " + jsonString(driver) + ",\n    \"runtime_version\": " + jsonString(runtime) + "\n}";
}

/** A log file's text as lines (no trailing empty line). */
function seedLines(ring: TelemetryRing, text: string): void {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) if (lines[i].length > 0) ring.push(lines[i]);
}

class Job {
  step: i32 = 0; // 0 = QUEUED written, 1 = RUNNING written; OK ends it
  constructor(public id: string, public next: u64) {}
}

export class Gpu {
  ctl: TelemetryRing = new TelemetryRing(GPU_CTL_LOG_BYTES);
  lease: TelemetryRing = new TelemetryRing(GPU_LEASE_LOG_BYTES);
  status: TelemetryRing = new TelemetryRing(GPU_STATUS_BYTES);
  jobs: Job[] = [];
  // The active lease (holder "" = none).
  holder: string = "";
  memMb: i64 = 0;
  streams: i64 = 0;
  ttlS: i64 = 0;
  priority: i64 = 0;

  constructor(public id: string, public info: string, public totalMb: i64) {}

  leaseLine(state: string): string {
    return '{"schema":"' + LEASE_SCHEMA + '","state":"' + state + '","gpu_id":' + jsonString(this.id) + ',"worker_id":' + jsonString(this.holder) +
      ',"mem_mb":' + this.memMb.toString() + ',"streams":' + this.streams.toString() + ',"ttl_s":' + this.ttlS.toString() + ',"priority":' + this.priority.toString() + "}";
  }
}

/** The model: GPUs, leases, the published catalogue and the bridge. */
export class GpuTable {
  gpus: Gpu[] = [];
  models: SnapModel[] = [];
  active: TelemetryRing = new TelemetryRing(GPU_ACTIVE_MAX_BYTES);
  schema: string = "";
  published: bool = false;
  bridge: Bridge;

  constructor(private log: LogFile, private workers: WorkerTable, private lifecycle: Lifecycle) {
    this.bridge = new Bridge(log, lifecycle);
    workers.exits.push(new GpuExits(this));
    if (GPU_ENABLE != 0 && GPU_MOCK_SEED != 0) {
      // The reference's mock inventory, as the seeds have QEMU dev runs show before any bridge.
      this.seed("GPU-0", infoJson("GPU-0", "Mock 4090", 24576, 144, "555.0", "12.4"), 24576);
      this.seed("GPU-1", infoJson("GPU-1", "Mock 4060", 8192, 64, "555.0", "12.4"), 8192);
    }
  }

  private seed(id: string, info: string, mem: i64): void {
    const g = new Gpu(id, info, mem);
    g.ctl.push("LEASE " + id);
    this.gpus.push(g);
  }

  find(id: string): Gpu | null {
    for (let i = 0; i < this.gpus.length; i++) if (this.gpus[i].id == id) return this.gpus[i];
    return null;
  }

  workerOf(g: Gpu): Worker | null {
    return g.holder.length > 0 ? this.workers.find(g.holder) : null;
  }

  heldBy(worker: string): Gpu | null {
    for (let i = 0; i < this.gpus.length; i++) if (this.gpus[i].holder == worker) return this.gpus[i];
    return null;
  }

  // ---- leases (spawn gpu on /queen/ctl) --------------------------------------------------

  /** Why a lease on `id` of `memMb` cannot be granted now, or null. Checked before the worker is made. */
  check(id: string, memMb: i64): NsError | null {
    if (GPU_ENABLE == 0) return new NsError(E_NOT_FOUND, "gpu " + id + " not found ([gpu] enable = 0)");
    const g = this.find(id);
    if (g == null) return new NsError(E_NOT_FOUND, "gpu " + id + " not found");
    if (g.holder.length > 0) return new NsError(E_BUSY, "gpu " + id + " already leased by " + g.holder);
    if (memMb > g.totalMb) return new NsError(E_BUSY, "gpu " + id + " has " + g.totalMb.toString() + " MB; mem_mb " + memMb.toString() + " does not fit");
    return null;
  }

  /** Grants the lease to a freshly made worker (check() passed just before). */
  grant(id: string, w: Worker, memMb: i64, streams: i64, ttlS: i64, priority: i64): void {
    const g = this.find(id)!;
    g.holder = w.id;
    g.memMb = memMb;
    g.streams = streams;
    g.ttlS = ttlS;
    g.priority = priority;
    g.lease.push(g.leaseLine("ACTIVE"));
    g.ctl.push("LEASE " + w.id + " mem=" + memMb.toString() + " streams=" + streams.toString() + " priority=" + priority.toString());
    this.log.system("gpu lease state=ACTIVE gpu_id=" + id + " worker_id=" + w.id + " mem_mb=" + memMb.toString() + " ttl_s=" + ttlS.toString());
  }

  /** Ends a GPU's lease (its worker is gone or going): the RELEASED line, the ctl record and a status line. */
  release(g: Gpu, reason: string): void {
    if (g.holder.length == 0) return;
    g.lease.push(g.leaseLine("RELEASED"));
    g.ctl.push("RELEASE " + g.holder + " " + reason);
    this.statusLine(g, '{"job":' + jsonString(g.holder) + ',"state":"LEASE-ENDED","detail":' + jsonString(reason) + "}");
    this.log.system("gpu lease state=RELEASED gpu_id=" + g.id + " worker_id=" + g.holder + " reason=" + reason);
    g.holder = "";
    g.jobs = [];
  }

  statusLine(g: Gpu, line: string): void {
    g.status.push(line);
  }

  // ---- /gpu/<id>/ctl ---------------------------------------------------------------------

  command(g: Gpu, line: string, who: Caller): NsError | null {
    const words = line.trim().split(" ");
    const verb = words[0];
    let err: NsError | null = null;
    let detail = "";
    const w = g.holder.length > 0 ? this.workers.find(g.holder) : null;
    if (who.role != "queen" && who.subject != g.holder) err = new NsError(E_DENIED, "gpu " + g.id + " is not leased by " + who.subject);
    else if (verb == "LEASE") {
      if (words.length > 2 || (words.length == 2 && words[1] != g.id && words[1] != g.holder)) err = bad("LEASE takes nothing, the gpu id or the holder");
      else if (w == null) err = new NsError(E_NOT_FOUND, "no active lease on " + g.id);
      else {
        // A renewal: the lease (and its worker) live another ttl_s from now.
        const now = now_ms();
        w.expiresAt = now + <u64>g.ttlS * 1000;
        g.lease.push(g.leaseLine("ACTIVE"));
        detail = "renewed worker_id=" + g.holder + " ttl_s=" + g.ttlS.toString();
      }
    } else if (verb == "RELEASE") {
      if (words.length != 1) err = bad("RELEASE takes nothing");
      else if (w == null) err = new NsError(E_NOT_FOUND, "no active lease on " + g.id);
      else {
        detail = "released worker_id=" + g.holder;
        this.workers.remove(g.holder, "released"); // the exit hook writes the RELEASED line
      }
    } else if (verb == "PRIORITY") {
      const n = words.length == 2 ? I64.parseInt(words[1]) : -1;
      if (words.length != 2 || !isDigits(words[1]) || n < 0 || n > QUEEN_CTL_PRIORITY_MAX) err = bad("PRIORITY takes an integer 0.." + QUEEN_CTL_PRIORITY_MAX.toString());
      else if (w == null) err = new NsError(E_NOT_FOUND, "no active lease on " + g.id);
      else {
        g.priority = n;
        g.lease.push(g.leaseLine("ACTIVE"));
        detail = "priority=" + n.toString();
      }
    } else if (verb == "RESET") {
      if (words.length != 1) err = bad("RESET takes nothing");
      else if (who.role != "queen") err = new NsError(E_DENIED, "RESET is the queen's");
      else {
        detail = w != null ? "reset released worker_id=" + g.holder : "reset";
        if (w != null) this.workers.remove(g.holder, "reset");
        g.jobs = [];
      }
    } else {
      err = bad("expected LEASE, RELEASE, PRIORITY <n> or RESET");
    }
    const v = jsonString(verb.length > 16 ? verb.substring(0, 16) : verb);
    if (err != null) {
      this.statusLine(g, '{"ctl":' + v + ',"state":"ERR","detail":' + jsonString(err.error) + "}");
      return err;
    }
    g.ctl.push(line.trim());
    this.statusLine(g, '{"ctl":' + v + ',"state":"OK","detail":' + jsonString(detail) + "}");
    return null;
  }

  // ---- /gpu/<id>/job ---------------------------------------------------------------------

  job(g: Gpu, line: string, who: Caller): NsError | null {
    if (who.role != "queen" && who.subject != g.holder) return new NsError(E_DENIED, "gpu " + g.id + " is not leased by " + who.subject);
    if (!this.lifecycle.gate(GATE_WORKER_JOB)) return new NsError(E_LIFECYCLE_DENIED, "gate worker-job closed state=" + this.lifecycle.state);
    const f = Fields.of(line, ["job", "kernel", "grid", "block", "bytes_hash", "inputs", "outputs", "timeout_ms", "payload_b64"]);
    const id = f.need("job").token("job", 64, "._:-");
    f.need("kernel").oneOf("kernel", ["vadd", "matmul"], "kernel must be vadd or matmul");
    dims(f, "grid");
    dims(f, "block");
    const hash = f.need("bytes_hash").str("bytes_hash");
    if (f.ok && (!hash.startsWith("sha256:") || !isLowerHex(hash.substring(7), 64))) f.fail("bytes_hash must be sha256:<64 hex>");
    strings(f, "inputs");
    strings(f, "outputs");
    f.need("timeout_ms").int("timeout_ms", 1, 3_600_000);
    if (f.ok && f.has("payload_b64")) {
      const p = f.str("payload_b64");
      const b = f.ok ? base64Decode(p) : null;
      if (f.ok && b == null) f.fail("payload_b64 must be base64");
      else if (f.ok && "sha256:" + sha256Of(b!) != hash) f.fail("payload_b64 does not hash to bytes_hash");
    }
    if (!f.ok) return f.error();
    if (g.jobs.length >= 16) return new NsError(E_BUSY, "16 jobs already in flight on " + g.id);
    g.jobs.push(new Job(id, now_ms() + <u64>GPU_JOB_STEP_MS));
    this.statusLine(g, '{"job":' + jsonString(id) + ',"state":"QUEUED","detail":"accepted"}');
    return null;
  }

  // ---- /gpu/bridge/ctl -------------------------------------------------------------------

  publish(line: string, who: Caller): NsError | null {
    const r = this.bridge.line(line, who);
    if (r.error != null) return r.error;
    if (r.snap != null) {
      this.install(r.snap!);
      this.bridge.installed(r.snap!.nodes.length, r.snap!.models.length);
    }
    return null;
  }

  /**
   * Installs a checked snapshot at once. A GPU still present keeps its logs and lease (only its
   * info changes); new GPUs are seeded from the snapshot; removed ones release their lease and go.
   */
  install(s: Snapshot): void {
    const next: Gpu[] = [];
    for (let i = 0; i < s.nodes.length; i++) {
      const n = s.nodes[i];
      const old = this.find(n.id);
      if (old != null) {
        old.info = n.info;
        old.totalMb = n.memMb;
        next.push(old);
        continue;
      }
      const g = new Gpu(n.id, n.info, n.memMb);
      seedLines(g.ctl, n.ctl);
      seedLines(g.lease, n.lease);
      seedLines(g.status, n.status);
      next.push(g);
    }
    for (let i = 0; i < this.gpus.length; i++) {
      const g = this.gpus[i];
      let kept = false;
      for (let j = 0; j < next.length; j++) if (next[j] === g) kept = true;
      if (!kept && g.holder.length > 0) this.workers.remove(g.holder, "gpu-removed");
    }
    this.gpus = next;
    this.models = s.models;
    if (s.active.length > 0) this.pointTo(s.active);
    this.schema = s.schema;
    this.published = true;
  }

  private pointTo(id: string): void {
    const l = this.active.lines;
    if (l.length == 0 || l[l.length - 1] != id) this.active.push(id);
  }

  /** A queen's append to /gpu/models/active (coh peft activate / rollback). */
  activate(line: string): NsError | null {
    const id = line.trim();
    if (!validId(id, GPU_MODEL_ID_MAX)) return bad("model id must be 1-" + GPU_MODEL_ID_MAX.toString() + " characters of [A-Za-z0-9._:-]");
    let found = false;
    for (let i = 0; i < this.models.length; i++) if (this.models[i].id == id) found = true;
    if (!found) return new NsError(E_NOT_FOUND, "model " + id + " is not in /gpu/models/available");
    this.active.push(id);
    this.log.system("gpu models active=" + id);
    return null;
  }

  // ---- time ------------------------------------------------------------------------------

  tick(now: u64): void {
    // Draining: no new work, so GPU leases end (the workers go with them) and drain can finish.
    const draining = !this.lifecycle.gate(GATE_NEW_WORK);
    for (let i = 0; i < this.gpus.length; i++) {
      const g = this.gpus[i];
      if (draining && g.holder.length > 0) this.workers.remove(g.holder, "lifecycle-drain");
      for (let j = g.jobs.length - 1; j >= 0; j--) {
        const job = g.jobs[j];
        if (now < job.next) continue;
        job.next = now + <u64>GPU_JOB_STEP_MS;
        if (job.step == 0) {
          job.step = 1;
          this.statusLine(g, '{"job":' + jsonString(job.id) + ',"state":"RUNNING","detail":"scheduled"}');
        } else {
          this.statusLine(g, '{"job":' + jsonString(job.id) + ',"state":"OK","detail":"completed"}');
          g.jobs.splice(j, 1);
        }
      }
    }
  }
}

/** `k`: an array of three integers >= 1. */
function dims(f: Fields, k: string): void {
  const v = f.obj.get(k);
  let ok = v != null && v.kind == J_ARRAY && v.vals.length == 3;
  if (ok) for (let i = 0; i < 3; i++) if (v!.vals[i].kind != J_INT || v!.vals[i].n < 1 || v!.vals[i].n > 65535) ok = false;
  if (!ok) f.fail(k + " must be three integers 1..65535");
}

/** `k`: an array of non-empty strings. */
function strings(f: Fields, k: string): void {
  const v: JValue | null = f.obj.get(k);
  let ok = v != null && v.kind == J_ARRAY;
  if (ok) for (let i = 0; i < v!.vals.length; i++) if (v!.vals[i].kind != J_STRING || v!.vals[i].s.length == 0) ok = false;
  if (!ok) f.fail(k + " must be an array of non-empty strings");
}

class GpuExits extends WorkerExit {
  constructor(private t: GpuTable) {
    super();
  }
  exited(w: Worker, reason: string): void {
    const g = this.t.heldBy(w.id);
    if (g != null) this.t.release(g, reason);
  }
}

/** /proc/lease/active lines for GPU leases, beside /queen/lease/ctl's. */
export class GpuLeaseLines extends LeaseSource {
  constructor(private t: GpuTable) {
    super();
  }
  leaseLines(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.t.gpus.length; i++) {
      const g = this.t.gpus[i];
      if (g.holder.length == 0) continue;
      const w = this.t.workerOf(g);
      const exp = w != null ? w.expiresAt : 0;
      out.push("gpu-" + g.id + " subject=" + g.holder + " resource=" + g.id + " priority=" + g.priority.toString() + " expires_ms=" + exp.toString());
    }
    return out;
  }
}

/** `{gpu}` in a view path: the GPU the subject (a worker-gpu's worker id) leases. */
class LeasedGpu extends ViewVar {
  constructor(private t: GpuTable) {
    super("{gpu}");
  }
  value(subject: string): string {
    const g = this.t.heldBy(subject);
    return g == null || subject.length == 0 ? "" : g.id;
  }
}

// ---- files ----------------------------------------------------------------------------------

class RingFile extends File {
  constructor(name: string, mode: i32, flags: i32, private ring: TelemetryRing) {
    super(name, mode, flags);
  }
  read(): string[] {
    return this.ring.lines;
  }
}

class InfoFile extends File {
  constructor(private g: Gpu) {
    super("info", MODE_RO);
  }
  read(): string[] {
    return this.g.info.split("\n");
  }
  bytes(): Uint8Array | null {
    return Uint8Array.wrap(String.UTF8.encode(this.g.info, false)); // exact: no trailing newline
  }
}

class CtlFileG extends RingFile {
  constructor(private t: GpuTable, private g: Gpu) {
    super("ctl", MODE_AO, F_CONTROL, g.ctl);
  }
  append(line: string, who: Caller): NsError | null {
    return this.t.command(this.g, line, who);
  }
}

class StatusFile extends RingFile {
  constructor(private t: GpuTable, private g: Gpu) {
    super("status", MODE_AO, F_DATA, g.status);
  }
  append(line: string, who: Caller): NsError | null {
    if (who.role != "queen" && who.subject != this.g.holder) return new NsError(E_DENIED, "gpu " + this.g.id + " is not leased by " + who.subject);
    const s = line.trim();
    if (String.UTF8.byteLength(s) > GPU_STATUS_LINE_MAX) return bad("status line exceeds " + GPU_STATUS_LINE_MAX.toString() + " bytes");
    const f = Fields.of(s, [], "status lines are JSON objects");
    if (!f.ok) return f.error();
    this.t.statusLine(this.g, s);
    return null;
  }
}

class JobFile extends File {
  constructor(private t: GpuTable, private g: Gpu) {
    super("job", MODE_AO, F_CONTROL);
  }
  read(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.g.jobs.length; i++) out.push(this.g.jobs[i].id + " state=" + (this.g.jobs[i].step == 0 ? "QUEUED" : "RUNNING"));
    return out;
  }
  append(line: string, who: Caller): NsError | null {
    return this.t.job(this.g, line, who);
  }
}

class GpuDir extends Dir {
  constructor(t: GpuTable, g: Gpu) {
    super(g.id);
    this.add(new InfoFile(g));
    this.add(new CtlFileG(t, g));
    this.add(new RingFile("lease", MODE_RO, F_DATA, g.lease));
    this.add(new StatusFile(t, g));
    if (GPU_JOB_ENABLE != 0) this.add(new JobFile(t, g));
  }
}

class BridgeCtl extends File {
  constructor(private t: GpuTable) {
    super("ctl", MODE_QUEEN_AO, F_DATA); // snapshot chunks: one queen-log line per publish instead of a journal entry per chunk
  }
  read(): string[] {
    const b = this.t.bridge;
    const out = b.header.slice(0);
    if (b.receiving) out.push("b64: chunks=" + b.chunks.toString() + " chars=" + b.used.toString());
    return out;
  }
  append(line: string, who: Caller): NsError | null {
    return this.t.publish(line, who);
  }
}

const NOT_PUBLISHED = new NsError(E_INVALID_PATH, "invalid-path: absent until the first gpu-bridge-host publish");

class AfterPublish extends Dir {
  constructor(name: string, private t: GpuTable) {
    super(name);
  }
  unavailable(): NsError | null {
    return this.t.published ? null : NOT_PUBLISHED;
  }
}

class ManifestFile extends File {
  constructor(private m: SnapModel) {
    super("manifest.toml", MODE_RO);
  }
  read(): string[] {
    const l = this.m.manifest.split("\n");
    if (l.length > 0 && l[l.length - 1].length == 0) l.pop();
    return l;
  }
  bytes(): Uint8Array | null {
    return Uint8Array.wrap(String.UTF8.encode(this.m.manifest, false));
  }
}

class ModelDir extends Dir {
  constructor(m: SnapModel) {
    super(m.id);
    this.add(new ManifestFile(m));
  }
}

class AvailableDir extends Dir {
  constructor(private t: GpuTable) {
    super("available");
  }
  entries(): Node[] {
    const out: Node[] = [];
    for (let i = 0; i < this.t.models.length; i++) out.push(new ModelDir(this.t.models[i]));
    return out;
  }
  find(name: string): Node | null {
    for (let i = 0; i < this.t.models.length; i++) if (this.t.models[i].id == name) return new ModelDir(this.t.models[i]);
    return null;
  }
}

class ActiveFile extends File {
  constructor(private t: GpuTable) {
    super("active", MODE_QUEEN_AO, F_CONTROL);
  }
  read(): string[] {
    return this.t.active.lines;
  }
  append(line: string, who: Caller): NsError | null {
    return this.t.activate(line);
  }
}

class SchemaFile extends File {
  constructor(private t: GpuTable) {
    super("schema.json", MODE_RO);
  }
  read(): string[] {
    return [this.t.schema];
  }
  bytes(): Uint8Array | null {
    return Uint8Array.wrap(String.UTF8.encode(this.t.schema, false));
  }
}

/** /gpu: bridge, then models and telemetry (after a publish), then the GPU ids (the original's order). */
class GpuRoot extends Dir {
  private bridgeDir: Dir = new Dir("bridge");
  private modelsDir: AfterPublish;
  private telemetryDir: AfterPublish;

  constructor(private t: GpuTable) {
    super("gpu");
    this.modelsDir = new AfterPublish("models", t);
    this.telemetryDir = new AfterPublish("telemetry", t);
    this.bridgeDir.add(new BridgeCtl(t));
    this.bridgeDir.add(new BridgeStatus(t));
    this.modelsDir.add(new AvailableDir(t));
    this.modelsDir.add(new ActiveFile(t));
    this.telemetryDir.add(new SchemaFile(t));
  }

  entries(): Node[] {
    const out: Node[] = [this.bridgeDir];
    if (this.t.published) {
      out.push(this.modelsDir);
      out.push(this.telemetryDir);
    }
    const ids: string[] = [];
    for (let i = 0; i < this.t.gpus.length; i++) ids.push(this.t.gpus[i].id);
    ids.sort();
    for (let i = 0; i < ids.length; i++) out.push(new GpuDir(this.t, this.t.find(ids[i])!));
    return out;
  }

  find(name: string): Node | null {
    if (name == "bridge") return this.bridgeDir;
    if (name == "models") return this.modelsDir;
    if (name == "telemetry") return this.telemetryDir;
    const g = this.t.find(name);
    return g == null ? null : new GpuDir(this.t, g);
  }
}

class BridgeStatus extends File {
  constructor(private t: GpuTable) {
    super("status", MODE_RO);
  }
  read(): string[] {
    return [this.t.bridge.status];
  }
}

/** The devtab row: /gpu when [gpu] enable = 1, with worker-gpu's view of its own GPU. */
export class GpuProvider extends Provider {
  constructor(private t: GpuTable) {
    super();
  }

  mount(root: Dir, views: RoleViews): void {
    if (GPU_ENABLE == 0) return;
    root.add(new GpuRoot(this.t));
    views.vars.push(new LeasedGpu(this.t));
    const gpu = ["worker-gpu"];
    views.grant(gpu, VIEW_READ, "/gpu/{gpu}");
    views.grant(gpu, VIEW_LIST, "/gpu/{gpu}");
    views.grant(gpu, VIEW_WRITE, "/gpu/{gpu}/ctl");
    views.grant(gpu, VIEW_WRITE, "/gpu/{gpu}/status");
    views.grant(gpu, VIEW_WRITE, "/gpu/{gpu}/job");
    views.grant(gpu, VIEW_READ, "/gpu/models/active");
    views.grant(gpu, VIEW_READ, "/gpu/telemetry/schema.json");
  }

  ticks(): bool {
    return GPU_ENABLE != 0;
  }

  tick(now: u64): void {
    this.t.tick(now);
  }
}
