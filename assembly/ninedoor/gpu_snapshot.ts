// The gpu-bridge-snapshot/v1 wire payload (docs/GPU.md): newline-separated text that
// gpu-bridge-host publishes through /gpu/bridge/ctl. Parsed whole and checked strictly (unknown
// keywords or keys, ids, sizes, order) before anything is installed, so a bad snapshot changes
// nothing. The provider (providers/gpu.ts) installs the result.

import {
  GPU_CTL_LOG_BYTES, GPU_GPUS_MAX, GPU_GPU_ID_MAX, GPU_INFO_MAX_BYTES, GPU_LEASE_LOG_BYTES, GPU_MANIFEST_MAX_BYTES, GPU_MODELS_MAX,
  GPU_MODEL_ID_MAX, GPU_SCHEMA_MAX_BYTES, GPU_STATUS_BYTES, GPU_STATUS_LINE_MAX,
} from "../generated/manifest";
import { J_INT, J_OBJECT, J_STRING, parseJson, unknownKey } from "../json/json";
import { base64Decode } from "../text/base64";
import { onlyChars } from "../text/charset";
import { validUtf8 } from "../text/utf8";

export const SNAPSHOT_SCHEMA = "gpu-bridge-snapshot/v1";
/** The info JSON's keys, in the original's order. */
export const INFO_KEYS: string[] = ["id", "name", "memory_mb", "sm_count", "driver_version", "runtime_version"];
const NODE_KEYS: string[] = ["id", "info", "ctl", "lease", "status"];

export class SnapNode {
  memMb: i64 = 0;
  constructor(public id: string, public info: string, public ctl: string, public lease: string, public status: string) {}
}

export class SnapModel {
  constructor(public id: string, public manifest: string) {}
}

export class Snapshot {
  nodes: SnapNode[] = [];
  models: SnapModel[] = [];
  active: string = "";
  schema: string = "";
}

/** Either a snapshot or why not (`error`: a kebab-case reason, `detail`: the specifics). */
export class SnapResult {
  snap: Snapshot | null = null;
  error: string = "";
  detail: string = "";

  fail(error: string, detail: string): SnapResult {
    this.error = error;
    this.detail = detail;
    this.snap = null;
    return this;
  }
}

/** A GPU or model id: 1..max characters of [A-Za-z0-9._:-], not `.` or `..` (a path component and a key=value token). */
export function validId(s: string, max: i32): bool {
  return s.length > 0 && s.length <= max && s != "." && s != ".." && onlyChars(s, "._:-");
}

function utf8Text(b: Uint8Array): string | null {
  if (!validUtf8(b.dataStart, <usize>b.length)) return null;
  return String.UTF8.decodeUnsafe(b.dataStart, <usize>b.length, false);
}

/** A base64 value decoded to UTF-8 text of at most `max` bytes, or null. */
function b64Text(v: string, max: i32): string | null {
  const b = base64Decode(v);
  if (b == null || b.length > max) return null;
  return utf8Text(b);
}

/** Every non-empty line of a seeded lease/status log is one JSON object. */
function jsonLines(text: string, lineMax: i32): bool {
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i];
    if (l.length == 0) continue;
    if (String.UTF8.byteLength(l) > lineMax) return false;
    const r = parseJson(l);
    if (r.value == null || r.value!.kind != J_OBJECT) return false;
  }
  return true;
}

/** `key=value` fields after the keyword; null when a field has no `=` or a key repeats. */
function fields(words: string[]): Map<string, string> | null {
  const m = new Map<string, string>();
  for (let i = 1; i < words.length; i++) {
    const w = words[i];
    const eq = w.indexOf("=");
    if (eq <= 0) return null;
    const k = w.substring(0, eq);
    if (m.has(k)) return null;
    m.set(k, w.substring(eq + 1));
  }
  return m;
}

function firstUnknown(m: Map<string, string>, allowed: string[]): string {
  const ks = m.keys();
  for (let i = 0; i < ks.length; i++) if (!allowed.includes(ks[i])) return ks[i];
  return "";
}

function words(line: string): string[] {
  const out: string[] = [];
  const parts = line.replaceAll("\t", " ").split(" ");
  for (let i = 0; i < parts.length; i++) if (parts[i].length > 0) out.push(parts[i]);
  return out;
}

/** Checks an info JSON: exactly the six keys, `id` the node's, integers where the original has them. */
function checkInfo(n: SnapNode, r: SnapResult): bool {
  const j = parseJson(n.info);
  if (j.value == null || j.value!.kind != J_OBJECT) {
    r.fail("bad-info", "info of " + n.id + " is not a JSON object");
    return false;
  }
  const v = j.value!;
  const u = unknownKey(v, INFO_KEYS);
  if (u.length > 0) {
    r.fail("bad-info", "info of " + n.id + " has unknown key " + u);
    return false;
  }
  for (let i = 0; i < INFO_KEYS.length; i++) {
    const k = INFO_KEYS[i];
    const x = v.get(k);
    const wantInt = k == "memory_mb" || k == "sm_count";
    if (x == null || (wantInt ? x.kind != J_INT || x.n < 0 : x.kind != J_STRING)) {
      r.fail("bad-info", "info of " + n.id + " needs " + k + (wantInt ? " (a non-negative integer)" : " (a string)"));
      return false;
    }
  }
  if (v.get("id")!.s != n.id) {
    r.fail("bad-info", "info id " + v.get("id")!.s + " is not the node id " + n.id);
    return false;
  }
  n.memMb = v.get("memory_mb")!.n;
  return true;
}

function parseNode(m: Map<string, string>, r: SnapResult): SnapNode | null {
  const u = firstUnknown(m, NODE_KEYS);
  if (u.length > 0) {
    r.fail("unknown-key", "node key " + u);
    return null;
  }
  for (let i = 0; i < NODE_KEYS.length; i++) {
    if (!m.has(NODE_KEYS[i])) {
      r.fail("missing-key", "node needs " + NODE_KEYS[i]);
      return null;
    }
  }
  const id = m.get("id");
  if (!validId(id, GPU_GPU_ID_MAX)) {
    r.fail("bad-id", "gpu id must be 1-" + GPU_GPU_ID_MAX.toString() + " characters of [A-Za-z0-9._:-]");
    return null;
  }
  const info = b64Text(m.get("info"), GPU_INFO_MAX_BYTES);
  const ctl = b64Text(m.get("ctl"), GPU_CTL_LOG_BYTES);
  const lease = b64Text(m.get("lease"), GPU_LEASE_LOG_BYTES);
  const status = b64Text(m.get("status"), GPU_STATUS_BYTES);
  if (info == null || info.length == 0) {
    r.fail("bad-info", "info of " + id + " must be base64 UTF-8 of 1-" + GPU_INFO_MAX_BYTES.toString() + " bytes");
    return null;
  }
  if (ctl == null || lease == null || status == null) {
    r.fail("bad-seed", "ctl/lease/status of " + id + " must be base64 UTF-8 within their log bounds");
    return null;
  }
  if (!jsonLines(lease, GPU_STATUS_LINE_MAX) || !jsonLines(status, GPU_STATUS_LINE_MAX)) {
    r.fail("bad-seed", "lease/status seed of " + id + " must be JSON object lines");
    return null;
  }
  const n = new SnapNode(id, info, ctl, lease, status);
  return checkInfo(n, r) ? n : null;
}

/** Parses and checks a decoded snapshot; nothing is installed here. */
export function parseSnapshot(bytes: Uint8Array): SnapResult {
  const r = new SnapResult();
  const text = utf8Text(bytes);
  if (text == null) return r.fail("bad-utf8", "snapshot is not UTF-8");
  const lines = text.split("\n");
  const s = new Snapshot();
  let sawSchema = false, sawActive = false, sawTelemetry = false, sawEnd = false;
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i];
    if (line.endsWith("\r")) line = line.substring(0, line.length - 1);
    const w = words(line);
    if (w.length == 0) continue;
    const kw = w[0];
    if (sawEnd) return r.fail("data-after-end", "line " + (i + 1).toString());
    if (!sawSchema) {
      if (kw != "schema" || w.length != 2 || w[1] != SNAPSHOT_SCHEMA) return r.fail("bad-schema", "first line must be schema " + SNAPSHOT_SCHEMA);
      sawSchema = true;
      continue;
    }
    const m = fields(w);
    if (kw != "end" && m == null) return r.fail("bad-field", "line " + (i + 1).toString() + " needs key=value fields, each key once");
    if (kw == "node") {
      if (s.nodes.length >= GPU_GPUS_MAX) return r.fail("too-many-gpus", "at most " + GPU_GPUS_MAX.toString());
      const n = parseNode(m!, r);
      if (n == null) return r;
      for (let k = 0; k < s.nodes.length; k++) if (s.nodes[k].id == n.id) return r.fail("duplicate-id", "gpu " + n.id);
      s.nodes.push(n);
    } else if (kw == "model") {
      const u = firstUnknown(m!, ["id", "manifest"]);
      if (u.length > 0) return r.fail("unknown-key", "model key " + u);
      if (!m!.has("id") || !m!.has("manifest")) return r.fail("missing-key", "model needs id and manifest");
      const id = m!.get("id");
      if (!validId(id, GPU_MODEL_ID_MAX)) return r.fail("bad-id", "model id must be 1-" + GPU_MODEL_ID_MAX.toString() + " characters of [A-Za-z0-9._:-]");
      if (s.models.length >= GPU_MODELS_MAX) return r.fail("too-many-models", "at most " + GPU_MODELS_MAX.toString());
      if (s.models.length > 0 && s.models[s.models.length - 1].id >= id) return r.fail("unsorted-models", "model " + id + " out of order or repeated");
      const man = b64Text(m!.get("manifest"), GPU_MANIFEST_MAX_BYTES);
      if (man == null) return r.fail("bad-manifest", "manifest of " + id + " must be base64 UTF-8 of at most " + GPU_MANIFEST_MAX_BYTES.toString() + " bytes");
      s.models.push(new SnapModel(id, man));
    } else if (kw == "active") {
      if (sawActive) return r.fail("duplicate-line", "active");
      const u = firstUnknown(m!, ["id"]);
      if (u.length > 0 || !m!.has("id")) return r.fail("bad-active", "active takes id= only");
      s.active = m!.get("id");
      sawActive = true;
    } else if (kw == "telemetry") {
      if (sawTelemetry) return r.fail("duplicate-line", "telemetry");
      const u = firstUnknown(m!, ["schema"]);
      if (u.length > 0 || !m!.has("schema")) return r.fail("bad-telemetry", "telemetry takes schema= only");
      const sc = b64Text(m!.get("schema"), GPU_SCHEMA_MAX_BYTES);
      if (sc == null) return r.fail("bad-telemetry", "schema must be base64 UTF-8 of at most " + GPU_SCHEMA_MAX_BYTES.toString() + " bytes");
      const j = parseJson(sc);
      if (j.value == null || j.value!.kind != J_OBJECT) return r.fail("bad-telemetry", "schema is not a JSON object");
      s.schema = sc;
      sawTelemetry = true;
    } else if (kw == "end") {
      if (w.length != 1) return r.fail("bad-end", "end takes nothing");
      sawEnd = true;
    } else if (kw == "schema") {
      return r.fail("duplicate-line", "schema");
    } else {
      return r.fail("unknown-keyword", kw.length > 16 ? kw.substring(0, 16) : kw);
    }
  }
  if (!sawSchema) return r.fail("bad-schema", "empty snapshot");
  if (!sawActive) return r.fail("missing-line", "active");
  if (!sawTelemetry) return r.fail("missing-line", "telemetry");
  if (!sawEnd) return r.fail("missing-line", "end");
  if (s.active.length > 0) {
    let found = false;
    for (let i = 0; i < s.models.length; i++) if (s.models[i].id == s.active) found = true;
    if (!found) return r.fail("unknown-active", "active model " + s.active + " is not in the catalogue");
  }
  r.snap = s;
  return r;
}
