// The one namespace client every host tool calls, whatever carries it: the console protocol
// (ns_console.ts), Secure9P (ns_9p.ts) or hive-gateway's REST API (rest/, from the gateway).
// Browser-safe: no Node imports here, so swarmui can import it.
//
// Error style of the SDK: at I/O boundaries (these methods) a refusal by the hive is thrown as
// an NsRefusal and a broken connection as NsClosed; pure codecs return Result values instead.

import { MANIFEST } from "../generated/manifest.js";
import { ERRORS } from "../generated/protocol.js";

export interface NsCaps {
  /** Which protocol carries the calls. */
  protocol: "console" | "9p" | "rest";
  /** Largest record one append() carries (console: echo_max; 9P: msize minus the Twrite header). */
  maxRecord: number;
  /** readBytes() returns a file's raw bytes (false on the console, which is line-oriented). */
  binary: boolean;
  /** Calls may be in flight together (9P tags, REST requests); false = the client serialises them. */
  concurrent: boolean;
}

/** Console reason words (docs/CONSOLE.md); `unsupported` is the SDK's own (the protocol cannot). */
export type RefusalReason = "policy" | "busy" | "quota" | "cut" | "invalid-transition" | "unsupported" | (string & {});

export interface NsRefusalInit {
  reason: RefusalReason;
  detail: string;
  /** The console verb or 9P message the refusal answers (LS, CAT, ECHO, Tattach…). */
  op?: string;
  path?: string;
  /** Linux errno (9P) when known. */
  errno?: number;
  /** Errno name (ENOENT) or the classic Rerror code. */
  errnoName?: string;
  /** HTTP status the gateway uses for this refusal. */
  httpStatus?: number;
  /** The exact console line (`ERR …`) when the console produced it. */
  line?: string;
}

/** The hive said no: a typed refusal carrying every surface's words for it. */
export class NsRefusal extends Error implements NsRefusalInit {
  override readonly name = "NsRefusal";
  readonly reason: RefusalReason;
  readonly detail: string;
  readonly op?: string;
  readonly path?: string;
  readonly errno?: number;
  readonly errnoName?: string;
  readonly httpStatus?: number;
  readonly line?: string;

  constructor(init: NsRefusalInit) {
    super(`${init.op ? init.op + ": " : ""}${init.reason}${init.detail ? ` (${init.detail})` : ""}${init.path ? ` at ${init.path}` : ""}`);
    this.reason = init.reason;
    this.detail = init.detail;
    this.op = init.op;
    this.path = init.path;
    this.errno = init.errno;
    this.errnoName = init.errnoName;
    this.httpStatus = init.httpStatus ?? httpStatusOf(init.reason, init.detail);
    this.line = init.line;
  }
}

/** The connection is gone (or never came up); the call may or may not have run. */
export class NsClosed extends Error {
  override readonly name: string = "NsClosed";
}

/** No answer in time; the call may or may not have run. */
export class NsTimeout extends NsClosed {
  override readonly name = "NsTimeout";
}

// The gateway's status for a refusal: the generated error vocabulary by console detail or errno
// (429 for busy/quota, with Retry-After at the gateway), then by reason.
export function httpStatusOf(reason: string, detail: string): number {
  const row = ERRORS.find((e) => e.detail !== "" && e.detail === detail) ?? ERRORS.find((e) => e.errno === detail);
  if (row) return row.http;
  if (reason === "busy" || reason === "quota") return 429;
  if (reason === "unsupported") return 501;
  if (detail === "unauthenticated" || detail.startsWith("not-attached") || detail === "ticket-required") return 401;
  if (reason === "invalid-transition") return 409;
  if (detail.startsWith("missing")) return 400;
  return 403;
}

export interface AppendResult {
  /** Bytes of the record as the hive counted them. */
  bytes: number;
}

export interface FollowOptions {
  signal: AbortSignal;
  /** Each line that appeared since the previous poll (the first call gets the snapshot). */
  onLines: (lines: string[]) => void;
  pollMs?: number;
}

export interface NamespaceClient {
  readonly caps: NsCaps;
  /** The attached role, or null before attach / after a refusal. */
  readonly role: string | null;
  /** Attaches as `role` (aliases such as `worker` allowed); the queen needs a ticket over 9P/REST. */
  attach(role: string, ticket?: string): Promise<void>;
  /** Names in a directory, in the hive's order. */
  ls(path: string): Promise<string[]>;
  /** A text file as lines (no trailing empty line). */
  read(path: string): Promise<string[]>;
  /** A file's raw bytes; NsRefusal(reason=unsupported) where caps.binary is false. */
  readBytes(path: string): Promise<Uint8Array>;
  /** Appends one record (the client adds no newline on the console; 9P writes record + "\n"). */
  append(path: string, record: string): Promise<AppendResult>;
  /**
   * Raw bytes to a file that takes them (/updates chunks and manifests), where the transport carries
   * bytes (Secure9P); absent elsewhere, where such files take `b64:` records through append().
   */
  appendBytes?(path: string, data: Uint8Array, onWrite?: (n: number) => void): Promise<AppendResult>;
  /** The last `console.log_lines` lines of a file: what one console TAIL shows. */
  tail(path: string): Promise<string[]>;
  /** Polls tail() until the signal aborts, handing over only new lines. */
  follow(path: string, opts: FollowOptions): Promise<void>;
  close(): Promise<void>;
}

/** Refuses, before anything is sent, a record the connection cannot carry as one append. */
export function checkRecord(record: string, maxRecord: number, path: string): void {
  if (/[\r\n]/.test(record)) throw new NsRefusal({ op: "ECHO", reason: "policy", detail: "a record is one line (no CR/LF)", path, httpStatus: 400 });
  const n = new TextEncoder().encode(record).length;
  if (n > maxRecord) throw new NsRefusal({ op: "ECHO", reason: "quota", detail: `record ${n} bytes > ${maxRecord}`, path, httpStatus: 413 });
}

/**
 * The largest record one console ECHO (direct or through the gateway) carries to `path`: echo_max,
 * except host tickets and receipts, which the guest lets fill the console line (docs/HOST.md).
 */
export function consoleRecordMax(path: string): number {
  if (path.startsWith(MANIFEST.host.mount_at + "/tickets/")) return MANIFEST.console.line_max - new TextEncoder().encode(`ECHO ${path} `).length;
  return MANIFEST.console.echo_max;
}

/** Lines of `now` that follow the longest suffix of `before` found at its start. */
export function newLines(before: string[], now: string[]): string[] {
  for (let k = Math.min(before.length, now.length); k > 0; k--) {
    let match = true;
    for (let i = 0; i < k; i++) {
      if (before[before.length - k + i] !== now[i]) {
        match = false;
        break;
      }
    }
    if (match) return now.slice(k);
  }
  return now;
}

/** follow() on top of tail(), shared by every implementation. */
export async function followByPolling(tail: () => Promise<string[]>, opts: FollowOptions, defaultPollMs: number): Promise<void> {
  let seen = await tail();
  opts.onLines(seen);
  const poll = opts.pollMs ?? defaultPollMs;
  while (!opts.signal.aborted) {
    await new Promise<void>((res) => {
      const t = setTimeout(res, poll);
      opts.signal.addEventListener("abort", () => {
        clearTimeout(t);
        res();
      }, { once: true });
    });
    if (opts.signal.aborted) break;
    const now = await tail();
    const fresh = newLines(seen, now);
    if (fresh.length) opts.onLines(fresh);
    seen = now;
  }
}
