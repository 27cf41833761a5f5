// Platform ABI, Node side (docs/PLATFORM_ABI.md): instantiates out/cohesix.wasm through the
// bindings AssemblyScript generates (`--bindings raw`, out/cohesix.js) and gives it the `plat`
// imports. The same module boots on the bare-metal shim; nothing here interprets the protocols.

import { randomFillSync } from "node:crypto";
import { readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type NetBackend, type NetSink, NoNetwork } from "./net.js";
import { ABI_VERSION } from "../generated/protocol.js";

export { ABI_VERSION };

/** The exports the core provides, as typed functions. */
export interface CoreExports {
  memory: WebAssembly.Memory;
  coh_abi_version(): number;
  coh_rx_buf(): number;
  coh_rx_cap(): number;
  coh_init(): void;
  coh_serial_rx(len: number): void;
  coh_tick(nowMs: bigint): void;
  coh_stream_accepted(conn: number, port: number, addr: number, rport: number): void;
  coh_stream_rx(conn: number, len: number): void;
  coh_stream_sent(conn: number, bytes: number): void;
  coh_stream_closed(conn: number): void;
  coh_dgram_rx(port: number, addr: number, rport: number, len: number): void;
}

/** Where the platform's side effects go; tests capture them, the CLI wires them to a terminal. */
export interface PlatformHooks {
  serialWrite(bytes: Uint8Array): void;
  bootinfo: Uint8Array;
  /** Monotonic clock in ms; defaults to process uptime. */
  nowMs?: () => bigint;
  /** Wall-clock Unix ms for ticket expiry; defaults to Date.now(). */
  wallMs?: () => bigint;
  /** Called when the core asks for periodic ticks (0 = stop). */
  timerPeriod?: (ms: number) => void;
  powerOff?: (code: number) => void;
  /** Streams and datagrams; without one the core is told the platform has no network. */
  net?: NetBackend;
}

export type CoreFault =
  | { kind: "trap"; export: string; message: string }
  | { kind: "abort"; line: number; col: number; message: string };

export class CoreStoppedError extends Error {
  constructor(readonly fault: CoreFault) {
    super(fault.kind === "trap" ? `wasm trap in ${fault.export}: ${fault.message}` : `abort: ${fault.message}`);
  }
}

const here = dirname(fileURLToPath(import.meta.url));
export const DEFAULT_WASM = resolve(here, "../../out/cohesix.wasm");

type Instantiate = (module: WebAssembly.Module, imports: object) => Promise<CoreExports>;

/** A running core: inbound bytes go in through the rx buffer, faults stop it for good. */
export class Core {
  private fault: CoreFault | null = null;
  private rxBuf = 0;
  private rxCap = 0;

  private constructor(
    readonly exports: CoreExports,
    private readonly hooks: PlatformHooks,
  ) {}

  static async load(hooks: PlatformHooks, wasmPath = DEFAULT_WASM): Promise<Core> {
    const bindingsPath = wasmPath.replace(/\.wasm$/, ".js");
    const { instantiate } = (await import(pathToFileURL(bindingsPath).href)) as { instantiate: Instantiate };
    const module = await WebAssembly.compile(await readFile(wasmPath));
    let core: Core | null = null;
    const exportsRef: { memory?: WebAssembly.Memory } = {};
    const mem = (): Uint8Array => new Uint8Array((exportsRef.memory as WebAssembly.Memory).buffer);
    // Bounds-check every (ptr, len) the core hands us, as the shim does; a bad one is dropped.
    const view = (ptr: number, len: number): Uint8Array | null => {
      const m = mem();
      return ptr + len <= m.length ? m.subarray(ptr, ptr + len) : null;
    };
    const start = process.hrtime.bigint();
    const net = hooks.net ?? new NoNetwork();
    const plat = {
      serial_write(ptr: number, len: number): void {
        const b = view(ptr, len);
        if (b) hooks.serialWrite(Uint8Array.from(b));
      },
      now_ms(): bigint {
        return hooks.nowMs ? hooks.nowMs() : (process.hrtime.bigint() - start) / 1_000_000n;
      },
      wall_ms(): bigint {
        return hooks.wallMs ? hooks.wallMs() : BigInt(Date.now());
      },
      timer_period(ms: number): void {
        hooks.timerPeriod?.(ms);
      },
      entropy(ptr: number, len: number): number {
        const b = view(ptr, len);
        if (!b) return 0;
        randomFillSync(b);
        return len;
      },
      bootinfo_len(): number {
        return hooks.bootinfo.length;
      },
      bootinfo_read(ptr: number, len: number): number {
        const n = Math.min(len, hooks.bootinfo.length);
        const b = view(ptr, n);
        if (!b) return 0;
        b.set(hooks.bootinfo.subarray(0, n));
        return n;
      },
      stream_listen: (port: number): number => net.listen(port),
      stream_send(conn: number, ptr: number, len: number): number {
        const b = view(ptr, len);
        return b ? net.send(conn, b) : -1;
      },
      stream_close: (conn: number): void => net.close(conn),
      dgram_bind: (port: number): number => net.bind(port),
      dgram_send(port: number, addr: number, rport: number, ptr: number, len: number): number {
        const b = view(ptr, len);
        return b ? net.sendDgram(port, addr, rport, b) : -1;
      },
      power_off(code: number): void {
        hooks.powerOff?.(code);
      },
      abort(msg: number, _file: number, line: number, col: number): void {
        const fault: CoreFault = { kind: "abort", line, col, message: liftString(mem(), msg) };
        core?.stop(fault);
        throw new CoreStoppedError(fault);
      },
    };
    const exports = await instantiate(module, { plat });
    exportsRef.memory = exports.memory;
    const version = exports.coh_abi_version();
    if (version !== ABI_VERSION) {
      throw new Error(`core ABI version ${version} does not match host ABI version ${ABI_VERSION}`);
    }
    core = new Core(exports, hooks);
    core.rxBuf = exports.coh_rx_buf();
    core.rxCap = exports.coh_rx_cap();
    net.setSink(core.netSink());
    return core;
  }

  get stopped(): CoreFault | null {
    return this.fault;
  }

  get rxCapacity(): number {
    return this.rxCap;
  }

  init(): void {
    this.call("coh_init", () => this.exports.coh_init());
  }

  /** Serial input of any length, delivered in rx-buffer-sized pieces. */
  serialInput(bytes: Uint8Array): void {
    this.inbound(bytes, "coh_serial_rx", (n) => this.exports.coh_serial_rx(n));
  }

  tick(nowMs: bigint): void {
    this.call("coh_tick", () => this.exports.coh_tick(nowMs));
  }

  /** Copies `bytes` through the rx buffer in capacity-sized pieces, calling `deliver` for each. */
  private inbound(bytes: Uint8Array, name: string, deliver: (len: number) => void): void {
    if (this.fault) throw new CoreStoppedError(this.fault);
    for (let off = 0; off < bytes.length && !this.fault; off += this.rxCap) {
      const piece = bytes.subarray(off, off + this.rxCap);
      new Uint8Array(this.exports.memory.buffer, this.rxBuf, piece.length).set(piece);
      this.call(name, () => deliver(piece.length));
    }
  }

  /** The core as the network backend's sink. After a fault, events are dropped. */
  netSink(): NetSink {
    const e = this.exports;
    const guard = (fn: () => void): void => {
      if (this.fault) return;
      try {
        fn();
      } catch (err) {
        if (!(err instanceof CoreStoppedError)) throw err;
      }
    };
    return {
      accepted: (conn, port, addr, rport) => guard(() => this.call("coh_stream_accepted", () => e.coh_stream_accepted(conn, port, addr, rport))),
      data: (conn, bytes) => guard(() => this.inbound(bytes, "coh_stream_rx", (n) => e.coh_stream_rx(conn, n))),
      sent: (conn, bytes) => guard(() => this.call("coh_stream_sent", () => e.coh_stream_sent(conn, bytes))),
      closed: (conn) => guard(() => this.call("coh_stream_closed", () => e.coh_stream_closed(conn))),
      dgram: (port, addr, rport, bytes) =>
        guard(() => {
          // A datagram is delivered whole or not at all: it may not be split across calls.
          if (bytes.length > this.rxCap) return;
          this.inbound(bytes, "coh_dgram_rx", (n) => e.coh_dgram_rx(port, addr, rport, n));
        }),
    };
  }

  private stop(fault: CoreFault): void {
    if (this.fault) return;
    this.fault = fault;
    const line =
      fault.kind === "trap"
        ? `[trap] wasm trap=${fault.message} export=${fault.export}\r\n`
        : `[trap] abort line=${fault.line} col=${fault.col} msg=${fault.message}\r\n`;
    this.hooks.serialWrite(new TextEncoder().encode(line));
  }

  /** Runs one export; a trap stops the core for good, exactly like the shim's halt. */
  private call(name: string, fn: () => void): void {
    if (this.fault) throw new CoreStoppedError(this.fault);
    try {
      fn();
    } catch (e) {
      if (e instanceof CoreStoppedError) throw e;
      if (e instanceof WebAssembly.RuntimeError) {
        const fault: CoreFault = { kind: "trap", export: name, message: trapKind(e.message) };
        this.stop(fault);
        throw new CoreStoppedError(fault);
      }
      throw e;
    }
  }
}

/** Reads an AssemblyScript string (UTF-16; its byte length is the u32 just before it), bounded. */
function liftString(m: Uint8Array, ptr: number): string {
  if (ptr < 4 || ptr > m.length) return "";
  const len = new DataView(m.buffer, m.byteOffset).getUint32(ptr - 4, true);
  const end = Math.min(ptr + Math.min(len, 512), m.length);
  return Buffer.from(m.subarray(ptr, end - ((end - ptr) % 2))).toString("utf16le");
}

/** Maps V8's trap messages to the shim's short trap names. */
function trapKind(msg: string): string {
  if (/out of bounds/.test(msg)) return "oob";
  if (/unreachable/.test(msg)) return "unreachable";
  if (/call stack|stack overflow/i.test(msg)) return "exhaustion";
  if (/divide by zero|division/i.test(msg)) return "div-by-zero";
  if (/integer overflow/.test(msg)) return "int-overflow";
  return msg.replace(/\s+/g, "-");
}
