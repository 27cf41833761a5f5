// /updates: signed CAS update bundles (docs/CAS.md), queen-only (no other role's view reaches it).
//   /updates/status                    store-wide: highest accepted epoch, key fingerprints, use, quarantine
//   /updates/<epoch>/chunks/<sha256>   append the chunk's bytes; read it once committed
//   /updates/<epoch>/manifest.cbor     append the manifest; read it once verified
//   /updates/<epoch>/status            the original's 5 lines (+ ours)
//   /updates/<epoch>/status.cbor       the original's 11-key map
// Each appended record is one segment, decoded on its own as the original does: `b64:<base64>`
// or raw bytes (a console ECHO or a 9P line). The store (assembly/cas/store.ts) does the rest.

import {
  CAS_ALLOW_REINSTALL,
  CAS_CHUNKS_MAX,
  CAS_CHUNK_BYTES_MAX,
  CAS_DELTA_ENABLE,
  CAS_EPOCHS_MAX,
  CAS_MANIFEST_BYTES_MAX,
  CAS_QUARANTINE_MAX,
  CAS_SIGNING_PUBLIC_KEYS,
  CAS_STORE_BYTES,
} from "../../generated/manifest";
import { CasConfig, CasError, CasStore, CE_BUFFER_FULL, CE_INVALID, CE_INVALID_PATH, CE_PERMISSION, CE_STORE_FULL, validChunkName, validEpoch } from "../../cas/store";
import { committedChunks, statusCbor, statusLines, storeStatus } from "../../cas/status";
import { LogFile } from "../files";
import { Caller, Dir, F_CONTROL, F_DATA, File, MODE_QUEEN_AO, MODE_RO, Node, NsError } from "../node";
import { RoleViews } from "../access";
import { Provider } from "../devtab";
import { CAS_ENABLE } from "../../generated/manifest";
import { E_BUFFER_FULL, E_DENIED, E_INVALID_PATH, E_INVALID_PAYLOAD, E_NOT_FOUND } from "../../generated/protocol";
import { kprint } from "../../trace/kmesg";
import { base64, base64Decode } from "../../text/base64";

/** The store's configuration from [cas]. */
export function casConfig(): CasConfig {
  const c = new CasConfig();
  c.chunkBytesMax = CAS_CHUNK_BYTES_MAX;
  c.chunksMax = CAS_CHUNKS_MAX;
  c.manifestBytesMax = CAS_MANIFEST_BYTES_MAX;
  c.storeBytes = CAS_STORE_BYTES;
  c.epochsMax = CAS_EPOCHS_MAX;
  c.quarantineMax = CAS_QUARANTINE_MAX;
  c.deltaEnabled = CAS_DELTA_ENABLE != 0;
  c.allowReinstall = CAS_ALLOW_REINSTALL != 0;
  const hexKeys = CAS_SIGNING_PUBLIC_KEYS.split(",");
  for (let i = 0; i < hexKeys.length; i++) {
    const k = new Uint8Array(32);
    for (let j = 0; j < 32; j++) k[j] = <u8>(hexVal(hexKeys[i].charCodeAt(2 * j)) * 16 + hexVal(hexKeys[i].charCodeAt(2 * j + 1)));
    c.keys.push(k);
  }
  return c;
}

function hexVal(c: i32): i32 {
  return c <= 0x39 ? c - 0x30 : c - 0x57;
}

/** One segment's bytes: `b64:` + standard base64 (padded, length a multiple of 4), else the raw UTF-8. Null if the base64 is bad. */
export function segmentBytes(line: string): Uint8Array | null {
  let s = line;
  if (s.endsWith("\r\n")) s = s.substring(0, s.length - 2);
  else if (s.endsWith("\n")) s = s.substring(0, s.length - 1);
  if (!s.startsWith("b64:")) return Uint8Array.wrap(String.UTF8.encode(s, false));
  // An empty `b64:` segment is refused: it would be a chunk of no bytes.
  if (s.length == 4) return null;
  return base64Decode(s.substring(4));
}

function nsErrorOf(e: CasError): NsError {
  const code =
    e.kind == CE_INVALID_PATH ? E_INVALID_PATH : e.kind == CE_PERMISSION ? E_DENIED : e.kind == CE_BUFFER_FULL || e.kind == CE_STORE_FULL ? E_BUFFER_FULL : E_INVALID_PAYLOAD;
  return new NsError(code, e.message);
}

const NOT_READY = new NsError(E_NOT_FOUND, "not committed");

/** The original's data lines: one `b64:` line if it fits 256 characters, else lines of ≤ 252 base64 characters. */
function dataLines(b: Uint8Array): string[] {
  const all = base64(b.dataStart, b.length);
  if (all.length + 4 <= 256) return ["b64:" + all];
  const out: string[] = [];
  for (let i = 0; i < all.length; i += 252) out.push("b64:" + all.substring(i, min<i32>(all.length, i + 252)));
  return out;
}

/** The provider: owns the store and passes its log lines to the queen log and /kmesg. */
export class Updates {
  store: CasStore = new CasStore(casConfig());
  constructor(private log: LogFile) {}

  write(isManifest: bool, epoch: string, chunk: string, line: string): NsError | null {
    const b = segmentBytes(line);
    if (b == null) return new NsError(E_INVALID_PAYLOAD, "segment is not valid base64 after b64:");
    return this.writeBytes(isManifest, epoch, chunk, b.dataStart, b.length);
  }

  writeBytes(isManifest: bool, epoch: string, chunk: string, p: usize, n: i32): NsError | null {
    const err = isManifest ? this.store.writeManifest(epoch, p, n) : this.store.writeChunk(epoch, chunk, p, n);
    this.flush();
    return err == null ? null : nsErrorOf(err!);
  }

  /**
   * A 9P binary write lands only at the end of what is held (or at u64.MAX): a Twrite repeated
   * after a lost reply is refused instead of stored twice, and the client re-reads the status.
   * Committed bytes are re-sent from the start, as `b64:` re-sends are (the store checks them).
   */
  offsetError(off: u64, held: i32, committed: bool): NsError | null {
    if (committed || off == u64.MAX_VALUE || off == <u64>held) return null;
    return new NsError(E_INVALID_PAYLOAD, "append offset " + off.toString() + " rejected: " + held.toString() + " bytes held, write at the end");
  }

  private flush(): void {
    for (let i = 0; i < this.store.logs.length; i++) {
      this.log.system(this.store.logs[i]);
      kprint(this.store.logs[i]);
    }
    this.store.logs = [];
  }
}

abstract class BytesView extends File {
  abstract data(): Uint8Array | null;
  read(): string[] {
    const b = this.data();
    return b == null ? [] : dataLines(b);
  }
  bytes(): Uint8Array | null {
    return this.data();
  }
  summary(): string {
    const l = this.read();
    return l.length > 0 ? l[0] : "";
  }
  readError(): NsError | null {
    return this.data() == null ? NOT_READY : null;
  }
}

class ChunkFile extends BytesView {
  constructor(private u: Updates, private epoch: string, name: string) {
    super(name, MODE_QUEEN_AO, F_DATA); // bundle bytes: neither journalled nor traced
  }
  data(): Uint8Array | null {
    return this.u.store.chunkData(this.name);
  }
  append(line: string, who: Caller): NsError | null {
    return this.u.write(false, this.epoch, this.name, line);
  }
  takesBytes(): bool {
    return true;
  }
  appendBytes(off: u64, p: usize, n: i32, who: Caller): NsError | null {
    const s = this.u.store;
    const e = this.u.offsetError(off, s.pendingBytes(this.name), s.chunkData(this.name) != null);
    return e != null ? e : this.u.writeBytes(false, this.epoch, this.name, p, n);
  }
}

class ManifestFile extends BytesView {
  constructor(private u: Updates, private epoch: string) {
    super("manifest.cbor", MODE_QUEEN_AO, F_DATA);
  }
  data(): Uint8Array | null {
    const e = this.u.store.epoch(this.epoch);
    return e == null ? null : e.manifestBytes;
  }
  append(line: string, who: Caller): NsError | null {
    return this.u.write(true, this.epoch, "", line);
  }
  takesBytes(): bool {
    return true;
  }
  appendBytes(off: u64, p: usize, n: i32, who: Caller): NsError | null {
    const e = this.u.store.epoch(this.epoch);
    const err = this.u.offsetError(off, e == null ? 0 : e.pendingLen, e != null && e.manifestBytes != null);
    return err != null ? err : this.u.writeBytes(true, this.epoch, "", p, n);
  }
}

class StatusCborFile extends BytesView {
  constructor(private u: Updates, private epoch: string) {
    super("status.cbor", MODE_RO, F_CONTROL);
  }
  data(): Uint8Array | null {
    return statusCbor(this.u.store, this.epoch);
  }
}

class EpochStatus extends File {
  constructor(private u: Updates, private epoch: string) {
    super("status", MODE_RO, F_CONTROL);
  }
  read(): string[] {
    return statusLines(this.u.store, this.epoch);
  }
}

class StoreStatus extends File {
  constructor(private u: Updates) {
    super("status", MODE_RO, F_CONTROL);
  }
  read(): string[] {
    return storeStatus(this.u.store);
  }
}

/** /updates/<e>/chunks: lists committed chunks; any well-formed id can be written. */
class ChunksDir extends Dir {
  constructor(private u: Updates, private epoch: string) {
    super("chunks");
  }
  entries(): Node[] {
    const ids = committedChunks(this.u.store, this.epoch);
    const out: Node[] = [];
    for (let i = 0; i < ids.length; i++) out.push(new ChunkFile(this.u, this.epoch, ids[i]));
    return out;
  }
  find(name: string): Node | null {
    return validChunkName(name) ? new ChunkFile(this.u, this.epoch, name) : null;
  }
}

class EpochDir extends Dir {
  constructor(u: Updates, epoch: string) {
    super(epoch);
    this.add(new ChunksDir(u, epoch));
    this.add(new ManifestFile(u, epoch));
    this.add(new EpochStatus(u, epoch));
    this.add(new StatusCborFile(u, epoch));
  }
}

/** /updates: the epochs in numeric order, then the store status; any well-formed epoch can be written. */
export class UpdatesDir extends Dir {
  private status: StoreStatus;
  constructor(private u: Updates) {
    super("updates");
    this.status = new StoreStatus(u);
  }
  entries(): Node[] {
    const names = this.u.store.epochNames();
    const out: Node[] = [];
    for (let i = 0; i < names.length; i++) out.push(new EpochDir(this.u, names[i]));
    out.push(this.status); // digits sort before "status"
    return out;
  }
  find(name: string): Node | null {
    if (name == "status") return this.status;
    return validEpoch(name) ? new EpochDir(this.u, name) : null;
  }
}

/** The devtab row: /updates when [cas] enable = 1; queen-only (no role view names it). */
export class UpdatesProvider extends Provider {
  constructor(private u: Updates) {
    super();
  }
  mount(root: Dir, views: RoleViews): void {
    if (CAS_ENABLE != 0) root.add(new UpdatesDir(this.u));
  }
}
