// /host (manifest [host], docs/HOST.md): what host-sidecar-bridge publishes about the machine
// the hive runs on, the queen's control sinks, and the host-ticket files host-ticket-agent tails.
//   <m>/systemd/<unit>/{restart,start,status,stop}   <m>/systemd/status (every unit, one line each)
//   <m>/k8s/node/<node>/{cordon,drain,status}        <m>/docker/{restart,status,stop}
//   <m>/nvidia/gpu/<i>/{power_cap,status,thermal}
//   <m>/tickets/{spec,status,deadletter}[.snapshot]  /proc/host/tickets (counters)
// A status write replaces the value (the original's semantics); a new unit, node or GPU is added
// by its first status publish, up to the manifest's bound. Every write is queen-only and passes
// the lifecycle's host-publish gate; sink writes and changed values are logged `host-write …`.
// Ticket lines are validated strictly at append (host-ticket/v1, host-ticket-result/v1) and a
// refused line changes nothing.

import {
  CONSOLE_ECHO_MAX, HOST_ENABLE, HOST_GPUS_MAX, HOST_K8S_NODES, HOST_MOUNT_AT, HOST_NODES_MAX, HOST_NVIDIA_GPUS, HOST_RESULT_LINE_MAX,
  HOST_SINKS_TO_TICKETS, HOST_SINK_LINE_MAX, HOST_SNAPSHOT_LINES, HOST_STATUS_LINE_MAX, HOST_SYSTEMD_UNITS,
  HOST_TICKETS_ENABLE, HOST_TICKET_BYTES_MAX, HOST_TICKET_LINES_MAX, HOST_TICKET_LINE_MAX, HOST_UNITS_MAX,
} from "../../generated/manifest";
import { E_BUFFER_FULL, E_DENIED, E_INVALID_PAYLOAD, E_LIFECYCLE_DENIED, E_NOT_FOUND } from "../../generated/protocol";
import { J_NULL, J_OBJECT, J_STRING, JValue } from "../../json/json";
import { jsonString } from "../../json/string";
import { wall_ms } from "../../platform/abi";
import { onlyChars } from "../../text/charset";
import { RoleViews, VIEW_LIST_TREE, VIEW_READ } from "../access";
import { Fields } from "../ctl";
import { dirAt, Provider } from "../devtab";
import { LogFile } from "../files";
import { Caller, Dir, ERR_NOT_FOUND, F_CONTROL, F_DATA, F_TRACED, File, MODE_AO, MODE_QUEEN_AO, MODE_RO, Node, NsError, SYSTEM_ROLE, ViewFile } from "../node";
import { checkPath, PATH_EXACT } from "../path";
import { GATE_HOST_PUBLISH, Lifecycle } from "./lifecycle";

const UNPUBLISHED = "state=unknown reason=unpublished";

function refuse(why: string): NsError {
  return new NsError(E_INVALID_PAYLOAD, "invalid payload: " + why);
}

function hasControl(s: string): bool {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

function chomp(s: string): string {
  if (s.endsWith("\r\n")) return s.substring(0, s.length - 2);
  if (s.endsWith("\n")) return s.substring(0, s.length - 1);
  return s;
}

function split(list: string): string[] {
  return list.length == 0 ? [] : list.split(",");
}

// ---- entities (units, nodes, GPUs, the docker daemon) ----------------------------------------

const G_SYSTEMD: i32 = 0;
const G_NODE: i32 = 1;
const G_GPU: i32 = 2;
const G_DOCKER: i32 = 3;

/** One kind of entity: its names, the files each has (sorted) and their last values. */
class Group {
  names: string[] = [];
  values: string[][] = [];
  constructor(public kind: i32, public path: string, public files: string[], public max: i32) {}

  index(name: string): i32 {
    return this.names.indexOf(name);
  }

  /** Adds `name` in sorted place with the files' initial values; -1 when the group is full. */
  add(name: string): i32 {
    if (this.names.length >= this.max) return -1;
    const v: string[] = [];
    for (let i = 0; i < this.files.length; i++) v.push(initial(this.files[i]));
    // Insertion step (AssemblyScript's splice cannot insert): push, then move left past larger names.
    this.names.push(name);
    this.values.push(v);
    let at = this.names.length - 1;
    for (; at > 0 && this.names[at - 1] > name; at--) {
      this.names[at] = this.names[at - 1];
      this.values[at] = this.values[at - 1];
      this.names[at - 1] = name;
      this.values[at - 1] = v;
    }
    return at;
  }

  validName(name: string): bool {
    if (this.kind == G_SYSTEMD) return name.length <= 64 && name != "status" && name != "." && name != ".." && onlyChars(name, ":_.@-");
    if (this.kind == G_NODE) return name.length <= 63 && name.charCodeAt(0) != 0x2d && name.charCodeAt(0) != 0x2e && onlyChars(name, ".-", true);
    if (this.kind == G_GPU) return name.length <= 2 && onlyChars(name, "") && onlyDigits(name);
    return false;
  }
}

function onlyDigits(s: string): bool {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) < 0x30 || s.charCodeAt(i) > 0x39) return false;
  return s.length > 0;
}

function initial(file: string): string {
  if (file == "status") return UNPUBLISHED;
  if (file == "thermal") return "temp_c=unknown";
  return ""; // control sinks start empty
}

function isStatus(file: string): bool {
  return file == "status" || file == "thermal";
}

/** The ticket action a control sink stands for ("" = none: power_cap is only logged). */
function sinkAction(kind: i32, file: string): string {
  if (kind == G_SYSTEMD) return "systemd." + file;
  if (kind == G_NODE) return "k8s." + file;
  if (kind == G_DOCKER) return "docker." + file;
  return "";
}

/** The original's control labels (`control=` of host-write). */
function sinkLabel(kind: i32, file: string): string {
  if (kind == G_GPU) return "nvidia." + file;
  return sinkAction(kind, file);
}

// ---- tickets ---------------------------------------------------------------------------------

const T_SPEC: i32 = 0;
const T_STATUS: i32 = 1;
const T_DEAD: i32 = 2;
const TICKET_FILES = ["spec", "status", "deadletter"];
const RESULT_STATES = ["claimed", "running", "succeeded", "failed", "expired"];

const SPEC_FIELDS = ["writer_epoch", "schema", "id", "idempotency_key", "action", "target", "args", "expires_unix_ms", "source_hive", "target_hive", "relay_hop", "relay_correlation_id", "receipt_mode"];
const RESULT_FIELDS = ["writer_epoch", "schema", "id", "idempotency_key", "action", "state", "message", "source_hive", "target_hive", "relay_hop", "relay_correlation_id", "receipt_mode"];

/** The original's token rule: 1..128 bytes of [A-Za-z0-9._:-], not starting with `-`. */
function tokenOk(v: JValue | null): bool {
  return v != null && v.kind == J_STRING && v.s.length > 0 && v.s.length <= 128 && v.s.charCodeAt(0) != 0x2d && onlyChars(v.s, "._:-");
}

class TicketLog {
  lines: string[] = [];
  keys: string[] = []; // `<len(id)>:<id>:<key>` of each line (the original's compatibility key)
  bytes: i32 = 0;
  refused: u64 = 0;
}

/** The fields both schemas share; the first failure is the refusal. */
function commonFields(f: Fields, isResult: bool): void {
  const o = f.obj;
  for (let i = 0; i < o.keys.length; i++) for (let j = 0; j < i; j++) if (o.keys[i] == o.keys[j]) f.fail("duplicate field " + o.keys[i]);
  const schema = isResult ? "host-ticket-result/v1" : "host-ticket/v1";
  const sv = o.get("schema");
  if (sv == null) f.fail("missing schema");
  else if (sv.kind != J_STRING || sv.s != schema) f.fail("schema must be " + schema + (isResult ? "" : " (v2 requests are not served)"));
  const names = ["id", "idempotency_key", "action"];
  for (let i = 0; i < names.length; i++) {
    if (!o.has(names[i])) f.fail("missing " + names[i]);
    else if (!tokenOk(o.get(names[i]))) f.fail(names[i] + " must be 1-128 characters of [A-Za-z0-9._:-], not starting with -");
  }
  if (o.has("writer_epoch")) f.int("writer_epoch", 1, i64.MAX_VALUE);
  const src = o.has("source_hive"), dst = o.has("target_hive");
  if (src != dst) f.fail("source_hive and target_hive go together");
  if (src && !tokenOk(o.get("source_hive"))) f.fail("source_hive must be a token");
  if (dst && !tokenOk(o.get("target_hive"))) f.fail("target_hive must be a token");
  if (o.has("relay_hop")) f.int("relay_hop", 1, 32);
  if (o.has("relay_correlation_id") && !tokenOk(o.get("relay_correlation_id"))) f.fail("relay_correlation_id must be a token");
  if (o.has("receipt_mode")) f.oneOf("receipt_mode", ["none"], "receipt_mode must be none (worker receipts are v2)");
}

function checkSpec(line: string, mount: string): NsError | null {
  const f = Fields.of(line, SPEC_FIELDS);
  if (!f.ok) return f.error();
  commonFields(f, false);
  const o = f.obj;
  const t = o.get("target");
  if (t != null) {
    if (t.kind != J_STRING || String.UTF8.byteLength(t.s) > 255 || checkPath(t.s, PATH_EXACT) != null) f.fail("target must be a namespace path of at most 255 bytes");
  }
  const a = o.get("args");
  if (a != null && a.kind != J_OBJECT && a.kind != J_NULL) f.fail("args must be an object");
  if (o.has("expires_unix_ms")) f.int("expires_unix_ms", 1, i64.MAX_VALUE);
  if (f.ok) {
    // Its shortest terminal receipt must fit a receipt line, or the ticket could never be answered.
    // The original's bound: result_line_max, or echo_max when the request carries writer_epoch.
    const n = receiptBytes(o);
    const epoch = o.has("writer_epoch");
    const max = epoch ? min<i32>(HOST_RESULT_LINE_MAX, CONSOLE_ECHO_MAX) : HOST_RESULT_LINE_MAX;
    if (n > max) f.fail("its receipt would be " + n.toString() + " bytes, more than " + (epoch ? "the writer_epoch receipt bound " : "result_line_max ") + max.toString() + " (shorten id, idempotency_key or action)");
  }
  return f.error();
}

/** Bytes of the ticket's `succeeded` receipt without a message (the fields host-ticket-agent echoes). */
function receiptBytes(o: JValue): i32 {
  let s = '{"schema":"host-ticket-result/v1","id":' + jsonString(str(o, "id")) + ',"idempotency_key":' + jsonString(str(o, "idempotency_key")) + ',"action":' + jsonString(str(o, "action")) + ',"state":"succeeded"';
  const echoed = ["writer_epoch", "source_hive", "target_hive", "relay_hop", "relay_correlation_id", "receipt_mode"];
  for (let i = 0; i < echoed.length; i++) {
    const v = o.get(echoed[i]);
    if (v == null) continue;
    s += ',"' + echoed[i] + '":' + (v.kind == J_STRING ? jsonString(v.s) : v.n.toString());
  }
  return String.UTF8.byteLength(s + "}");
}

function checkResult(line: string, which: i32): NsError | null {
  const f = Fields.of(line, RESULT_FIELDS);
  if (!f.ok) return f.error();
  commonFields(f, true);
  const st = f.obj.get("state");
  if (st == null || st.kind != J_STRING || !RESULT_STATES.includes(st.s)) f.fail("state must be claimed, running, succeeded, failed or expired");
  else {
    const terminalBad = st.s == "failed" || st.s == "expired";
    if (which == T_STATUS && terminalBad) f.fail("state " + st.s + " belongs in deadletter");
    if (which == T_DEAD && !terminalBad) f.fail("state " + st.s + " belongs in status");
  }
  const m = f.obj.get("message");
  if (m != null && (m.kind != J_STRING || String.UTF8.byteLength(m.s) > 192 || hasControl(m.s))) f.fail("message must be a string of at most 192 bytes without control characters");
  return f.error();
}

function str(o: JValue, k: string): string {
  const v = o.get(k);
  return v != null && v.kind == J_STRING ? v.s : "";
}

// ---- the provider's state --------------------------------------------------------------------

export class Host {
  groups: Group[] = [];
  tickets: TicketLog[] = [new TicketLog(), new TicketLog(), new TicketLog()];
  stateCounts: u64[] = [0, 0, 0, 0, 0];
  sinkSeq: u64 = 0;
  mount: string = HOST_MOUNT_AT;

  constructor(private log: LogFile, private lifecycle: Lifecycle) {
    this.groups.push(new Group(G_SYSTEMD, "systemd", ["restart", "start", "status", "stop"], HOST_UNITS_MAX));
    this.groups.push(new Group(G_NODE, "k8s/node", ["cordon", "drain", "status"], HOST_NODES_MAX));
    this.groups.push(new Group(G_GPU, "nvidia/gpu", ["power_cap", "status", "thermal"], HOST_GPUS_MAX));
    this.groups.push(new Group(G_DOCKER, "docker", ["restart", "status", "stop"], 1));
    const boot = [split(HOST_SYSTEMD_UNITS), split(HOST_K8S_NODES), split(HOST_NVIDIA_GPUS), [""]];
    for (let g = 0; g < 4; g++) for (let i = 0; i < boot[g].length; i++) if (this.groups[g].index(boot[g][i]) < 0) this.groups[g].add(boot[g][i]);
  }

  path(g: Group, name: string, file: string): string {
    return this.mount + "/" + g.path + (name.length > 0 ? "/" + name : "") + "/" + file;
  }

  private audit(outcome: string, who: Caller, path: string, control: string, bytes: i32): void {
    this.log.system("host-write outcome=" + outcome + " role=" + who.role + " ticket=" + who.ticket + " path=" + path + (control.length > 0 ? " control=" + control : "") + (bytes >= 0 ? " bytes=" + bytes.toString() : ""));
  }

  /** One write to an entity file (the group's `file` of entity `name`). */
  write(g: Group, name: string, file: string, line: string, who: Caller): NsError | null {
    const path = this.path(g, name, file);
    const value = chomp(line).trim();
    const bytes = String.UTF8.byteLength(value);
    const status = isStatus(file);
    const control = status ? "" : sinkLabel(g.kind, file);
    if (who.role != "queen" && who.role != SYSTEM_ROLE) {
      this.audit("deny", who, path, control, bytes);
      return new NsError(E_DENIED, "EPERM");
    }
    if (!this.lifecycle.gate(GATE_HOST_PUBLISH)) {
      this.audit("deny", who, path, control, bytes);
      return new NsError(E_LIFECYCLE_DENIED, "gate host-publish closed state=" + this.lifecycle.state);
    }
    const max = status ? HOST_STATUS_LINE_MAX : HOST_SINK_LINE_MAX;
    if (bytes > max) return refuse(file + " value is " + bytes.toString() + " bytes, more than " + max.toString());
    if (status && bytes == 0) return refuse("empty status value");
    if (hasControl(value)) return refuse("control characters in the value");
    let at = g.index(name);
    if (at < 0) {
      if (!status) return new NsError(E_NOT_FOUND, "no such " + g.path + " " + name);
      at = g.add(name);
      if (at < 0) return new NsError(E_BUFFER_FULL, g.path + " holds its maximum of " + g.max.toString());
    }
    const fi = g.files.indexOf(file);
    const changed = g.values[at][fi] != value;
    if (!status && HOST_SINKS_TO_TICKETS != 0 && HOST_TICKETS_ENABLE != 0) {
      const action = sinkAction(g.kind, file);
      if (action.length > 0) {
        const err = this.sinkTicket(g, name, file, action, value);
        if (err != null) return err;
      }
    }
    g.values[at][fi] = value;
    if (!status || changed) this.audit("allow", who, path, control, bytes);
    return null;
  }

  /** A sink write as a ticket: `sink-<boot wall ms>-<n>` keys never repeat across boots. */
  private sinkTicket(g: Group, name: string, file: string, action: string, value: string): NsError | null {
    const n = this.sinkSeq + 1;
    const id = "sink-" + n.toString();
    let args = "";
    if (g.kind == G_DOCKER) {
      if (value.length == 0 || value.length > 128 || !onlyChars(value, "._-")) return refuse("docker " + file + " needs a container name");
      args = ',"args":{"container":' + jsonString(value) + "}";
    }
    const target = g.kind == G_DOCKER ? "" : ',"target":' + jsonString(this.path(g, name, file));
    const line = '{"schema":"host-ticket/v1","id":"' + id + '","idempotency_key":"sink-' + bootMs.toString() + "-" + n.toString() + '","action":"' + action + '"' + target + args + "}";
    const err = this.appendTicket(T_SPEC, line);
    if (err == null) this.sinkSeq = n;
    return err;
  }

  appendTicket(which: i32, line: string): NsError | null {
    const t = this.tickets[which];
    const l = chomp(line);
    const bytes = String.UTF8.byteLength(l);
    const max = which == T_SPEC ? HOST_TICKET_LINE_MAX : HOST_RESULT_LINE_MAX;
    let err: NsError | null = null;
    if (bytes > max) err = refuse("line is " + bytes.toString() + " bytes, more than " + max.toString());
    else err = which == T_SPEC ? checkSpec(l, this.mount) : checkResult(l, which);
    let key = "";
    if (err == null) {
      const f = Fields.of(l, []);
      const id = str(f.obj, "id");
      key = id.length.toString() + ":" + id + ":" + str(f.obj, "idempotency_key");
      if (which != T_SPEC && !this.tickets[T_SPEC].keys.includes(key)) err = new NsError(E_NOT_FOUND, "no ticket " + id + " with that idempotency_key in spec");
      if (err == null && (t.lines.length >= HOST_TICKET_LINES_MAX || t.bytes + bytes > HOST_TICKET_BYTES_MAX)) {
        err = new NsError(E_BUFFER_FULL, "tickets/" + TICKET_FILES[which] + " is full (lines=" + t.lines.length.toString() + " bytes=" + t.bytes.toString() + ")");
      }
      if (err == null && which != T_SPEC) this.stateCounts[RESULT_STATES.indexOf(str(f.obj, "state"))]++;
    }
    if (err != null) {
      t.refused++;
      return err;
    }
    t.lines.push(l);
    t.keys.push(key);
    t.bytes += bytes;
    return null;
  }
}

/** The wall clock at boot: sink ticket keys of two boots never collide. */
let bootMs: u64 = 0;

// ---- files and directories -------------------------------------------------------------------

class EntityFile extends File {
  constructor(private h: Host, private g: Group, private entity: string, name: string) {
    super(name, MODE_AO, isStatus(name) ? F_DATA : F_CONTROL); // the view keeps workers out; write() logs a deny
  }
  read(): string[] {
    const at = this.g.index(this.entity);
    if (at < 0) return [];
    const v = this.g.values[at][this.g.files.indexOf(this.name)];
    return v.length == 0 ? [] : [v];
  }
  readError(): NsError | null {
    return this.g.index(this.entity) < 0 ? ERR_NOT_FOUND : null;
  }
  append(line: string, who: Caller): NsError | null {
    return this.h.write(this.g, this.entity, this.name, line, who);
  }
  oneRecordPerWrite(): bool {
    return true;
  }
}

/** One unit, node or GPU (or, not yet published, a name its first status write will add). */
class EntityDir extends Dir {
  constructor(private h: Host, private g: Group, name: string) {
    super(name);
    for (let i = 0; i < g.files.length; i++) this.add(new EntityFile(h, g, name, g.files[i]));
  }
  entries(): Node[] {
    return this.g.index(this.name) < 0 ? [] : this.children;
  }
}

/** systemd/, k8s/node/, nvidia/gpu/: the group's entities; any valid name can be published. */
class GroupDir extends Dir {
  constructor(private h: Host, private g: Group, name: string) {
    super(name);
  }
  entries(): Node[] {
    const out: Node[] = [];
    let summary = this.g.kind == G_SYSTEMD;
    for (let i = 0; i < this.g.names.length; i++) {
      if (summary && this.g.names[i] > "status") {
        out.push(this.find("status")!);
        summary = false;
      }
      out.push(new EntityDir(this.h, this.g, this.g.names[i]));
    }
    if (summary) out.push(this.find("status")!);
    return out;
  }
  find(name: string): Node | null {
    if (this.g.kind == G_SYSTEMD && name == "status") return new ViewFile<Group>("status", this.g, (g: Group): string[] => {
      const out: string[] = [];
      for (let i = 0; i < g.names.length; i++) out.push("unit=" + g.names[i] + " " + g.values[i][g.files.indexOf("status")]);
      return out;
    });
    return this.g.validName(name) ? new EntityDir(this.h, this.g, name) : null;
  }
}

class TicketFile extends File {
  constructor(private h: Host, private which: i32) {
    super(TICKET_FILES[which], MODE_QUEEN_AO, F_TRACED);
  }
  read(): string[] {
    return this.h.tickets[this.which].lines;
  }
  append(line: string, who: Caller): NsError | null {
    return this.h.appendTicket(this.which, line);
  }
  summary(): string {
    const t = this.h.tickets[this.which];
    return "lines=" + t.lines.length.toString() + " bytes=" + t.bytes.toString();
  }
  oneRecordPerWrite(): bool {
    return true;
  }
}

class SnapshotFile extends File {
  constructor(private h: Host, private which: i32) {
    super(TICKET_FILES[which] + ".snapshot", MODE_RO);
  }
  read(): string[] {
    const l = this.h.tickets[this.which].lines;
    return l.length <= HOST_SNAPSHOT_LINES ? l : l.slice(l.length - HOST_SNAPSHOT_LINES);
  }
}

function ticketCounters(h: Host): string[] {
  const t = h.tickets;
  const c = h.stateCounts;
  return [
    "spec=" + t[0].lines.length.toString() + " status=" + t[1].lines.length.toString() + " deadletter=" + t[2].lines.length.toString(),
    "bytes spec=" + t[0].bytes.toString() + " status=" + t[1].bytes.toString() + " deadletter=" + t[2].bytes.toString(),
    "refused spec=" + t[0].refused.toString() + " status=" + t[1].refused.toString() + " deadletter=" + t[2].refused.toString(),
    "claimed=" + c[0].toString() + " running=" + c[1].toString() + " succeeded=" + c[2].toString() + " failed=" + c[3].toString() + " expired=" + c[4].toString(),
    "sink_tickets=" + h.sinkSeq.toString(),
    "max_lines=" + HOST_TICKET_LINES_MAX.toString() + " max_bytes=" + HOST_TICKET_BYTES_MAX.toString() + " line_max=" + HOST_TICKET_LINE_MAX.toString() + " result_line_max=" + HOST_RESULT_LINE_MAX.toString(),
  ];
}

/** The devtab row: /host when [host] enable = 1; workers read and list it, only the queen writes. */
export class HostProvider extends Provider {
  constructor(private h: Host) {
    super();
  }
  mount(root: Dir, views: RoleViews): void {
    if (HOST_ENABLE == 0) return;
    bootMs = wall_ms();
    const m = dirAt(root, this.h.mount);
    for (let i = 0; i < 3; i++) {
      const g = this.h.groups[i];
      const parts = g.path.split("/");
      const parent = parts.length > 1 ? m.sub(parts[0]) : m;
      parent.add(new GroupDir(this.h, g, parts[parts.length - 1]));
    }
    const docker = m.sub("docker");
    const dg = this.h.groups[G_DOCKER];
    for (let i = 0; i < dg.files.length; i++) docker.add(new EntityFile(this.h, dg, "", dg.files[i]));
    if (HOST_TICKETS_ENABLE != 0) {
      const t = m.sub("tickets");
      for (let i = 0; i < 3; i++) {
        t.add(new TicketFile(this.h, i));
        t.add(new SnapshotFile(this.h, i));
      }
      dirAt(root, "/proc/host").add(new ViewFile<Host>("tickets", this.h, ticketCounters));
    }
    const workers = ["worker-heartbeat", "worker-gpu", "worker-bus", "worker-lora"];
    views.grant(workers, VIEW_READ, this.h.mount);
    views.grant(workers, VIEW_LIST_TREE, this.h.mount);
  }
}
