// NineDoor's building blocks, Plan 9 devtab style: a directory is a sorted table of children,
// a synthetic file is a small class that says what reading and appending it do.

import { base64 } from "../text/base64";

export const MODE_RO: i32 = 0; // read-only
export const MODE_AO: i32 = 1; // append-only, any attached role allowed by the view
export const MODE_QUEEN_AO: i32 = 2; // append-only, queen only

/** A refused namespace operation, in the console's error vocabulary (reference §2.3). */
export class NsError {
  constructor(
    public reason: string, // busy | quota | cut | policy
    public detail: string, // invalid-path | denied | buffer-full | invalid-payload | unsupported
    public error: string, // the text after error=
  ) {}
}

export const ERR_INVALID_PATH = new NsError("policy", "invalid-path", "invalid path");
export const ERR_DENIED = new NsError("policy", "denied", "EPERM");
export const ERR_INVALID_PAYLOAD = new NsError("policy", "invalid-payload", "invalid payload");
export const ERR_NOT_DIR = new NsError("policy", "invalid-path", "not a directory");
export const ERR_IS_DIR = new NsError("policy", "invalid-path", "is a directory");

/** Who is asking: the attached role of a console session (or, later, a 9P fid's owner). */
export class Caller {
  /** `subject` is the worker id (or scope) a worker ticket names; "" for the queen. */
  constructor(
    public role: string,
    public subject: string = "",
    public ticket: string = "-", // short hash of the session's ticket, for the audit journal
  ) {}
}

export abstract class Node {
  constructor(public name: string) {}
  abstract isDir(): bool;
}

export class Dir extends Node {
  children: Node[] = [];

  isDir(): bool {
    return true;
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
  constructor(name: string, public mode: i32) {
    super(name);
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

  /** A binary file's raw content, which Secure9P serves as is; null for files of text lines. */
  bytes(): Uint8Array | null {
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
