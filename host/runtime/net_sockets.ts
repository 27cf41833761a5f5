// Real sockets for the Node host: the core's listening ports become TCP/UDP listeners on the
// host (by default on 127.0.0.1 and the same port numbers QEMU forwards; tests map them to 0
// to get free ports).

import { createSocket, type Socket as UdpSocket } from "node:dgram";
import { createServer, type Server, type Socket } from "node:net";
import { ipv4ToU32, type NetBackend, type NetSink, PLAT_IN_USE, PLAT_NO_RESOURCES, u32ToIpv4 } from "./net.js";

// Bytes a socket may hold unsent before send() reports back-pressure (returns 0).
const SEND_HIGH_WATER = 64 * 1024;

export interface SocketNetOptions {
  host?: string;
  /** Guest port -> host port (0 = any free port). Unlisted ports use the same number. */
  portMap?: Record<number, number>;
}

export class SocketNet implements NetBackend {
  private sink: NetSink | null = null;
  private servers = new Map<number, Server>();
  private udp = new Map<number, UdpSocket>();
  private conns = new Map<number, Socket>();
  private nextId = 1;
  private readonly host: string;
  private readonly portMap: Record<number, number>;
  private ready: Array<Promise<void>> = [];
  /** Guest port -> the host port actually bound (known once `whenReady()` resolves). */
  readonly bound = new Map<number, number>();

  constructor(opts: SocketNetOptions = {}) {
    this.host = opts.host ?? "127.0.0.1";
    this.portMap = opts.portMap ?? {};
  }

  setSink(sink: NetSink): void {
    this.sink = sink;
  }

  /** Resolves when every listener the core asked for is bound (or rejects naming the port). */
  async whenReady(): Promise<void> {
    await Promise.all(this.ready);
  }

  private hostPort(port: number): number {
    return this.portMap[port] ?? port;
  }

  listen(port: number): number {
    if (this.servers.has(port)) return PLAT_IN_USE;
    const server = createServer((sock) => this.accept(port, sock));
    this.servers.set(port, server);
    this.ready.push(
      new Promise((res, rej) => {
        server.once("error", (e) => rej(new Error(`cannot listen on ${this.host}:${this.hostPort(port)} for guest port ${port}: ${e.message}`)));
        server.listen(this.hostPort(port), this.host, () => {
          const a = server.address();
          if (a && typeof a === "object") this.bound.set(port, a.port);
          res();
        });
      }),
    );
    return 0;
  }

  private accept(port: number, sock: Socket): void {
    const id = this.nextId++;
    this.conns.set(id, sock);
    sock.setNoDelay(true);
    sock.on("data", (d: Buffer) => this.sink?.data(id, d));
    sock.on("drain", () => this.sink?.sent(id, 0));
    sock.on("error", () => sock.destroy());
    sock.on("close", () => {
      this.conns.delete(id);
      this.sink?.closed(id);
    });
    this.sink?.accepted(id, port, ipv4ToU32(sock.remoteAddress ?? ""), sock.remotePort ?? 0);
  }

  send(conn: number, bytes: Uint8Array): number {
    const s = this.conns.get(conn);
    if (!s || s.destroyed || s.writableEnded) return -1;
    if (s.writableLength >= SEND_HIGH_WATER) return 0;
    s.write(Buffer.from(bytes));
    return bytes.length;
  }

  close(conn: number): void {
    this.conns.get(conn)?.end();
  }

  bind(port: number): number {
    if (this.udp.has(port)) return PLAT_IN_USE;
    let sock: UdpSocket;
    try {
      sock = createSocket("udp4");
    } catch {
      return PLAT_NO_RESOURCES;
    }
    this.udp.set(port, sock);
    sock.on("message", (msg, rinfo) => this.sink?.dgram(port, ipv4ToU32(rinfo.address), rinfo.port, msg));
    this.ready.push(
      new Promise((res, rej) => {
        sock.once("error", (e) => rej(new Error(`cannot bind udp ${this.host}:${this.hostPort(port)} for guest port ${port}: ${e.message}`)));
        sock.bind(this.hostPort(port), this.host, () => {
          this.bound.set(port, sock.address().port);
          res();
        });
      }),
    );
    return 0;
  }

  sendDgram(port: number, addr: number, rport: number, bytes: Uint8Array): number {
    const s = this.udp.get(port);
    if (!s) return -1;
    s.send(Buffer.from(bytes), rport, u32ToIpv4(addr));
    return bytes.length;
  }

  async shutdown(): Promise<void> {
    for (const s of this.conns.values()) s.destroy();
    await Promise.all([...this.servers.values()].map((s) => new Promise<void>((res) => s.close(() => res()))));
    for (const u of this.udp.values()) u.close();
  }
}
