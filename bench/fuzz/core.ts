// The Node-hosted core driven synchronously for fuzzing: the same out/cohesix.wasm the mock and
// QEMU run, with a network fake that takes every byte at once (no event loop between the core's
// calls) and a clock the fuzzer moves (so attach back-off and rate limits never slow it down).
// Replies are kept per connection only while a session is being set up.

import { Core, DEFAULT_WASM } from "../../host/runtime/abi.js";
import { encodeBootInfo, virtMachine } from "../../host/runtime/bootinfo.js";
import type { NetBackend, NetSink } from "../../host/runtime/net.js";
import { encodeFrame } from "../../host/sdk/console/frame.js";
import { MANIFEST } from "../../host/generated/manifest.js";
import { encode, NOFID } from "../../host/sdk/p9/codec.js";
import { mintTicket } from "../../host/sdk/ticket/index.js";

/** A peer that reads everything at once; closes are delivered after the call that made them. */
class FastNet implements NetBackend {
  sink: NetSink | null = null;
  closedByCore = new Set<number>();
  capture = new Map<number, Buffer[]>();
  setSink(s: NetSink): void {
    this.sink = s;
  }
  listen(): number {
    return 0;
  }
  bind(): number {
    return 0;
  }
  send(conn: number, bytes: Uint8Array): number {
    if (this.closedByCore.has(conn)) return -1;
    this.capture.get(conn)?.push(Buffer.from(bytes));
    return bytes.length;
  }
  close(conn: number): void {
    this.closedByCore.add(conn);
  }
  sendDgram(_p: number, _a: number, _r: number, b: Uint8Array): number {
    return b.length;
  }
  async shutdown(): Promise<void> {}
}

export const WALL_MS = 1_800_000_000_000n;
const PEER = 0x0a000202;

export class FuzzCore {
  private clock = 0n;
  private nextConn = 1;
  private constructor(
    readonly core: Core,
    private readonly net: FastNet,
  ) {}

  static async start(wasm = DEFAULT_WASM): Promise<FuzzCore> {
    const net = new FastNet();
    let self: FuzzCore | null = null;
    const core = await Core.load(
      {
        serialWrite: () => undefined,
        bootinfo: encodeBootInfo(virtMachine(1024, 3)),
        nowMs: () => self?.clock ?? 0n,
        wallMs: () => WALL_MS,
        net,
      },
      wasm,
    );
    self = new FuzzCore(core, net);
    core.init();
    return self;
  }

  get fault(): string | null {
    const f = this.core.stopped;
    return f ? (f.kind === "trap" ? `trap ${f.message} in ${f.export}` : `abort ${f.message} at ${f.line}:${f.col}`) : null;
  }

  /** Moves the clock (attach back-off, lockouts and rate windows pass) and ticks once. */
  advance(ms: number): void {
    this.clock += BigInt(ms);
    if (!this.core.stopped) this.core.tick(this.clock);
  }

  private sink(): NetSink {
    return this.net.sink as NetSink;
  }

  open(port = MANIFEST.network.console_port): number {
    const id = this.nextConn++;
    this.sink().accepted(id, port, PEER, 40000 + (id % 20000));
    return id;
  }

  /** True while the core has not closed `conn`. */
  alive(conn: number): boolean {
    return !this.net.closedByCore.has(conn);
  }

  feed(conn: number, bytes: Uint8Array): void {
    if (bytes.length > 0) this.sink().data(conn, bytes);
  }

  close(conn: number): void {
    this.net.closedByCore.delete(conn);
    this.net.capture.delete(conn);
    this.sink().closed(conn);
  }

  /** Feeds `bytes` and returns what the core sent back meanwhile (session setup only). */
  exchange(conn: number, bytes: Uint8Array): Buffer {
    this.net.capture.set(conn, []);
    this.feed(conn, bytes);
    const out = Buffer.concat(this.net.capture.get(conn) ?? []);
    this.net.capture.delete(conn);
    return out;
  }

  /** A console session, AUTHed and attached as the queen. */
  console(): number {
    const c = this.open();
    const r = this.exchange(c, Buffer.concat([encodeFrame("AUTH " + MANIFEST.console.auth_token), encodeFrame("ATTACH queen")]));
    if (!r.toString("latin1").includes("OK ATTACH role=queen")) throw new Error(`console setup failed: ${r.toString("latin1")}`);
    return c;
  }

  /** A 9P session attached with `role`'s ticket (fid 1 = root). */
  nine(role: keyof typeof MANIFEST.tickets = "queen", subject?: string): number {
    const c = this.open();
    const t = mintTicket({ role, subject, secret: MANIFEST.tickets[role], nowMs: WALL_MS });
    if (!t.ok) throw new Error(t.error.message);
    const r = this.exchange(c, Buffer.concat([encode("Tversion", 0xffff, { msize: 8192, version: "9P2000.L" }), encode("Tattach", 1, { fid: 1, afid: NOFID, uname: role, aname: t.value.token, n_uname: NOFID })]));
    // Rattach is type 105; it follows the Rversion frame.
    const first = r.readUInt32LE(0);
    if (r.length <= first + 4 || r[first + 4] !== 105) throw new Error("9P setup failed");
    return c;
  }

  stop(): void {
    // Nothing runs in the background: no timer was started (the clock only moves on advance()).
  }
}
