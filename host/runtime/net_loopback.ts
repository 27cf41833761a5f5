// In-process network: clients get connection ends wired straight to the core, with no sockets.
// Deliveries are deferred to the event loop (setImmediate), so the core is never re-entered.

import { type NetBackend, type NetSink, PLAT_IN_USE } from "./net.js";

/** What a client holds: write bytes in, get bytes and the close out. */
export interface StreamEnd {
  write(bytes: Uint8Array): void;
  end(): void;
  onData(cb: (bytes: Uint8Array) => void): void;
  onClose(cb: () => void): void;
  /** Stop / start reading: while paused, what the core sends stays unread and fills its window. */
  pause(): void;
  resume(): void;
  readonly closed: boolean;
}

/** Bytes the core may have sent and the client not yet read, per connection: lwIP's TCP_SND_BUF on QEMU. */
export const LOOPBACK_SEND_WINDOW = 64240;

/** The address a loopback client appears to come from: the slirp host, as in QEMU. */
export const LOOPBACK_PEER = 0x0a000202;

class LoopbackConn implements StreamEnd {
  private dataCbs: Array<(b: Uint8Array) => void> = [];
  private closeCbs: Array<() => void> = [];
  private pending: Uint8Array[] = [];
  private paused = false;
  /** Sent by the core, not yet read by the client. */
  inFlight = 0;
  closed = false;
  constructor(
    readonly id: number,
    private net: LoopbackNet,
  ) {}

  write(bytes: Uint8Array): void {
    if (this.closed) return;
    const copy = Uint8Array.from(bytes);
    this.net.defer(() => !this.closed && this.net.sink?.data(this.id, copy));
  }
  end(): void {
    this.net.dropConn(this);
  }
  onData(cb: (b: Uint8Array) => void): void {
    this.dataCbs.push(cb);
    if (!this.paused) for (const b of this.pending.splice(0)) this.consume(b);
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
    if (this.dataCbs.length > 0) for (const b of this.pending.splice(0)) this.consume(b);
  }
  onClose(cb: () => void): void {
    if (this.closed) this.net.defer(cb);
    else this.closeCbs.push(cb);
  }
  /** Bytes the core sent arrive; they count against the window until the client reads them. */
  deliver(bytes: Uint8Array): void {
    if (this.paused || this.dataCbs.length === 0) this.pending.push(bytes);
    else this.consume(bytes);
  }
  private consume(bytes: Uint8Array): void {
    for (const cb of this.dataCbs) cb(bytes);
    this.net.acked(this, bytes.length);
  }
  markClosed(): void {
    if (this.closed) return;
    this.closed = true;
    for (const cb of this.closeCbs.splice(0)) cb();
  }
}

export class LoopbackNet implements NetBackend {
  sink: NetSink | null = null;
  constructor(readonly sendWindow: number = LOOPBACK_SEND_WINDOW) {}
  private listening = new Set<number>();
  private bound = new Set<number>();
  private conns = new Map<number, LoopbackConn>();
  private nextId = 1;
  private nextPort = 40000;
  /** Datagrams the core sent, for clients of dgram(). */
  private dgramWaiters = new Map<number, (b: Uint8Array) => void>();

  setSink(sink: NetSink): void {
    this.sink = sink;
  }

  defer(fn: () => void): void {
    setImmediate(fn);
  }

  listen(port: number): number {
    if (this.listening.has(port)) return PLAT_IN_USE;
    this.listening.add(port);
    return 0;
  }

  bind(port: number): number {
    if (this.bound.has(port)) return PLAT_IN_USE;
    this.bound.add(port);
    return 0;
  }

  /** A client connects to a guest port; null if nothing listens there (connection refused). */
  connect(port: number): StreamEnd | null {
    if (!this.listening.has(port)) return null;
    const c = new LoopbackConn(this.nextId++, this);
    this.conns.set(c.id, c);
    const rport = this.nextPort++;
    this.defer(() => this.sink?.accepted(c.id, port, LOOPBACK_PEER, rport));
    return c;
  }

  /** Takes what fits the connection's window (possibly 0: back-pressure, as lwIP gives). */
  send(conn: number, bytes: Uint8Array): number {
    const c = this.conns.get(conn);
    if (!c || c.closed) return -1;
    const n = Math.min(bytes.length, this.sendWindow - c.inFlight);
    if (n <= 0) return 0;
    c.inFlight += n;
    const copy = Uint8Array.from(bytes.subarray(0, n));
    this.defer(() => c.deliver(copy));
    return n;
  }

  /** The client read `n` bytes: the window opens and the core hears so (coh_stream_sent). */
  acked(c: LoopbackConn, n: number): void {
    c.inFlight -= n;
    if (this.conns.has(c.id)) this.defer(() => this.sink?.sent(c.id, n));
  }

  close(conn: number): void {
    const c = this.conns.get(conn);
    if (c) this.dropConn(c);
  }

  dropConn(c: LoopbackConn): void {
    if (!this.conns.has(c.id)) return;
    this.conns.delete(c.id);
    // Bytes already queued by send() are delivered first: a deferred close keeps the order.
    this.defer(() => {
      c.markClosed();
      this.sink?.closed(c.id);
    });
  }

  /** Sends one datagram to a guest port and resolves with the reply (or null if none). */
  dgram(port: number, bytes: Uint8Array, timeoutMs = 1000): Promise<Uint8Array | null> {
    if (!this.bound.has(port)) return Promise.resolve(null);
    const rport = this.nextPort++;
    return new Promise((res) => {
      const t = setTimeout(() => {
        this.dgramWaiters.delete(rport);
        res(null);
      }, timeoutMs);
      this.dgramWaiters.set(rport, (b) => {
        clearTimeout(t);
        res(b);
      });
      const copy = Uint8Array.from(bytes);
      this.defer(() => this.sink?.dgram(port, LOOPBACK_PEER, rport, copy));
    });
  }

  sendDgram(_port: number, _addr: number, rport: number, bytes: Uint8Array): number {
    const w = this.dgramWaiters.get(rport);
    if (w) {
      this.dgramWaiters.delete(rport);
      const copy = Uint8Array.from(bytes);
      this.defer(() => w(copy));
    }
    return bytes.length;
  }

  async shutdown(): Promise<void> {
    for (const c of [...this.conns.values()]) this.dropConn(c);
  }
}
