// The /gpu/bridge/ctl publish channel (docs/GPU.md): `begin bytes=N sha256=H`, `b64:` lines and
// `end`, from one session at a time. It collects and checks the envelope and parses the snapshot
// (gpu_snapshot.ts); installing it is the provider's (providers/gpu.ts), which it hands the result.

import { GPU_BRIDGE_MAX_BYTES, GPU_PUBLISH_IDLE_MS } from "../generated/manifest";
import { E_BUSY, E_INVALID_PAYLOAD, E_LIFECYCLE_DENIED } from "../generated/protocol";
import { sha256 } from "../crypto/sha256";
import { now_ms } from "../platform/abi";
import { base64Decode } from "../text/base64";
import { logField } from "../text/field";
import { isLowerHex } from "../text/hex";
import { LogFile } from "./files";
import { parseSnapshot, Snapshot } from "./gpu_snapshot";
import { Caller, NsError } from "./node";
import { GATE_HOST_PUBLISH, Lifecycle } from "./providers/lifecycle";

export function hex(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i++) s += (b[i] < 16 ? "0" : "") + (<u32>b[i]).toString(16);
  return s;
}

export function sha256Of(b: Uint8Array): string {
  const d = new Uint8Array(32);
  sha256(b.dataStart, <usize>b.length, d.dataStart);
  return hex(d);
}

export function isDigits(s: string): bool {
  if (s.length == 0 || s.length > 18) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) < 0x30 || s.charCodeAt(i) > 0x39) return false;
  return true;
}

function base64DecodeSlice(buf: Uint8Array, n: i32): Uint8Array | null {
  const s = String.UTF8.decodeUnsafe(buf.dataStart, <usize>n, false);
  return base64Decode(s);
}

/** What one line did: refused (`error`), or accepted — with the snapshot to install after `end`. */
export class LineResult {
  constructor(public error: NsError | null, public snap: Snapshot | null) {}
}

/** The publish channel's state: one session's snapshot at a time. */
export class Bridge {
  status: string = "state=idle";
  header: string[] = []; // the last publish's begin line (and end, once installed): what reading ctl shows
  receiving: bool = false;
  owner: u32 = 0;
  lastAt: u64 = 0;
  want: i32 = 0;
  sha: string = "";
  buf: Uint8Array = new Uint8Array(0);
  used: i32 = 0;
  chunks: i32 = 0;
  private ready: Snapshot | null = null; // set by a good `end`, taken by line()

  constructor(private log: LogFile, private lifecycle: Lifecycle) {}

  /** Handles one line; an `end` that checks out returns the snapshot for the caller to install. */
  line(line: string, who: Caller): LineResult {
    const r = this.publish(line, who);
    const snap = this.ready;
    this.ready = null;
    return new LineResult(r, r == null ? snap : null);
  }

  /** The caller installed the snapshot `end` returned: the status says so. */
  installed(gpus: i32, models: i32): void {
    this.header.push("end");
    this.setStatus("state=ok bytes=" + this.want.toString() + " sha256=" + this.sha);
    this.log.system("gpu bridge publish outcome=ok bytes=" + this.want.toString() + " gpus=" + gpus.toString() + " models=" + models.toString());
  }


  private setStatus(s: string): void {
    this.status = s.length > 512 ? s.substring(0, 512) : s;
  }

  private failPublish(reason: string, detail: string): NsError {
    const b = this;
    b.receiving = false;
    b.owner = 0;
    b.buf = new Uint8Array(0);
    this.setStatus("state=err reason=" + reason + (detail.length > 0 ? " detail=" + logField(detail, 256) : ""));
    this.log.system("gpu bridge publish outcome=err reason=" + reason);
    return new NsError(E_INVALID_PAYLOAD, "invalid payload: " + reason + (detail.length > 0 ? " (" + detail + ")" : ""));
  }

  private publish(line: string, who: Caller): NsError | null {
    if (!this.lifecycle.gate(GATE_HOST_PUBLISH)) return new NsError(E_LIFECYCLE_DENIED, "gate host-publish closed state=" + this.lifecycle.state);
    const b = this;
    const now = now_ms();
    const s = line.trim();
    // Single writer: another session's lines while a snapshot is being received are refused and
    // change nothing (the original interleaved them) — unless that receive has stalled.
    if (b.receiving && who.session != b.owner && now - b.lastAt < <u64>GPU_PUBLISH_IDLE_MS) {
      return new NsError(E_BUSY, "publish in progress by another session; retry when /gpu/bridge/status leaves receiving");
    }
    if (s.startsWith("begin")) return this.begin(s, who, now);
    if (s.startsWith("b64:")) {
      if (!b.receiving || b.owner != who.session) return this.failPublish("b64-before-begin", "");
      b.lastAt = now;
      const chunk = s.substring(4);
      const n = chunk.length;
      if (b.used + n > b.buf.length) return this.failPublish("too-long", "more base64 than bytes=" + b.want.toString() + " needs");
      for (let i = 0; i < n; i++) {
        const c = chunk.charCodeAt(i);
        const ok = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c == 0x2b || c == 0x2f || c == 0x3d;
        if (!ok) return this.failPublish("bad-base64", "");
        b.buf[b.used + i] = <u8>c;
      }
      b.used += n;
      b.chunks++;
      return null;
    }
    if (s == "end") {
      if (!b.receiving || b.owner != who.session) return this.failPublish("end-before-begin", "");
      return this.end();
    }
    return this.failPublish("unknown-line", "expected begin, b64: or end");
  }

  private begin(s: string, who: Caller, now: u64): NsError | null {
    const b = this;
    const words = s.split(" ");
    let bytes: i64 = -1;
    let sha = "";
    if (words[0] != "begin") return this.failPublish("unknown-line", "expected begin, b64: or end");
    for (let i = 1; i < words.length; i++) {
      const w = words[i];
      if (w.length == 0) continue;
      if (w.startsWith("bytes=") && bytes < 0 && isDigits(w.substring(6))) bytes = I64.parseInt(w.substring(6));
      else if (w.startsWith("sha256=") && sha.length == 0) sha = w.substring(7);
      else return this.failPublish("bad-begin", "unknown or repeated field " + w);
    }
    if (bytes <= 0) return this.failPublish("bad-begin", "bytes= must be a positive integer");
    if (bytes > GPU_BRIDGE_MAX_BYTES) return this.failPublish("too-large", "bytes=" + bytes.toString() + " exceeds " + GPU_BRIDGE_MAX_BYTES.toString());
    if (!isLowerHex(sha, 64)) return this.failPublish("bad-begin", "sha256= must be 64 lower-case hex digits");
    b.receiving = true;
    b.owner = who.session;
    b.lastAt = now;
    b.want = <i32>bytes;
    b.sha = sha;
    b.buf = new Uint8Array(<i32>(((bytes + 2) / 3) * 4));
    b.used = 0;
    b.chunks = 0;
    b.header = [s];
    this.setStatus("state=receiving bytes=" + bytes.toString());
    return null;
  }

  private end(): NsError | null {
    const b = this;
    const raw = base64DecodeSlice(b.buf, b.used);
    if (raw == null) return this.failPublish("bad-base64", "");
    if (raw.length != b.want) return this.failPublish("length-mismatch", "decoded " + raw.length.toString() + " bytes, begin said " + b.want.toString());
    const sha = sha256Of(raw);
    if (sha != b.sha) return this.failPublish("sha256-mismatch", "got " + sha);
    const r = parseSnapshot(raw);
    if (r.snap == null) return this.failPublish(r.error, r.detail);
    b.receiving = false;
    b.owner = 0;
    b.buf = new Uint8Array(0);
    this.ready = r.snap;
    return null;
  }
}
