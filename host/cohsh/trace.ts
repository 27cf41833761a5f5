// `--record-trace FILE` / `--replay-trace FILE` (mock transport): every byte each connection
// sent and received, in order, so a session can be replayed later without a guest. The file is
// JSON lines — a header, one event per write or read, and a trailer holding the sha256 of
// everything before it — bounded by trace.max_bytes. A replay refuses a file whose hash, schema
// or manifest does not match (tampered, truncated, or from another build), and stops with a clear
// error the moment the client sends something the recording did not. What the client sent is
// kept as a sha256 and its first word only: AUTH tokens and tickets never reach the file.

import { createHash } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { MANIFEST_SHA256 } from "../generated/manifest.js";
import type { BytePipe, Connector } from "../sdk/pipe.js";
import type { Result } from "../sdk/ticket/index.js";

export const TRACE_SCHEMA = "cohsh-trace/v1";
// Seed 003's trace.max_bytes; hand constant until the manifest carries it (see docs/COHSH.md).
export const TRACE_MAX_BYTES = 1_048_576;

interface Header {
  schema: string;
  manifest_sha256: string;
  protocol: string;
}

interface Event {
  /** Connection number, from 0 in connect order. */
  c: number;
  d: "tx" | "rx";
  /** rx: the bytes, base64; tx: the sha256 of the bytes. */
  b: string;
  /** tx: what it was, for error messages (the console verb, or the 9P message type). */
  w?: string;
}

/** The first word of a console frame, or `9P type N` (never arguments: they may hold secrets). */
function what(b: Uint8Array): string {
  const body = Buffer.from(b).subarray(4);
  const word = /^[A-Z]{2,10}(?= |$)/.exec(body.toString("latin1"));
  return word ? word[0] : `9P type ${b[4] ?? "?"}`;
}

function digest(b: Uint8Array): string {
  return createHash("sha256").update(b).digest("hex");
}

export class TraceError extends Error {
  override readonly name = "TraceError";
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

export class TraceRecorder {
  private lines: string[] = [];
  private size = 0;
  private conns = 0;
  overflow = false;

  constructor(
    private readonly file: string,
    protocol: string,
    private readonly maxBytes = TRACE_MAX_BYTES,
  ) {
    this.push(JSON.stringify({ schema: TRACE_SCHEMA, manifest_sha256: MANIFEST_SHA256, protocol } satisfies Header));
  }

  private push(line: string): void {
    // The trailer (~80 bytes) must fit too.
    if (this.size + line.length + 1 + 90 > this.maxBytes) {
      this.overflow = true;
      return;
    }
    this.lines.push(line);
    this.size += line.length + 1;
  }

  private event(c: number, d: "tx" | "rx", bytes: Uint8Array): void {
    if (this.overflow) return;
    const e: Event = d === "tx" ? { c, d, b: digest(bytes), w: what(bytes) } : { c, d, b: Buffer.from(bytes).toString("base64") };
    this.push(JSON.stringify(e));
  }

  /** The same connector, with every byte written to and read from its pipes recorded. */
  wrap(inner: Connector): Connector {
    return async () => {
      const pipe = await inner();
      const c = this.conns++;
      return {
        write: (b) => {
          this.event(c, "tx", b);
          pipe.write(b);
        },
        end: () => pipe.end(),
        onData: (cb) =>
          pipe.onData((b) => {
            this.event(c, "rx", b);
            cb(b);
          }),
        onClose: (cb) => pipe.onClose(cb),
      };
    };
  }

  /** Writes the file; refuses (nothing written) when the session outgrew maxBytes. */
  save(): void {
    if (this.overflow) throw new TraceError(`the trace would exceed trace.max_bytes (${this.maxBytes} bytes); nothing was written to ${this.file}`);
    const body = this.lines.map((l) => l + "\n").join("");
    writeFileSync(this.file, body + JSON.stringify({ sha256: sha256(body) }) + "\n");
  }
}

export interface Trace {
  protocol: string;
  events: Event[];
}

/** Reads and checks a trace file (size first, then trailer hash, header, every event). */
export function loadTrace(file: string, maxBytes = TRACE_MAX_BYTES): Result<Trace, string> {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return { ok: false, error: `trace file ${file} not found` };
  }
  if (size > maxBytes) return { ok: false, error: `trace file ${file} is ${size} bytes; trace.max_bytes is ${maxBytes}` };
  const text = readFileSync(file, "utf8");
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  const trailer = lines.pop();
  const body = lines.map((l) => l + "\n").join("");
  let want: unknown;
  try {
    want = (JSON.parse(trailer ?? "") as { sha256?: unknown }).sha256;
  } catch {
    want = undefined;
  }
  if (typeof want !== "string" || want !== sha256(body)) return { ok: false, error: `trace file ${file} was modified after it was recorded (its sha256 does not match): refused` };
  let header: Header;
  try {
    header = JSON.parse(lines[0] ?? "") as Header;
  } catch {
    return { ok: false, error: `trace file ${file} has no header` };
  }
  if (header.schema !== TRACE_SCHEMA) return { ok: false, error: `trace file ${file} is not ${TRACE_SCHEMA}` };
  if (header.manifest_sha256 !== MANIFEST_SHA256) return { ok: false, error: `trace file ${file} was recorded against manifest ${header.manifest_sha256}, this build is ${MANIFEST_SHA256}` };
  const events: Event[] = [];
  for (let i = 1; i < lines.length; i++) {
    const e = JSON.parse(lines[i]) as Event;
    if (!Number.isInteger(e.c) || (e.d !== "tx" && e.d !== "rx") || typeof e.b !== "string") return { ok: false, error: `trace file ${file}: line ${i + 1} is not an event` };
    events.push(e);
  }
  return { ok: true, value: { protocol: header.protocol, events } };
}

/**
 * A connector that plays a trace back: connection n gets connection n's recorded replies, each
 * after the client wrote exactly what was recorded before it. `onDiverge` hears the first mismatch.
 */
export function replayConnector(trace: Trace, onDiverge: (why: string) => void): Connector {
  let next = 0;
  return async () => {
    const c = next++;
    const mine = trace.events.filter((e) => e.c === c);
    if (mine.length === 0) {
      const why = `replay: the session opened connection ${c + 1}, the recording has ${next - 1}`;
      onDiverge(why);
      throw new TraceError(why);
    }
    let at = 0;
    const dataCbs: Array<(b: Uint8Array) => void> = [];
    const closeCbs: Array<(r: string) => void> = [];
    let closed = false;
    const close = (why: string): void => {
      if (closed) return;
      closed = true;
      setImmediate(() => closeCbs.forEach((cb) => cb(why)));
    };
    const deliver = (): void => {
      setImmediate(() => {
        while (at < mine.length && mine[at].d === "rx") {
          const b = new Uint8Array(Buffer.from(mine[at++].b, "base64"));
          dataCbs.forEach((cb) => cb(b));
        }
        if (at >= mine.length) close("end of the recorded connection");
      });
    };
    const pipe: BytePipe = {
      write: (b) => {
        if (closed) return;
        const want = mine[at];
        if (!want || want.d !== "tx" || want.b !== digest(b)) {
          const why = `replay diverged on connection ${c + 1}: the session sent ${what(b)}, the recording ${want?.d === "tx" ? `has a different ${want.w ?? "message"} there` : "has nothing more"}`;
          onDiverge(why);
          close(why);
          return;
        }
        at++;
        deliver();
      },
      end: () => close("closed by the client"),
      onData: (cb) => void dataCbs.push(cb),
      onClose: (cb) => void closeCbs.push(cb),
    };
    deliver();
    return pipe;
  };
}
