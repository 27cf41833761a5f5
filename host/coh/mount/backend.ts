// What the FUSE operations need from a hive, whatever carries it (Secure9P: nine.ts; hive-gateway:
// rest.ts). Paths are hive paths (the mount root already applied). Every refusal is thrown and
// turned into an errno by errno.ts; a lost hive is reported once through onGone.

export type Kind = "dir" | "file" | "append";

export interface NodeInfo {
  kind: Kind;
  /** Bytes of the file as a read from offset 0 returns them (0 for directories). */
  size: number;
  mtimeMs: number;
  /** What this role may do (a directory: list). */
  readable: boolean;
  writable: boolean;
}

export interface ReadHandle {
  /** Size of what this handle reads (a snapshot's length, or the file's size at open). */
  readonly size: number;
  read(offset: number, length: number): Promise<Buffer>;
  close(): Promise<void>;
}

export interface AppendHandle {
  /** The largest record one append carries. */
  readonly maxRecord: number;
  append(record: string): Promise<void>;
  close(): Promise<void>;
}

export interface FsStats {
  bsize: number;
  namemax: number;
}

export interface Backend {
  /** What OK MOUNT mode= says: fuse (Secure9P over TCP), rest, mock (the in-process core). */
  readonly mode: "fuse" | "rest" | "mock";
  stat(path: string): Promise<NodeInfo>;
  list(path: string): Promise<string[]>;
  /** Opens for reading; a file up to `snapshotMax` bytes is read whole now (one consistent copy). */
  openRead(path: string, snapshotMax: number): Promise<ReadHandle>;
  openAppend(path: string): Promise<AppendHandle>;
  statfs(): Promise<FsStats>;
  /** Called once when the hive is gone for good (reconnects failed); the mount then unmounts. */
  onGone(cb: (why: string) => void): void;
  close(): Promise<void>;
}

/** A read handle over bytes already in memory. */
export function snapshotHandle(bytes: Buffer): ReadHandle {
  return {
    size: bytes.length,
    read: async (off, len) => (off >= bytes.length ? Buffer.alloc(0) : bytes.subarray(off, Math.min(bytes.length, off + len))),
    close: async () => {},
  };
}
