// Telemetry ingest: /queen/telemetry/<device>/{ctl, seg/seg-NNNNNN, latest}. The OS names the
// segments; clients append records within per-record, per-segment and per-device quotas.
// Records that carry a schema envelope are checked (sequence, offsets) before they are kept.

import { E_BUFFER_FULL, E_INVALID_PAYLOAD, E_LIFECYCLE_DENIED, E_NOT_FOUND } from "../../generated/protocol";
import {
  TELEMETRY_INGEST_EVICTION_POLICY,
  TELEMETRY_INGEST_MAX_BYTES_PER_SEGMENT,
  TELEMETRY_INGEST_MAX_DEVICES,
  TELEMETRY_INGEST_MAX_RECORD_BYTES,
  TELEMETRY_INGEST_MAX_SEGMENTS_PER_DEVICE,
  TELEMETRY_INGEST_MAX_TOTAL_BYTES_PER_DEVICE,
} from "../../generated/manifest";
import { J_INT, J_OBJECT, J_STRING, parseJson, unknownKey } from "../../json/json";
import { LogFile } from "../files";
import { GATE_TELEMETRY_INGEST, Lifecycle } from "./lifecycle";
import { Caller, Dir, F_APPEND_AT_END, File, MODE_QUEEN_AO, Node, NsError, ViewFile } from "../node";
import { RoleViews } from "../access";
import { bad, CtlFile, Fields } from "../ctl";
import { dirAt, Provider } from "../devtab";
import { ingest } from "../stats";
import { onlyChars } from "../../text/charset";

export const MIMES: string[] = ["text/plain", "application/json", "application/x-ndjson", "text/csv", "application/octet-stream"];
const PUSH_SCHEMA = "cohsh-telemetry-push/v1";
const REF_SCHEMA = "coh-ref-c/v1";

function tooBig(why: string): NsError {
  ingest.backpressure++;
  return new NsError(E_BUFFER_FULL, why);
}

export function validDevice(name: string): bool {
  return name.length > 0 && name.length <= 32 && onlyChars(name, "._-") && name != "." && name != "..";
}

class Segment {
  lines: string[] = [];
  bytes: i32 = 0;
  envelope: string = ""; // schema of the first enveloped record; "" = plain records
  seq: i64 = 0;
  nextOff: i64 = 0;
  constructor(public id: string, public mime: string) {}
}

class Device {
  segments: Segment[] = [];
  nextSeg: i32 = 1;
  constructor(public name: string) {}

  total(): i32 {
    let t = 0;
    for (let i = 0; i < this.segments.length; i++) t += this.segments[i].bytes;
    return t;
  }

  find(id: string): Segment | null {
    for (let i = 0; i < this.segments.length; i++) if (this.segments[i].id == id) return this.segments[i];
    return null;
  }
}

/** Something that also wants every accepted record (export windows); it cannot refuse one. */
export abstract class TelemetrySink {
  abstract capture(device: string, seg: string, mime: string, payload: string): void;
}

export class TelemetryStore {
  devices: Device[] = [];
  sink: TelemetrySink | null = null;

  constructor(private log: LogFile, private lifecycle: Lifecycle) {}

  device(name: string, create: bool): Device | null {
    for (let i = 0; i < this.devices.length; i++) if (this.devices[i].name == name) return this.devices[i];
    if (!create || !validDevice(name) || this.devices.length >= TELEMETRY_INGEST_MAX_DEVICES) return null;
    const d = new Device(name);
    this.devices.push(d);
    return d;
  }

  /** `{"new":"segment","mime":…}` on <device>/ctl; the device exists once a line is accepted. */
  ctl(name: string, line: string): NsError | null {
    const f = Fields.of(line, ["new", "mime"]);
    f.oneOf("new", ["segment"], "new must be \"segment\"");
    const mime = f.oneOf("mime", MIMES, "mime must be one of " + MIMES.join(","));
    if (!f.ok) return f.error();
    if (!this.lifecycle.gate(GATE_TELEMETRY_INGEST)) return new NsError(E_LIFECYCLE_DENIED, "gate telemetry-ingest closed state=" + this.lifecycle.state);
    const found = this.device(name, true);
    if (found == null) return tooBig("device limit " + TELEMETRY_INGEST_MAX_DEVICES.toString() + " reached");
    const dev = found!;
    if (dev.segments.length >= TELEMETRY_INGEST_MAX_SEGMENTS_PER_DEVICE) {
      if (TELEMETRY_INGEST_EVICTION_POLICY != "evict-oldest") return tooBig("segment limit " + TELEMETRY_INGEST_MAX_SEGMENTS_PER_DEVICE.toString() + " reached");
      this.evictOldest(dev);
    }
    const id = "seg-" + pad6(dev.nextSeg);
    dev.nextSeg++;
    dev.segments.push(new Segment(id, mime));
    this.log.system("telemetry segment new device=" + dev.name + " seg=" + id + " mime=" + mime);
    return null;
  }

  private evictOldest(dev: Device): void {
    const old = dev.segments.shift();
    ingest.dropped++;
    this.log.system("telemetry segment evicted device=" + dev.name + " seg=" + old.id + " bytes=" + old.bytes.toString());
  }

  append(dev: Device, seg: Segment, line: string): NsError | null {
    const n = String.UTF8.byteLength(line);
    if (n > TELEMETRY_INGEST_MAX_RECORD_BYTES) return tooBig("record exceeds " + TELEMETRY_INGEST_MAX_RECORD_BYTES.toString() + " bytes");
    if (seg.bytes + n + 1 > TELEMETRY_INGEST_MAX_BYTES_PER_SEGMENT) return tooBig("segment quota " + TELEMETRY_INGEST_MAX_BYTES_PER_SEGMENT.toString() + " bytes exceeded");
    if (dev.total() + n + 1 > TELEMETRY_INGEST_MAX_TOTAL_BYTES_PER_DEVICE) return tooBig("device quota " + TELEMETRY_INGEST_MAX_TOTAL_BYTES_PER_DEVICE.toString() + " bytes exceeded");
    if (!this.lifecycle.gate(GATE_TELEMETRY_INGEST)) return new NsError(E_LIFECYCLE_DENIED, "gate telemetry-ingest closed state=" + this.lifecycle.state);
    const env = checkEnvelope(seg, line);
    if (env != null) return env;
    seg.lines.push(line);
    seg.bytes += n + 1;
    const sink = this.sink;
    if (sink != null) sink.capture(dev.name, seg.id, seg.mime, line);
    return null;
  }
}

/** Enveloped records must keep their segment's schema, sequence and (for refs) offsets. */
function checkEnvelope(seg: Segment, line: string): NsError | null {
  const t = line.trim();
  if (!t.startsWith('{"schema"')) {
    if (seg.envelope.length > 0) return bad("segment carries " + seg.envelope + " records");
    return null;
  }
  const r = parseJson(t);
  if (r.value == null) return bad(r.error);
  const o = r.value!;
  const schema = o.get("schema")!;
  if (schema.kind != J_STRING || (schema.s != PUSH_SCHEMA && schema.s != REF_SCHEMA)) return bad("unknown schema");
  if (seg.envelope.length == 0 && seg.lines.length > 0) return bad("segment carries plain records");
  if (seg.envelope.length > 0 && seg.envelope != schema.s) return bad("segment carries " + seg.envelope + " records");
  const seq = o.get("seq");
  if (seq == null || seq.kind != J_INT || seq.n != seg.seq + 1) return bad("seq must be " + (seg.seq + 1).toString());
  if (schema.s == PUSH_SCHEMA) {
    const u = unknownKey(o, ["schema", "seq", "mime", "payload"]);
    if (u.length > 0) return bad("unknown field " + u);
    const mime = o.get("mime");
    const payload = o.get("payload");
    if (mime == null || mime.kind != J_STRING || mime.s != seg.mime) return bad("mime must be " + seg.mime);
    if (payload == null || payload.kind != J_STRING) return bad("payload must be a string");
  } else {
    const u = unknownKey(o, ["schema", "seq", "off", "len", "sha256"]);
    if (u.length > 0) return bad("unknown field " + u);
    const off = o.get("off");
    const len = o.get("len");
    const digest = o.get("sha256");
    if (off == null || off.kind != J_INT || off.n != seg.nextOff) return bad("off must be " + seg.nextOff.toString() + " (contiguous)");
    if (len == null || len.kind != J_INT || len.n < 1) return bad("len must be >= 1");
    if (digest == null || digest.kind != J_STRING || !digestToken(digest.s)) return bad("sha256 must be 1-128 digest characters");
    seg.nextOff = off.n + len.n;
  }
  seg.envelope = schema.s;
  seg.seq = seq.n;
  return null;
}

function digestToken(s: string): bool {
  return s.length > 0 && s.length <= 128 && onlyChars(s, "+/=-_");
}

function pad6(n: i32): string {
  let s = n.toString();
  while (s.length < 6) s = "0" + s;
  return s;
}

// ---- namespace nodes -------------------------------------------------------------------

class DeviceCtl extends CtlFile {
  constructor(private store: TelemetryStore, private dev: string) {
    super("ctl");
  }
  append(line: string, who: Caller): NsError | null {
    return this.store.ctl(this.dev, line);
  }
}

/** What a device's `latest` file renders: the newest segment's id. */
class DeviceRef {
  constructor(public store: TelemetryStore, public name: string) {}
}

function latest(r: DeviceRef): string[] {
  const d = r.store.device(r.name, false);
  if (d == null || d.segments.length == 0) return [];
  return [d.segments[d.segments.length - 1].id];
}

class SegmentFile extends File {
  constructor(private store: TelemetryStore, private dev: Device, private seg: Segment) {
    super(seg.id, MODE_QUEEN_AO, F_APPEND_AT_END); // data: neither journalled nor traced; 9P appends at the end only
  }
  read(): string[] {
    return this.seg.lines;
  }
  append(line: string, who: Caller): NsError | null {
    if (this.dev.find(this.seg.id) == null) return new NsError(E_NOT_FOUND, "segment evicted");
    return this.store.append(this.dev, this.seg, line);
  }
}

class SegDir extends Dir {
  constructor(private store: TelemetryStore, private dev: string) {
    super("seg");
  }
  entries(): Node[] {
    const out: Node[] = [];
    const d = this.store.device(this.dev, false);
    if (d != null) for (let i = 0; i < d.segments.length; i++) out.push(new SegmentFile(this.store, d, d.segments[i]));
    return out;
  }
  find(name: string): Node | null {
    const d = this.store.device(this.dev, false);
    if (d == null) return null;
    const s = d.find(name);
    return s == null ? null : new SegmentFile(this.store, d, s);
  }
}

class DeviceDir extends Dir {
  constructor(store: TelemetryStore, name: string) {
    super(name);
    this.children.push(new DeviceCtl(store, name));
    this.children.push(new ViewFile<DeviceRef>("latest", new DeviceRef(store, name), latest));
    this.children.push(new SegDir(store, name));
  }
}

/** /queen/telemetry: existing devices are listed; any valid device name can be walked to, so
 * that the first `ctl` write creates it. */
export class TelemetryDir extends Dir {
  constructor(private store: TelemetryStore) {
    super("telemetry");
  }
  entries(): Node[] {
    const names: string[] = [];
    for (let i = 0; i < this.store.devices.length; i++) names.push(this.store.devices[i].name);
    names.sort();
    const out: Node[] = [];
    for (let i = 0; i < names.length; i++) out.push(new DeviceDir(this.store, names[i]));
    return out;
  }
  find(name: string): Node | null {
    return validDevice(name) ? new DeviceDir(this.store, name) : null;
  }
}

/** /queen/telemetry. */
export class TelemetryProvider extends Provider {
  constructor(private store: TelemetryStore) {
    super();
  }

  mount(root: Dir, views: RoleViews): void {
    dirAt(root, "/queen").add(new TelemetryDir(this.store));
  }
}
