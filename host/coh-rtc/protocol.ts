// The protocol spec (the Hubris idol idea): every table the guest and the host tools must agree
// on, written once. coh-rtc emits it into assembly/generated/protocol.ts (the core),
// host/generated/protocol.ts (host tools) and seL4-shim/generated/protocol.h (the shim), and
// `coh-rtc --check` fails when a generated copy drifts. Nothing here depends on a manifest.

import { TICKET_ROLES, TRACE_CATS } from "./schema.js";

export { TICKET_ROLES, TRACE_CATS };

/** The platform ABI (docs/PLATFORM_ABI.md): its version and the result codes of stream/dgram calls. */
export const ABI_VERSION = 1;
export const PLAT_CODES: ReadonlyArray<readonly [string, number, string]> = [
  ["PLAT_OK", 0, "done"],
  ["PLAT_UNSUPPORTED", -1, "the platform cannot do this (no network, port 0 or > 65535)"],
  ["PLAT_IN_USE", -2, "the port is already listened on / bound"],
  ["PLAT_NO_RESOURCES", -3, "no free slot, pcb or buffer"],
];

/** Role spellings a session may use for a ticket role (the original's `worker`). */
export const ROLE_ALIASES: Readonly<Record<string, (typeof TICKET_ROLES)[number]>> = { worker: "worker-heartbeat" };

// ---- 9P ------------------------------------------------------------------------------------

export type P9Kind = "u8" | "u16" | "u32" | "u64" | "s" | "qid" | "qids" | "names" | "data";
/** A field: name, kind, and whether it (and all after it) may be absent (classic clients). */
export type P9Field = readonly [string, P9Kind] | readonly [string, P9Kind, "optional"];

/** Linux errno values carried by Rlerror, with the original's classic Rerror word for each. */
export const ERRNOS: ReadonlyArray<readonly [string, number, string]> = [
  ["EPERM", 1, "Permission"],
  ["ENOENT", 2, "NotFound"],
  ["EIO", 5, "Invalid"],
  ["EBADF", 9, "Closed"],
  ["EAGAIN", 11, "Busy"],
  ["EACCES", 13, "Permission"],
  ["EBUSY", 16, "Busy"],
  ["ENOTDIR", 20, "Invalid"],
  ["EISDIR", 21, "Invalid"],
  ["EINVAL", 22, "Invalid"],
  ["EMFILE", 24, "Busy"],
  ["EFBIG", 27, "TooBig"],
  ["EROFS", 30, "Permission"],
  ["ENAMETOOLONG", 36, "Invalid"],
  ["EPROTO", 71, "Invalid"],
  ["EMSGSIZE", 90, "TooBig"],
  ["EOPNOTSUPP", 95, "Invalid"],
  ["EDQUOT", 122, "TooBig"],
];

/**
 * 9P2000.L messages (and the classic ones the original's clients use): name, type, fields. A
 * reply's type is its request's + 1 (checked by coh-rtc); Rlerror and Rerror stand alone.
 */
export const P9_MESSAGES: ReadonlyArray<readonly [string, number, readonly P9Field[]]> = [
  ["Rlerror", 7, [["ecode", "u32"]]],
  ["Tstatfs", 8, [["fid", "u32"]]],
  ["Rstatfs", 9, [["type", "u32"], ["bsize", "u32"], ["blocks", "u64"], ["bfree", "u64"], ["bavail", "u64"], ["files", "u64"], ["ffree", "u64"], ["fsid", "u64"], ["namelen", "u32"]]],
  ["Tlopen", 12, [["fid", "u32"], ["flags", "u32"]]],
  ["Rlopen", 13, [["qid", "qid"], ["iounit", "u32"]]],
  ["Tlcreate", 14, [["fid", "u32"], ["name", "s"], ["flags", "u32"], ["mode", "u32"], ["gid", "u32"]]],
  ["Rlcreate", 15, [["qid", "qid"], ["iounit", "u32"]]],
  ["Tsymlink", 16, [["fid", "u32"], ["name", "s"], ["symtgt", "s"], ["gid", "u32"]]],
  ["Tmknod", 18, [["dfid", "u32"], ["name", "s"], ["mode", "u32"], ["major", "u32"], ["minor", "u32"], ["gid", "u32"]]],
  ["Trename", 20, [["fid", "u32"], ["dfid", "u32"], ["name", "s"]]],
  ["Treadlink", 22, [["fid", "u32"]]],
  ["Tgetattr", 24, [["fid", "u32"], ["mask", "u64"]]],
  ["Rgetattr", 25, [["valid", "u64"], ["qid", "qid"], ["mode", "u32"], ["uid", "u32"], ["gid", "u32"], ["nlink", "u64"], ["rdev", "u64"], ["size", "u64"], ["blksize", "u64"], ["blocks", "u64"],
    ["atime_sec", "u64"], ["atime_nsec", "u64"], ["mtime_sec", "u64"], ["mtime_nsec", "u64"], ["ctime_sec", "u64"], ["ctime_nsec", "u64"], ["btime_sec", "u64"], ["btime_nsec", "u64"], ["gen", "u64"], ["data_version", "u64"]]],
  ["Tsetattr", 26, [["fid", "u32"], ["valid", "u32"], ["mode", "u32"], ["uid", "u32"], ["gid", "u32"], ["size", "u64"], ["atime_sec", "u64"], ["atime_nsec", "u64"], ["mtime_sec", "u64"], ["mtime_nsec", "u64"]]],
  ["Txattrwalk", 30, [["fid", "u32"], ["newfid", "u32"], ["name", "s"]]],
  ["Txattrcreate", 32, [["fid", "u32"], ["name", "s"], ["attr_size", "u64"], ["flags", "u32"]]],
  ["Treaddir", 40, [["fid", "u32"], ["offset", "u64"], ["count", "u32"]]],
  ["Rreaddir", 41, [["data", "data"]]],
  ["Tfsync", 50, [["fid", "u32"], ["datasync", "u32", "optional"]]],
  ["Rfsync", 51, []],
  ["Tlock", 52, [["fid", "u32"], ["type", "u8"], ["flags", "u32"], ["start", "u64"], ["length", "u64"], ["proc_id", "u32"], ["client_id", "s"]]],
  ["Tgetlock", 54, [["fid", "u32"], ["type", "u8"], ["start", "u64"], ["length", "u64"], ["proc_id", "u32"], ["client_id", "s"]]],
  ["Tlink", 70, [["dfid", "u32"], ["fid", "u32"], ["name", "s"]]],
  ["Tmkdir", 72, [["dfid", "u32"], ["name", "s"], ["mode", "u32"], ["gid", "u32"]]],
  ["Trenameat", 74, [["olddirfid", "u32"], ["oldname", "s"], ["newdirfid", "u32"], ["newname", "s"]]],
  ["Tunlinkat", 76, [["dirfd", "u32"], ["name", "s"], ["flags", "u32"]]],
  ["Tversion", 100, [["msize", "u32"], ["version", "s"]]],
  ["Rversion", 101, [["msize", "u32"], ["version", "s"]]],
  ["Tauth", 102, [["afid", "u32"], ["uname", "s"], ["aname", "s"], ["n_uname", "u32"]]],
  ["Tattach", 104, [["fid", "u32"], ["afid", "u32"], ["uname", "s"], ["aname", "s"], ["n_uname", "u32", "optional"]]],
  ["Rattach", 105, [["qid", "qid"]]],
  ["Rerror", 107, [["code", "s"], ["message", "s"]]],
  ["Tflush", 108, [["oldtag", "u16"]]],
  ["Rflush", 109, []],
  ["Twalk", 110, [["fid", "u32"], ["newfid", "u32"], ["names", "names"]]],
  ["Rwalk", 111, [["qids", "qids"]]],
  ["Topen", 112, [["fid", "u32"], ["mode", "u8"]]],
  ["Ropen", 113, [["qid", "qid"], ["iounit", "u32"]]],
  ["Tcreate", 114, [["fid", "u32"], ["name", "s"], ["perm", "u32"], ["mode", "u8"]]],
  ["Tread", 116, [["fid", "u32"], ["offset", "u64"], ["count", "u32"]]],
  ["Rread", 117, [["data", "data"]]],
  ["Twrite", 118, [["fid", "u32"], ["offset", "u64"], ["data", "data"]]],
  ["Rwrite", 119, [["count", "u32"]]],
  ["Tclunk", 120, [["fid", "u32"]]],
  ["Rclunk", 121, []],
  ["Tremove", 122, [["fid", "u32"]]],
  ["Tstat", 124, [["fid", "u32"]]],
];

// ---- the error vocabulary ------------------------------------------------------------------

export type Reason = "busy" | "quota" | "cut" | "policy";

export interface ErrorSpec {
  /** The code's name (NsError's `code`; `E_<NAME>` in the core). */
  code: string;
  /** The console's `reason=`. */
  reason: Reason;
  /** The console's `detail=` word ("" = the refusal carries no detail, only `error=`). */
  detail: string;
  /** The 9P errno (Rlerror) — the classic Rerror word follows from ERRNOS. */
  errno: string;
  /** The HTTP status the gateway answers with (429/503 carry Retry-After). */
  http: number;
  /** What it means, for docs/CONSOLE.md's table. */
  doc: string;
}

export const ERRORS: readonly ErrorSpec[] = [
  { code: "invalid-path", reason: "policy", detail: "invalid-path", errno: "EINVAL", http: 400, doc: "the path breaks the path rule (relative, `.`/`..`, empty component, too long or deep)" },
  { code: "not-found", reason: "policy", detail: "not-found", errno: "ENOENT", http: 404, doc: "a well-formed name that does not exist (path, worker, lease, window)" },
  { code: "is-dir", reason: "policy", detail: "invalid-path", errno: "EISDIR", http: 400, doc: "a file operation on a directory" },
  { code: "not-dir", reason: "policy", detail: "invalid-path", errno: "ENOTDIR", http: 400, doc: "a directory operation on a file" },
  { code: "denied", reason: "policy", detail: "denied", errno: "EACCES", http: 403, doc: "the role view, the file's mode or the policy gate refuses" },
  { code: "scope", reason: "policy", detail: "", errno: "EACCES", http: 403, doc: "the ticket's scopes do not cover the path or the verb" },
  { code: "rate", reason: "quota", detail: "", errno: "EDQUOT", http: 429, doc: "a ticket scope's rate window is full" },
  { code: "invalid-payload", reason: "policy", detail: "invalid-payload", errno: "EINVAL", http: 400, doc: "a control line that is not the file's grammar" },
  { code: "buffer-full", reason: "quota", detail: "buffer-full", errno: "EDQUOT", http: 429, doc: "a bounded table, queue or record is full" },
  { code: "budget", reason: "quota", detail: "budget", errno: "EDQUOT", http: 429, doc: "a worker's ops budget, or a session ticket's ops or ticks, is used up (a session is then detached)" },
  { code: "lease-quota", reason: "quota", detail: "lease-quota", errno: "EDQUOT", http: 429, doc: "a lease quota (max_active, max_preemptions) is reached" },
  { code: "worker-limit", reason: "busy", detail: "worker-limit", errno: "EBUSY", http: 503, doc: "the guest holds workers.max workers" },
  { code: "lifecycle-denied", reason: "policy", detail: "lifecycle-denied", errno: "EPERM", http: 409, doc: "the node's lifecycle state closes this gate or forbids the transition" },
  { code: "window-closed", reason: "policy", detail: "window-closed", errno: "EINVAL", http: 409, doc: "the export window is already closed" },
  { code: "expired", reason: "quota", detail: "expired", errno: "EACCES", http: 401, doc: "the session's ticket ran past its ttl: the session is detached; attach again with a fresh ticket" },
  { code: "out-of-window", reason: "policy", detail: "out-of-window", errno: "EINVAL", http: 416, doc: "a replay cursor outside the journal's retention window" },
  { code: "rate-limited", reason: "busy", detail: "rate-limited", errno: "EAGAIN", http: 429, doc: "a costly request (a replay) came sooner than its manifest rate allows; retry later" },
  { code: "busy", reason: "busy", detail: "busy", errno: "EBUSY", http: 429, doc: "the resource is held by someone else (a leased GPU, another session's publish in progress)" },
];

// ---- the console verbs ---------------------------------------------------------------------

export type Need = "none" | "attached" | "queen";

export interface VerbSpec {
  verb: string;
  /** The ack label (`OK <LABEL>`, `ERR <LABEL>`). */
  label: string;
  /** What the session must be before the verb runs. */
  needs: Need;
  /** True when the ack is followed by lines and `END`. */
  streamed: boolean;
  help: string;
}

/** The TCP console's verbs, in HELP order (the first six are the diagnostic verbs the serial console shares). */
export const VERBS: readonly VerbSpec[] = [
  { verb: "help", label: "HELP", needs: "none", streamed: false, help: "Show this help" },
  { verb: "bi", label: "BOOTINFO", needs: "none", streamed: false, help: "Show bootinfo summary" },
  { verb: "caps", label: "CAPS", needs: "none", streamed: false, help: "Show capability slots" },
  { verb: "mem", label: "MEM", needs: "none", streamed: false, help: "Show untyped summary" },
  { verb: "ping", label: "PING", needs: "none", streamed: false, help: "Respond with pong" },
  { verb: "test", label: "TEST", needs: "none", streamed: false, help: "Self-tests run host-side (cohsh test)" },
  { verb: "nettest", label: "NETTEST", needs: "none", streamed: false, help: "Report the network self-test" },
  { verb: "netstats", label: "NETSTATS", needs: "none", streamed: false, help: "Show network counters" },
  { verb: "attach", label: "ATTACH", needs: "none", streamed: false, help: "Attach this session to a role" },
  { verb: "log", label: "LOG", needs: "queen", streamed: true, help: "Show the queen log (queen)" },
  { verb: "tail", label: "TAIL", needs: "attached", streamed: true, help: "Show a file's lines" },
  { verb: "cat", label: "CAT", needs: "attached", streamed: true, help: "Show a file" },
  { verb: "ls", label: "LS", needs: "attached", streamed: true, help: "List a directory" },
  { verb: "echo", label: "ECHO", needs: "attached", streamed: false, help: "Append one record to a file" },
  { verb: "spawn", label: "SPAWN", needs: "queen", streamed: false, help: "Write a spawn request to /queen/ctl (queen)" },
  { verb: "kill", label: "KILL", needs: "queen", streamed: false, help: "Write a kill request to /queen/ctl (queen)" },
  { verb: "quit", label: "QUIT", needs: "none", streamed: false, help: "Close this session" },
];

/** The help line's argument synopsis per verb (HELP shows `verb args - help`). */
export const VERB_ARGS: Readonly<Record<string, string>> = {
  attach: "<role> [ticket]",
  tail: "<path>",
  cat: "<path>",
  ls: "<path>",
  echo: "<path> <payload>",
  spawn: "<json>",
  kill: "<worker>",
};

/** The bytes of a CAT ack's one-line `data=` summary, `path=… data=` included. */
export const CAT_SUMMARY_MAX = 128;

// ---- lifecycle -----------------------------------------------------------------------------

export const LIFECYCLE_STATES = ["BOOTING", "DEGRADED", "ONLINE", "DRAINING", "QUIESCED", "OFFLINE"] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

export interface TransitionSpec {
  cmd: string;
  to: LifecycleState;
  /** States the command is accepted in ("*" = any state but `to`). */
  from: readonly LifecycleState[] | "*";
  /** Refused while workers or leases are outstanding. */
  needsIdle: boolean;
}

/** Operator commands on /queen/lifecycle/ctl. */
export const LIFECYCLE_TRANSITIONS: readonly TransitionSpec[] = [
  { cmd: "cordon", to: "DRAINING", from: ["ONLINE", "DEGRADED"], needsIdle: false },
  { cmd: "drain", to: "QUIESCED", from: ["DRAINING"], needsIdle: true },
  { cmd: "quiesce", to: "QUIESCED", from: ["ONLINE", "DEGRADED", "DRAINING"], needsIdle: true },
  { cmd: "resume", to: "ONLINE", from: "*", needsIdle: false },
  { cmd: "reset", to: "BOOTING", from: "*", needsIdle: true },
];

/** Gates: which kinds of new work each state admits (ONLINE and DEGRADED admit everything). */
export const LIFECYCLE_GATES = ["new-work", "telemetry-ingest", "worker-attach", "worker-telemetry", "worker-job", "host-publish"] as const;
export const DRAINING_OPEN_GATES: readonly (typeof LIFECYCLE_GATES)[number][] = ["telemetry-ingest", "worker-attach", "worker-telemetry"];

// ---- /queen/ctl request shapes -------------------------------------------------------------

/** Integer fields of /queen/ctl requests: [min, max] (the guest refuses anything else). */
export const QUEEN_CTL_BOUNDS = {
  ticks: [0, 1_000_000_000],
  ops: [0, 1_000_000_000],
  ttl_s: [0, 86_400 * 30],
  mem_mb: [0, 1 << 24],
  streams: [0, 1024],
  priority: [0, 255],
} as const;

/** The fields each /queen/ctl request may carry (the first key names the request). */
export const QUEEN_CTL_SHAPES = {
  "spawn:heartbeat": { required: ["spawn", "ticks"], optional: ["budget"] },
  "spawn:gpu": { required: ["spawn", "lease"], optional: ["budget"] },
  lease: { required: ["gpu_id", "mem_mb", "streams", "ttl_s"], optional: ["priority"] },
  budget: { required: [], optional: ["ttl_s", "ops"] },
  kill: { required: ["kill"], optional: [] },
  bind: { required: ["from", "to"], optional: [] },
  mount: { required: ["service", "at"], optional: [] },
} as const;

/** The most binds (and, separately, mounts) /queen/ctl holds. */
export const QUEEN_CTL_MAX_BINDS = 8;
