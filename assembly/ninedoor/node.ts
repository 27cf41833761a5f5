// NineDoor's building blocks, Plan 9 devtab style: a directory is a sorted table of children,
// a synthetic file is a small class that says what reading and appending it do.

import { E_DENIED, E_NOT_FOUND, E_INVALID_PATH, E_INVALID_PAYLOAD, E_IS_DIR, E_NOT_DIR, ERR_DETAIL, ERR_ERRNO, ERR_REASON } from "../generated/protocol";
import { base64 } from "../text/base64";

export const MODE_RO: i32 = 0; // read-only
export const MODE_AO: i32 = 1; // append-only, any attached role allowed by the view
export const MODE_QUEEN_AO: i32 = 2; // append-only, queen only (enforced once, by Namespace.append)

// What the namespace does around a file's appends, declared by the file (not guessed from its path).
export const F_JOURNALLED: i32 = 1; // every append attempt becomes an /audit/journal entry
export const F_TRACED: i32 = 2; // every append attempt is a trace event (cat ns)
export const F_APPEND_AT_END: i32 = 4; // 9P writes must be at the file's end (or at u64::MAX)
export const F_CURSOR: i32 = 8; // a read from the start advances a UI ticket's telemetry cursor
/** A control file: journalled and traced. */
export const F_CONTROL: i32 = F_JOURNALLED | F_TRACED;
/** A data file (telemetry): neither journalled nor traced. */
export const F_DATA: i32 = 0;

/** The role of writes the core makes itself (export ttl expiry, replayed); no session can attach as it. */
export const SYSTEM_ROLE = "system";

/**
 * A refused namespace operation: a code from the error vocabulary (host/coh-rtc/protocol.ts)
 * and the text after the console's `error=`. The code alone decides the console's reason and
 * detail words, the 9P errno and the gateway's HTTP status, so no surface maps errors itself.
 */
export class NsError {
  constructor(
    public code: i32, // E_* from ../generated/protocol
    public error: string, // the text after error=
  ) {}

  get reason(): string {
    return ERR_REASON[this.code]; // busy | quota | cut | policy
  }

  get detail(): string {
    return ERR_DETAIL[this.code];
  }

  get errno(): u32 {
    return ERR_ERRNO[this.code];
  }
}

export const ERR_INVALID_PATH = new NsError(E_INVALID_PATH, "invalid path");
export const ERR_DENIED = new NsError(E_DENIED, "EPERM");
/** A well-formed path that names nothing. */
export const ERR_NOT_FOUND = new NsError(E_NOT_FOUND, "no such file");
export const ERR_INVALID_PAYLOAD = new NsError(E_INVALID_PAYLOAD, "invalid payload");
export const ERR_NOT_DIR = new NsError(E_NOT_DIR, "not a directory");
export const ERR_IS_DIR = new NsError(E_IS_DIR, "is a directory");

/** Who is asking: the attached role of a console session or a 9P attach. */
export class Caller {
  /** `subject` is the worker id (or scope) a worker ticket names; "" for the queen. */
  constructor(
    public role: string,
    public subject: string = "",
    public ticket: string = "-", // short hash of the session's ticket, for the audit journal
    public session: u32 = 0, // the attachment's number (0 = the core): single-writer channels tell sessions apart by it
  ) {}
}

export abstract class Node {
  constructor(public name: string) {}
  abstract isDir(): bool;

  /** Why a lookup that reaches this node must fail for now (/gpu/models before a publish), or null. */
  unavailable(): NsError | null {
    return null;
  }
}

export class Dir extends Node {
  children: Node[] = [];

  isDir(): bool {
    return true;
  }

  /** The child directory `name`, created when missing (providers mounting beside each other share it). */
  sub(name: string): Dir {
    const found = this.find(name);
    if (found != null && found.isDir()) return found as Dir;
    return this.add(new Dir(name));
  }

  /** Inserts keeping lexicographic order, so listings never need sorting. */
  add<T extends Node>(n: T): T {
    this.children.push(n);
    // Insertion sort step: move the new entry left past larger names.
    for (let i = this.children.length - 1; i > 0 && this.children[i - 1].name > n.name; i--) {
      const t = this.children[i - 1];
      this.children[i - 1] = this.children[i];
      this.children[i] = t;
    }
    return n;
  }

  /** The entries in lexicographic order; dynamic directories (workers, shards) override this. */
  entries(): Node[] {
    return this.children;
  }

  find(name: string): Node | null {
    for (let i = 0; i < this.children.length; i++) if (this.children[i].name == name) return this.children[i];
    return null;
  }
}

export abstract class File extends Node {
  constructor(name: string, public mode: i32, public flags: i32 = F_CONTROL) {
    super(name);
  }

  journalled(): bool {
    return (this.flags & F_JOURNALLED) != 0;
  }

  traced(): bool {
    return (this.flags & F_TRACED) != 0;
  }

  appendAtEndOnly(): bool {
    return (this.flags & F_APPEND_AT_END) != 0;
  }

  meteredAsCursor(): bool {
    return (this.flags & F_CURSOR) != 0;
  }

  isDir(): bool {
    return false;
  }

  abstract read(): string[];

  /** Appends one record; returns null on success. Read-only files never get here. */
  append(line: string, who: Caller): NsError | null {
    return ERR_DENIED;
  }

  /** The one-line `data=` summary CAT shows; files override it when their body is not shown. */
  summary(): string {
    return this.read().join("|");
  }

  /** True for files where one write is one request (Secure9P refuses a write of several lines). */
  oneRecordPerWrite(): bool {
    return false;
  }

  /** False for files whose lines CAT must not stream (the queen log: ACK + END only). */
  catShowsBody(): bool {
    return true;
  }

  /**
   * Raw bytes written at byte offset `off` (u64.MAX = at the end): Secure9P's Twrite to a file that
   * takes bytes (update chunks and manifests), so binary arrives unencoded; the console keeps `b64:`.
   * Only files whose takesBytes() is true get here.
   */
  appendBytes(off: u64, p: usize, n: i32, who: Caller): NsError | null {
    return ERR_DENIED;
  }

  takesBytes(): bool {
    return false;
  }

  /** A binary file's raw content, which Secure9P serves as is; null for files of text lines. */
  bytes(): Uint8Array | null {
    return null;
  }

  /** Why this file cannot be read right now (an update chunk not yet committed), or null. */
  readError(): NsError | null {
    return null;
  }
}

/** Raw bytes per `b64:` line of a binary file's text view (64 base64 characters). */
export const B64_CHUNK: i32 = 48;

/**
 * A read-only binary file. Secure9P reads its bytes; the text surfaces (console CAT/TAIL) show
 * `b64:<base64 of 48 bytes>` lines, the last one shorter, so transcripts stay line-shaped.
 */
export abstract class BinaryFile extends File {
  constructor(name: string) {
    super(name, MODE_RO);
  }

  abstract bytes(): Uint8Array | null;

  read(): string[] {
    const b = this.bytes()!;
    const out: string[] = [];
    for (let i = 0; i < b.length; i += B64_CHUNK) out.push("b64:" + base64(b.dataStart + <usize>i, min<i32>(B64_CHUNK, b.length - i)));
    return out;
  }

  summary(): string {
    return "bytes=" + this.bytes()!.length.toString() + " encoding=b64";
  }
}

/**
 * A read-only file whose lines are one function of its owner: a Dirtab row (`name`, read).
 * `render` must not capture anything; the owner is passed in, so one function serves every
 * instance.
 */
export class ViewFile<T> extends File {
  constructor(name: string, private owner: T, private render: (o: T) => string[]) {
    super(name, MODE_RO);
  }

  read(): string[] {
    return this.render(this.owner);
  }
}
