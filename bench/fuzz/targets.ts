// The fuzz targets (bench/fuzz): every parser the guest exposes to a client or a platform. Each
// target owns its session state on a FuzzCore and turns one input (bytes) into one delivery.
// Stateful targets renew their session when the core closes it, and every `renewEvery` inputs.

import { decode as decodeCbor } from "cbor2";
import { encodeFrame } from "../../host/sdk/console/frame.js";
import { MANIFEST } from "../../host/generated/manifest.js";
import { encodeBootInfo, virtMachine } from "../../host/runtime/bootinfo.js";
import { encode, NOFID } from "../../host/sdk/p9/codec.js";
import { mintTicket } from "../../host/sdk/ticket/index.js";
import { FuzzCore, WALL_MS } from "./core.js";
import { mutate, type Rnd } from "./mutate.js";

export interface Target {
  name: string;
  /** Sizes worth hitting exactly and one past (the parser's bounds). */
  edges: number[];
  corpus: Uint8Array[];
  /** Builds one input from a corpus entry. */
  input(rnd: Rnd): Uint8Array;
  /** Delivers it; returns an error text when an invariant other than "no trap" broke. */
  run(input: Uint8Array): string | null;
  fault(): string | null;
}

const C = MANIFEST.console;
const REC = MANIFEST.telemetry_ingest.max_record_bytes;
const U64_MAX = 0xffffffffffffffffn;

function pick<T>(rnd: Rnd, xs: T[]): T {
  return xs[rnd(xs.length)];
}

function fromCorpus(t: { corpus: Uint8Array[]; edges: number[] }, rnd: Rnd): Uint8Array {
  const base = pick(rnd, t.corpus);
  return rnd(8) === 0 ? base : mutate(base, rnd, t.edges, t.corpus);
}

function ticket(role: keyof typeof MANIFEST.tickets, subject?: string): string {
  const r = mintTicket({ role, subject, secret: MANIFEST.tickets[role], nowMs: WALL_MS });
  if (!r.ok) throw new Error(r.error.message);
  return r.value.token;
}

/** Console framing and the command line grammar behind it, on an attached queen session. */
export function consoleTarget(fc: FuzzCore): Target {
  const lines = [
    "PING", "HELP", "NETSTATS", "NETTEST", "BI", "CAPS", "MEM", "LOG", "CAT /proc/boot", "LS /", "LS /proc", "TAIL /log/queen.log",
    "ECHO /log/queen.log fuzz", "ECHO /log/queen.log " + "e".repeat(C.echo_max), "ECHO /log/queen.log " + "e".repeat(C.echo_max + 1),
    'SPAWN {"spawn":"heartbeat","ticks":1}', "KILL worker-1", "ATTACH queen", "ATTACH worker-heartbeat", "CAT /proc/memory",
    "ECHO /queen/lifecycle/ctl resume", "TAIL /audit/journal", "A".repeat(C.line_max), "A".repeat(C.line_max + 1), "QUIT",
  ];
  const corpus = [
    ...lines.map((l) => encodeFrame(l)),
    Buffer.concat([encodeFrame("PING"), encodeFrame("CAT /proc/boot")]),
    Buffer.from([3, 0, 0, 0]),
    Buffer.from([0xff, 0xff, 0xff, 0xff, 1, 2, 3]),
  ];
  let conn = fc.console();
  let n = 0;
  return {
    name: "console",
    edges: [C.line_max + 4, C.frame_max, C.echo_max + 25, 4],
    corpus,
    input(rnd) {
      return fromCorpus(this, rnd);
    },
    run(input) {
      if (!fc.alive(conn) || ++n % 5000 === 0) {
        fc.close(conn);
        conn = fc.console();
      }
      fc.feed(conn, input);
      return null;
    },
    fault: () => fc.fault,
  };
}

/** Sets `size` right (most of the time), so the message body is parsed instead of the stream dying. */
function frameFix(b: Uint8Array, rnd: Rnd): Uint8Array {
  const out = Buffer.from(b);
  if (out.length >= 4 && rnd(4) !== 0) out.writeUInt32LE(out.length, 0);
  return out;
}

/** The 9P codec and session: T-messages on a queen session with read, append and directory fids. */
export function nineTarget(fc: FuzzCore): Target {
  const data = (n: number): Uint8Array => Buffer.alloc(n, 0x61);
  const corpus = [
    encode("Twalk", 5, { fid: 1, newfid: 9, names: ["proc", "boot"] }),
    encode("Twalk", 5, { fid: 1, newfid: 10, names: ["log", "queen.log"] }),
    encode("Tlopen", 6, { fid: 9, flags: 0 }),
    encode("Tread", 7, { fid: 3, offset: 0n, count: 8000 }),
    encode("Tread", 7, { fid: 3, offset: 100n, count: 1 }),
    encode("Twrite", 8, { fid: 2, offset: U64_MAX, data: Buffer.from("fuzz record\n") }),
    encode("Twrite", 8, { fid: 2, offset: U64_MAX, data: data(REC) }),
    encode("Twrite", 8, { fid: 2, offset: U64_MAX, data: data(REC + 1) }),
    encode("Treaddir", 9, { fid: 4, offset: 0n, count: 8000 }),
    encode("Tgetattr", 10, { fid: 3, mask: 0x7ffn }),
    encode("Tstatfs", 11, { fid: 1 }),
    encode("Tclunk", 12, { fid: 9 }),
    encode("Tflush", 13, { oldtag: 7 }),
    encode("Tversion", 0xffff, { msize: 8192, version: "9P2000.L" }),
    encode("Tattach", 14, { fid: 20, afid: NOFID, uname: "queen", aname: "", n_uname: NOFID }),
  ];
  let conn = -1;
  let n = 0;
  const renew = (): void => {
    if (conn >= 0) fc.close(conn);
    conn = fc.nine("queen");
    // fid 2: /log/queen.log for append; 3: /proc/boot for reading; 4: /proc as a directory.
    fc.feed(conn, Buffer.concat([
      encode("Twalk", 2, { fid: 1, newfid: 2, names: ["log", "queen.log"] }), encode("Tlopen", 2, { fid: 2, flags: 0o2001 }),
      encode("Twalk", 3, { fid: 1, newfid: 3, names: ["proc", "boot"] }), encode("Tlopen", 3, { fid: 3, flags: 0 }),
      encode("Twalk", 4, { fid: 1, newfid: 4, names: ["proc"] }), encode("Tlopen", 4, { fid: 4, flags: 0 }),
    ]));
  };
  renew();
  return {
    name: "9p",
    edges: [8192, REC + 23, 7, 11],
    corpus,
    input(rnd) {
      return frameFix(fromCorpus(this, rnd), rnd);
    },
    run(input) {
      if (!fc.alive(conn) || ++n % 2000 === 0) renew();
      fc.feed(conn, input);
      fc.advance(1); // attach back-off and rate windows move on
      return null;
    },
    fault: () => fc.fault,
  };
}

/** JSON control lines: one Twrite per input to one of the ctl files (the strict reader, then each ctl's schema). */
export function jsonTarget(fc: FuzzCore): Target {
  const ctls = ["queen/ctl", "policy/ctl", "queen/schedule/ctl", "queen/lease/ctl", "queen/export/ctl", "trace/ctl", "queen/telemetry/dev/ctl", "replay/ctl"];
  const lines = [
    '{"spawn":"heartbeat","ticks":1}', '{"kill":"worker-1"}', '{"spawn":"gpu","gpu_id":"GPU-0","ticks":1}',
    '{"op":"open","id":"w1","ttl_s":60}', '{"op":"close","id":"w1","reason":"window-complete"}',
    '{"new":"segment","mime":"text/plain"}', '{"from":0}', '{"level":"debug"}', '{"cats":"console,p9"}',
    '{"op":"apply","sha256":"00"}', '{"a":{"b":{"c":{"d":{"e":1}}}}}', '{"s":"\\n\\t\\"\\\\\\/"}', '[1,2,3]', '{"k":-0}',
    '{"x":' + '"' + "\\n".repeat(1500) + '"}',
  ];
  const corpus = lines.map((l) => Buffer.from(l));
  let conn = -1;
  let n = 0;
  const renew = (): void => {
    if (conn >= 0) fc.close(conn);
    conn = fc.nine("queen");
    fc.feed(conn, Buffer.concat(ctls.flatMap((p, i) => [
      encode("Twalk", 2, { fid: 1, newfid: 2 + i, names: p.split("/") }), encode("Tlopen", 2, { fid: 2 + i, flags: 0o2001 }),
    ])));
  };
  renew();
  return {
    name: "json",
    edges: [C.json_max, MANIFEST.policy.ctl_max_bytes, REC, 4],
    corpus,
    input(rnd) {
      const body = fromCorpus(this, rnd);
      return Buffer.concat([Buffer.from([rnd(ctls.length)]), body]);
    },
    run(input) {
      if (!fc.alive(conn) || ++n % 2000 === 0) renew();
      const fid = 2 + (input[0] % ctls.length);
      fc.feed(conn, encode("Twrite", 3, { fid, offset: U64_MAX, data: input.subarray(1, 1 + 8000) }));
      if (n % 64 === 0) fc.advance(1000);
      return null;
    },
    fault: () => fc.fault,
  };
}

/** Tickets: Tattach with a mutated ticket (and uname) on a fresh-enough 9P session. */
export function ticketTarget(fc: FuzzCore): Target {
  const corpus = [
    ticket("queen"), ticket("worker-heartbeat", "worker-1"), ticket("worker-gpu", "GPU-0"), ticket("worker-bus", "bus-a"), ticket("worker-lora", "lora-a"),
  ].map((t) => Buffer.from(t));
  const unames = ["queen", "", "nobody", "worker-heartbeat:worker-1", "worker-gpu", "worker", "Queen", "x".repeat(300)];
  let conn = -1;
  let n = 0;
  const renew = (): void => {
    if (conn >= 0) fc.close(conn);
    conn = fc.open();
    fc.feed(conn, encode("Tversion", 0xffff, { msize: 8192, version: "9P2000.L" }));
  };
  renew();
  return {
    name: "ticket",
    edges: [C.ticket_max, 64, 4],
    corpus,
    input(rnd) {
      return Buffer.concat([Buffer.from([rnd(unames.length)]), fromCorpus(this, rnd)]);
    },
    run(input) {
      if (!fc.alive(conn) || ++n % 40 === 0) renew();
      fc.advance(70_000); // past the longest attach back-off (250 ms x 2^8)
      const aname = Buffer.from(input.subarray(1)).toString("latin1");
      fc.feed(conn, encode("Tattach", 1, { fid: n % 60, afid: NOFID, uname: unames[input[0] % unames.length], aname, n_uname: NOFID }));
      return null;
    },
    fault: () => fc.fault,
  };
}

/**
 * CBOR views: the guest writes CBOR (an export window's telemetry.cbor) from what clients ingest.
 * Inputs are ingested records; every `every` inputs the window is closed, its telemetry.cbor read
 * over 9P and decoded with a strict decoder (cbor2), then a new window opened.
 */
export function cborTarget(fc: FuzzCore, every = 200): Target {
  const corpus = ["plain record", '{"schema":"x","seq":1}', "\u00e9\u4e2d\ud83d\ude00", "a".repeat(REC), "a".repeat(REC + 1), "\u0000\u0001\u007f"].map((s) => Buffer.from(s));
  let conn = -1;
  let n = 0;
  let win = 0;
  let seg = 0;
  const w = (fid: number, text: string | Uint8Array): Buffer => fc.exchange(conn, encode("Twrite", 3, { fid, offset: U64_MAX, data: typeof text === "string" ? Buffer.from(text) : text }));
  const renew = (): void => {
    if (conn >= 0) fc.close(conn);
    conn = fc.nine("queen");
    fc.feed(conn, Buffer.concat([
      encode("Twalk", 2, { fid: 1, newfid: 2, names: ["queen", "export", "ctl"] }), encode("Tlopen", 2, { fid: 2, flags: 0o2001 }),
      encode("Twalk", 2, { fid: 1, newfid: 3, names: ["queen", "telemetry", "cbor", "ctl"] }), encode("Tlopen", 2, { fid: 3, flags: 0o2001 }),
    ]));
  };
  const openWindow = (): void => {
    win++;
    w(2, `{"op":"open","id":"fz-${win}","ttl_s":3600}\n`);
    w(3, '{"new":"segment","mime":"text/plain"}\n');
    seg++;
    fc.feed(conn, Buffer.concat([
      encode("Tclunk", 4, { fid: 4 }),
      encode("Twalk", 4, { fid: 1, newfid: 4, names: ["queen", "telemetry", "cbor", "seg", `seg-${String(seg).padStart(6, "0")}`] }),
      encode("Tlopen", 4, { fid: 4, flags: 0o2001 }),
    ]));
  };
  /** Closes the window and checks its telemetry.cbor: well-formed, within telemetry_max_bytes. */
  const check = (): string | null => {
    w(2, `{"op":"close","id":"fz-${win}","reason":"window-complete"}\n`);
    const names = ["queen", "export", "lora_jobs", `fz-${win}`, "telemetry.cbor"];
    let bytes = Buffer.alloc(0);
    const walk = fc.exchange(conn, Buffer.concat([encode("Twalk", 5, { fid: 1, newfid: 5, names }), encode("Tlopen", 5, { fid: 5, flags: 0 })]));
    if (walk[4] !== 111) return null; // the bundle was evicted (windows_max): nothing to check
    for (let off = 0n; ; ) {
      const r = fc.exchange(conn, encode("Tread", 6, { fid: 5, offset: off, count: 8000 }));
      if (r[4] !== 117) return `Tread of telemetry.cbor answered type ${r[4]}`;
      const len = r.readUInt32LE(7);
      if (len === 0) break;
      bytes = Buffer.concat([bytes, r.subarray(11, 11 + len)]);
      off += BigInt(len);
    }
    fc.feed(conn, encode("Tclunk", 7, { fid: 5 }));
    if (bytes.length > MANIFEST.export.telemetry_max_bytes) return `telemetry.cbor is ${bytes.length} bytes > telemetry_max_bytes`;
    try {
      decodeCbor(bytes);
    } catch (e) {
      return `telemetry.cbor does not decode: ${e instanceof Error ? e.message : String(e)}`;
    }
    return null;
  };
  renew();
  openWindow();
  return {
    name: "cbor",
    edges: [REC, 4, 24, 256],
    corpus,
    input(rnd) {
      return fromCorpus(this, rnd);
    },
    run(input) {
      let err: string | null = null;
      if (!fc.alive(conn)) {
        renew();
        openWindow();
      }
      w(4, Buffer.concat([Buffer.from(input).subarray(0, 8000), Buffer.from("\n")]));
      if (++n % every === 0) {
        err = check();
        if (n % (every * 20) === 0) renew();
        openWindow();
      }
      return err;
    },
    fault: () => fc.fault,
  };
}

/** The CBI1 bootinfo reader (the fuzz-only entry bench/fuzz/assembly/bootinfo_entry.ts). */
export async function bootinfoTarget(wasmPath: string): Promise<Target> {
  const corpus = [encodeBootInfo(virtMachine(1024, 3)), encodeBootInfo(virtMachine(512, 2)), encodeBootInfo(virtMachine(64, 3))];
  let blob: Uint8Array = corpus[0];
  let mem: WebAssembly.Memory | null = null;
  let fault: string | null = null;
  const { readFile } = await import("node:fs/promises");
  const module = await WebAssembly.compile(await readFile(wasmPath));
  // Only the bootinfo imports matter; any other plat import the reader's module pulls in answers 0.
  const plat: Record<string, (...a: number[]) => number | bigint> = {};
  for (const imp of WebAssembly.Module.imports(module)) {
    if (imp.kind === "function") plat[imp.name] = () => (imp.name.endsWith("_ms") ? 0n : 0);
  }
  plat.abort = () => {
    throw new Error("abort");
  };
  plat.bootinfo_len = () => blob.length;
  plat.bootinfo_read = (ptr: number, len: number) => {
    const n = Math.min(len, blob.length);
    if (!mem || ptr + n > mem.buffer.byteLength) return 0;
    new Uint8Array(mem.buffer, ptr, n).set(blob.subarray(0, n));
    return n;
  };
  const inst = await WebAssembly.instantiate(module, { plat, env: { abort: plat.abort } });
  const e = inst.exports as { memory: WebAssembly.Memory; parse(): number; collect(): void };
  mem = e.memory;
  let n = 0;
  const edges = [64, 64 + 16, 64 + 230 * 16, 64 + 231 * 16];
  return {
    name: "bootinfo",
    edges,
    corpus,
    input(rnd) {
      return fromCorpus({ corpus, edges }, rnd);
    },
    run(input) {
      blob = input;
      try {
        e.parse();
        if (++n % 256 === 0) e.collect();
      } catch (err) {
        fault = `trap ${err instanceof Error ? err.message : String(err)} in parse`;
      }
      return null;
    },
    fault: () => fault,
  };
}
