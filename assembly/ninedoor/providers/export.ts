// /queen/export: export windows and the LoRA job bundles they fill. `open` starts a window (job id
// = window id); while it is open every record the telemetry ingest accepts is also encoded into
// its bundle, /queen/export/lora_jobs/<id>/{telemetry.cbor, base_model.ref, policy.toml}, all
// read-only. `close`, or the ttl running out on the guest clock, ends the window; the bundle stays
// until a newer window needs its slot. docs/NAMESPACE.md has the exact formats.

import { E_BUFFER_FULL, E_NOT_FOUND, E_WINDOW_CLOSED } from "../../generated/protocol";
import {
  CONSOLE_PATH_MAX,
  EXPORT_BASE_MODEL_DEFAULT,
  EXPORT_BASE_MODEL_MAX_BYTES,
  EXPORT_POLICY_MAX_BYTES,
  EXPORT_TELEMETRY_MAX_BYTES,
  EXPORT_TTL_MAX_S,
  EXPORT_WINDOWS_MAX,
  MANIFEST_SHA256,
  NAMESPACE_COMPONENT_MAX,
} from "../../generated/manifest";
import { CBOR_ARRAY, CborWriter, headLen, writeHead } from "../../cbor/cbor";
import { now_ms } from "../../platform/abi";
import { Journal } from "./audit";
import { LogFile } from "../files";
import { BinaryFile, Caller, Dir, ERR_DENIED, Node, NsError, SYSTEM_ROLE, ViewFile } from "../node";
import { RoleViews } from "../access";
import { bad, CtlFile, Fields } from "../ctl";
import { dirAt, Provider } from "../devtab";
import { TelemetrySink } from "./telemetry";

export const EXPORT_CTL = "/queen/export/ctl";
export const FRAME_SCHEMA = "telemetry-frame/v1";
export const POLICY_SCHEMA = "cohesix-export-policy/v1";
/** The bounds `coh peft export` reads bundles with (the manifest's, stated in policy.toml). */
export const POLICY_MAX_BYTES: i32 = EXPORT_POLICY_MAX_BYTES;
export const BASE_MODEL_MAX_BYTES: i32 = EXPORT_BASE_MODEL_MAX_BYTES;
/**
 * Ids name a directory, so every bundle path must stay within the console's path_max:
 * "/queen/export/lora_jobs/" (24) + id + "/telemetry.cbor" (15). coh-rtc keeps this >= 8.
 */
export const ID_MAX: i32 = min<i32>(min<i32>(64, NAMESPACE_COMPONENT_MAX), CONSOLE_PATH_MAX - 39);
export const REASON_MAX: i32 = 64;
export const BASE_MODEL_MAX: i32 = 128;
export const TTL_EXPIRED = "ttl-expired";

const PREFIX: i32 = 5; // room for the longest array head (0x9a + u32) in front of the records

/** One window and its bundle. telemetry.cbor is kept encoded: records after a PREFIX-byte gap
 * whose tail holds the array head, so reads hand out a view without copying. */
export class Bundle {
  state: string = "open";
  reason: string = "";
  closedMs: u64 = 0;
  records: i32 = 0;
  dropped: u64 = 0;
  full: bool = false; // once a record did not fit, later ones are dropped too: no holes
  private data: Uint8Array = new Uint8Array(256);
  private start: i32 = PREFIX - 1;
  private end: i32 = PREFIX;

  constructor(public id: string, public ttlS: i64, public baseModel: string, public openedMs: u64, public expiresMs: u64) {
    writeHead(this.data.dataStart + <usize>this.start, CBOR_ARRAY, 0);
  }

  get isOpen(): bool {
    return this.state == "open";
  }

  bytes(): Uint8Array {
    return this.data.subarray(this.start, this.end);
  }

  size(): i32 {
    return this.end - this.start;
  }

  /** Appends one encoded frame (in `w`) if the file stays within the bound, else drops it. */
  add(w: CborWriter): void {
    const n = this.records + 1;
    if (this.full || headLen(<u64>n) + (this.end - PREFIX) + w.len > EXPORT_TELEMETRY_MAX_BYTES) {
      this.full = true;
      this.dropped++;
      return;
    }
    if (this.end + w.len > this.data.length) {
      let cap = this.data.length * 2;
      while (cap < this.end + w.len) cap *= 2;
      const b = new Uint8Array(min<i32>(cap, PREFIX + EXPORT_TELEMETRY_MAX_BYTES));
      memory.copy(b.dataStart, this.data.dataStart, <usize>this.end);
      this.data = b;
    }
    memory.copy(this.data.dataStart + <usize>this.end, w.buf.dataStart, <usize>w.len);
    this.end += w.len;
    this.records = n;
    this.start = PREFIX - headLen(<u64>n);
    writeHead(this.data.dataStart + <usize>this.start, CBOR_ARRAY, <u64>n);
  }

  baseModelLines(): string[] {
    return ["base_model=" + this.baseModel];
  }

  /** policy.toml. Its strings need no escaping: ids, reasons and refs are checked tokens. */
  policyLines(): string[] {
    return [
      'schema = "' + POLICY_SCHEMA + '"',
      'manifest_sha256 = "' + MANIFEST_SHA256 + '"',
      "[window]",
      'id = "' + this.id + '"',
      'state = "' + this.state + '"',
      'reason = "' + this.reason + '"',
      "ttl_s = " + this.ttlS.toString(),
      "opened_ms = " + this.openedMs.toString(),
      "expires_ms = " + this.expiresMs.toString(),
      "closed_ms = " + this.closedMs.toString(),
      "[telemetry]",
      'file = "telemetry.cbor"',
      'frame_schema = "' + FRAME_SCHEMA + '"',
      "records = " + this.records.toString(),
      "bytes = " + this.size().toString(),
      "dropped = " + this.dropped.toString(),
      "[bounds]",
      "telemetry_max_bytes = " + EXPORT_TELEMETRY_MAX_BYTES.toString(),
      "policy_max_bytes = " + POLICY_MAX_BYTES.toString(),
      "base_model_max_bytes = " + BASE_MODEL_MAX_BYTES.toString(),
      "ttl_max_s = " + EXPORT_TTL_MAX_S.toString(),
      "windows_max = " + EXPORT_WINDOWS_MAX.toString(),
      "[base_model]",
      'ref = "' + this.baseModel + '"',
    ];
  }

  statusLine(): string {
    return (
      "window id=" + this.id + " state=" + this.state + " records=" + this.records.toString() + " bytes=" + this.size().toString() +
      " dropped=" + this.dropped.toString() + " expires_ms=" + (this.isOpen ? this.expiresMs.toString() : "-") +
      " reason=" + (this.isOpen ? "-" : this.reason)
    );
  }
}

export class Exports extends TelemetrySink {
  windows: Bundle[] = []; // in opening order
  private w: CborWriter = new CborWriter();

  constructor(private log: LogFile, private journal: Journal) {
    super();
  }

  find(id: string): Bundle | null {
    for (let i = 0; i < this.windows.length; i++) if (this.windows[i].id == id) return this.windows[i];
    return null;
  }

  openCount(): i32 {
    let n = 0;
    for (let i = 0; i < this.windows.length; i++) if (this.windows[i].isOpen) n++;
    return n;
  }

  /** One ctl line. Everything is checked before anything changes. */
  apply(line: string, who: Caller): NsError | null {
    // Only the queen and the core reach here (the file is queen-only, Namespace.append enforces it).
    const f = Fields.of(line, []);
    const op = f.oneOf("op", ["open", "close"], "op must be open or close");
    if (!f.ok) return f.error();
    // The core's own expiry entries replay as closes; nothing else may come from that role.
    if (who.role == SYSTEM_ROLE && op != "close") return ERR_DENIED;
    if (op == "open") {
      f.only(["op", "id", "ttl_s", "base_model"], "");
      const id = f.token("id", ID_MAX, "._-");
      const ttl = f.int("ttl_s", 1, <i64>EXPORT_TTL_MAX_S);
      const base = f.has("base_model") ? f.token("base_model", BASE_MODEL_MAX, "._:/@+-") : EXPORT_BASE_MODEL_DEFAULT;
      if (!f.ok) return f.error();
      const held = this.find(id);
      if (held != null) return bad("window " + id + " already held (state=" + held.state + ")");
      let evict = -1;
      if (this.windows.length >= EXPORT_WINDOWS_MAX) {
        for (let i = 0; i < this.windows.length && evict < 0; i++) if (!this.windows[i].isOpen) evict = i;
        if (evict < 0) return new NsError(E_BUFFER_FULL, "export windows full: " + EXPORT_WINDOWS_MAX.toString() + " open");
      }
      if (evict >= 0) {
        const old = this.windows[evict];
        this.windows.splice(evict, 1);
        this.log.system("export evict id=" + old.id + " records=" + old.records.toString() + " bytes=" + old.size().toString() + " dropped=" + old.dropped.toString());
      }
      const now = now_ms();
      this.windows.push(new Bundle(id, ttl, base, now, now + <u64>ttl * 1000));
      this.log.system("export open id=" + id + " ttl_s=" + ttl.toString() + " base_model=" + base);
      return null;
    }
    f.only(["op", "id", "reason"], "");
    const id = f.token("id", ID_MAX, "._-");
    const reason = f.token("reason", REASON_MAX, "._-");
    if (!f.ok) return f.error();
    const b = this.find(id);
    if (b == null) return new NsError(E_NOT_FOUND, "window " + id + " not held");
    if (!b.isOpen) return new NsError(E_WINDOW_CLOSED, "window " + id + " already closed reason=" + b.reason);
    this.close(b, reason, now_ms(), "close");
    return null;
  }

  private close(b: Bundle, reason: string, now: u64, verb: string): void {
    b.state = "closed";
    b.reason = reason;
    b.closedMs = now;
    this.log.system(
      "export " + verb + " id=" + b.id + " reason=" + reason + " records=" + b.records.toString() + " bytes=" + b.size().toString() + " dropped=" + b.dropped.toString(),
    );
  }

  /**
   * Expiry by the guest clock. Each expiry is journalled as the close it amounts to, so a replay
   * (which has no clock of its own) reaches the same state and the same later outcomes.
   */
  tick(now: u64): void {
    for (let i = 0; i < this.windows.length; i++) {
      const b = this.windows[i];
      if (!b.isOpen || now < b.expiresMs) continue;
      this.close(b, TTL_EXPIRED, now, "expire");
      this.journal.record(EXPORT_CTL, '{"op":"close","id":"' + b.id + '","reason":"' + TTL_EXPIRED + '"}', new Caller(SYSTEM_ROLE), null);
    }
  }

  /** Called by the ingest for every record it accepted; never fails the ingest writer. */
  capture(device: string, seg: string, mime: string, payload: string): void {
    if (this.openCount() == 0) return;
    const ms = now_ms();
    for (let i = 0; i < this.windows.length; i++) {
      const b = this.windows[i];
      if (!b.isOpen) continue;
      // Keys in deterministic-CBOR order (by encoded bytes: shorter keys first). `ms` is always
      // 9 bytes so a frame's size, and where a bundle fills, never depends on when it arrived.
      const w = this.w.reset().map(7);
      w.text("ms").uint64Fixed(ms);
      w.text("seg").text(seg);
      w.text("seq").uint(<u64>(b.records + 1));
      w.text("mime").text(mime);
      w.text("device").text(device);
      w.text("schema").text(FRAME_SCHEMA);
      w.text("payload").text(payload);
      b.add(w);
    }
  }

  statusLines(): string[] {
    const out = [
      "export held=" + this.windows.length.toString() + " open=" + this.openCount().toString() + " windows_max=" + EXPORT_WINDOWS_MAX.toString() +
        " telemetry_max_bytes=" + EXPORT_TELEMETRY_MAX_BYTES.toString(),
    ];
    for (let i = 0; i < this.windows.length; i++) out.push(this.windows[i].statusLine());
    return out;
  }
}

// ---- namespace nodes -------------------------------------------------------------------

class ExportCtl extends CtlFile {
  constructor(private x: Exports) {
    super("ctl");
  }
  append(line: string, who: Caller): NsError | null {
    return this.x.apply(line, who);
  }
}

class TelemetryCbor extends BinaryFile {
  constructor(private b: Bundle) {
    super("telemetry.cbor");
  }
  bytes(): Uint8Array | null {
    return this.b.bytes();
  }
}

class JobDir extends Dir {
  constructor(b: Bundle) {
    super(b.id);
    this.children.push(new ViewFile<Bundle>("base_model.ref", b, (x: Bundle): string[] => x.baseModelLines()));
    this.children.push(new ViewFile<Bundle>("policy.toml", b, (x: Bundle): string[] => x.policyLines()));
    this.children.push(new TelemetryCbor(b));
  }
}

class JobsDir extends Dir {
  constructor(private x: Exports) {
    super("lora_jobs");
  }
  entries(): Node[] {
    const ids: string[] = [];
    for (let i = 0; i < this.x.windows.length; i++) ids.push(this.x.windows[i].id);
    ids.sort();
    const out: Node[] = [];
    for (let i = 0; i < ids.length; i++) out.push(new JobDir(this.x.find(ids[i])!));
    return out;
  }
  find(name: string): Node | null {
    const b = this.x.find(name);
    return b == null ? null : new JobDir(b);
  }
}

/** /queen/export: ctl, lora_jobs/, status. */
export class ExportDir extends Dir {
  constructor(x: Exports) {
    super("export");
    this.children.push(new ExportCtl(x));
    this.children.push(new JobsDir(x));
    this.children.push(new ViewFile<Exports>("status", x, (e: Exports): string[] => e.statusLines()));
  }
}

/** /queen/export; its windows expire by the guest clock. */
export class ExportProvider extends Provider {
  constructor(private x: Exports) {
    super();
  }

  mount(root: Dir, views: RoleViews): void {
    dirAt(root, "/queen").add(new ExportDir(this.x));
  }

  ticks(): bool {
    return true;
  }

  tick(now: u64): void {
    this.x.tick(now);
  }
}
