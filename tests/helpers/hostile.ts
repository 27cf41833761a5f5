// Hostile and sustained traffic against a guest (issue 10): the same scenarios run against the
// Node-hosted mock (loopback network) and the QEMU image (real TCP through slirp). Each one
// returns what it saw; the tests decide what must hold. Nothing here sleeps for a fixed time:
// every wait is on a reply, a close, or a deadline the guest itself enforces.

import { ConsoleClient } from "../../host/sdk/console/client.js";
import { encodeFrame } from "../../host/sdk/console/frame.js";
import { loopbackPipe } from "../../host/sdk/connect.js";
import { type BytePipe, tcpPipe } from "../../host/sdk/pipe.js";
import { MANIFEST } from "../../host/generated/manifest.js";
import { decode, encode, type Fields, type Message, NOFID } from "../../host/sdk/p9/codec.js";
import type { Guest } from "../../host/runtime/guest.js";
import type { QemuGuest } from "../../host/runtime/qemu.js";
import { manifestTicket, type TicketRole } from "./tickets.js";

export interface Target {
  readonly kind: "mock" | "qemu";
  console(): Promise<BytePipe>;
  smoke(): Promise<BytePipe>;
  /** Wall-clock ms the guest checks tickets against. */
  wallMs(): bigint;
  /** Why the core stopped (a trap or abort), or null while it runs. */
  fault(): string | null;
}

export function mockTarget(g: Guest): Target {
  const open = (port: number): Promise<BytePipe> => {
    const end = g.loopback.connect(port);
    if (!end) throw new Error(`nothing listens on port ${port}`);
    return Promise.resolve(loopbackPipe(end));
  };
  return {
    kind: "mock",
    console: () => open(MANIFEST.network.console_port),
    smoke: () => open(MANIFEST.network.tcp_smoke_port),
    wallMs: () => BigInt(Date.now()),
    fault: () => (g.core.stopped ? (g.serialOutput.match(/\[trap\][^\n]*/)?.[0] ?? "stopped") : null),
  };
}

export function qemuTarget(q: QemuGuest): Target {
  return {
    kind: "qemu",
    console: () => tcpPipe("127.0.0.1", q.ports.tcp),
    smoke: () => tcpPipe("127.0.0.1", q.ports.smoke),
    wallMs: () => BigInt(Date.now()),
    fault: () => q.output.match(/\[trap\][^\n]*/)?.[0] ?? null,
  };
}

/** A console client on its own pipe, so tests can also write raw bytes (batches) to it. */
export class Console {
  readonly client: ConsoleClient;
  constructor(readonly pipe: BytePipe) {
    this.client = new ConsoleClient(pipe);
  }
  static async open(t: Target): Promise<Console> {
    return new Console(await t.console());
  }
  request(line: string, timeoutMs = 10_000) {
    return this.client.request(line, timeoutMs);
  }
  close(): void {
    this.client.close();
  }
}

export async function queenConsole(t: Target): Promise<Console> {
  const c = await Console.open(t);
  const a = await c.request("AUTH " + MANIFEST.console.auth_token);
  if (a.ack !== "OK AUTH") throw new Error(`AUTH: ${a.ack}`);
  const r = await c.request("ATTACH queen");
  if (r.ack !== "OK ATTACH role=queen") throw new Error(`ATTACH: ${r.ack}`);
  return c;
}

export interface FloodResult {
  sent: number;
  ok: number;
  busy: number;
  other: string[];
}

/**
 * Sends `total` copies of `line` in batches of `batch` frames per write (one TCP segment or
 * more) and reads every reply before the next batch. Busy refusals are counted apart.
 */
export async function floodConsole(c: Console, line: string, total: number, batch = 100): Promise<FloodResult> {
  const r: FloodResult = { sent: 0, ok: 0, busy: 0, other: [] };
  const frames = Buffer.concat(Array.from({ length: batch }, () => encodeFrame(line)));
  while (r.sent < total) {
    const n = Math.min(batch, total - r.sent);
    c.pipe.write(n === batch ? frames : frames.subarray(0, (frames.length / batch) * n));
    r.sent += n;
    for (let i = 0; i < n; i++) {
      const rep = await c.client.collect(20_000);
      if (rep.ok) r.ok++;
      else if (/reason=busy/.test(rep.ack)) r.busy++;
      else if (r.other.length < 5) r.other.push(rep.ack);
    }
  }
  return r;
}

/** Raw 9P over a pipe: requests written in batches, replies read in order. */
export class Raw9p {
  private buf = Buffer.alloc(0);
  private replies: Message[] = [];
  private wake: (() => void) | null = null;
  closed = false;
  constructor(readonly pipe: BytePipe) {
    pipe.onData((b) => {
      this.buf = Buffer.concat([this.buf, b]);
      while (this.buf.length >= 4) {
        const n = this.buf.readUInt32LE(0);
        if (this.buf.length < n) break;
        try {
          this.replies.push(decode(new Uint8Array(this.buf.subarray(0, n))));
        } catch {
          this.closed = true; // not 9P (a console line): nothing more will parse
          pipe.end();
          break;
        }
        this.buf = this.buf.subarray(n);
      }
      this.wake?.();
    });
    pipe.onClose(() => {
      this.closed = true;
      this.wake?.();
    });
  }
  send(frames: Uint8Array[]): void {
    this.pipe.write(Buffer.concat(frames));
  }
  async next(timeoutMs = 20_000): Promise<Message> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.replies.shift();
      if (m) return m;
      if (this.closed) throw new Error("9P connection closed");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no 9P reply within ${timeoutMs} ms`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.wake = () => {
          clearTimeout(t);
          this.wake = null;
          res();
        };
      });
    }
  }
  async rpc(name: string, fields: Fields, tag = 1): Promise<Message> {
    this.send([encode(name, tag, fields)]);
    return this.next();
  }
}

/** A raw 9P session attached with a freshly minted ticket; `root` is fid 1. */
export async function raw9p(t: Target, role: TicketRole = "queen", subject?: string): Promise<Raw9p> {
  const p = new Raw9p(await t.console());
  const v = await p.rpc("Tversion", { msize: 8192, version: "9P2000.L" }, 0xffff);
  if (v.name !== "Rversion") throw new Error(`Tversion: ${v.name}`);
  const a = await p.rpc("Tattach", { fid: 1, afid: NOFID, uname: role, aname: manifestTicket(role, subject, t.wallMs()), n_uname: NOFID });
  if (a.name !== "Rattach") throw new Error(`Tattach: ${a.name} ${JSON.stringify(a.fields)}`);
  return p;
}

/** Walks `path` from fid 1 to `fid` and opens it (flags 0 = read, 0o2001 = append). */
export async function openFid(p: Raw9p, path: string, fid: number, flags = 0): Promise<void> {
  const names = path.split("/").filter((s) => s.length > 0);
  const w = await p.rpc("Twalk", { fid: 1, newfid: fid, names });
  if (w.name !== "Rwalk" || (w.fields.qids as unknown[]).length !== names.length) throw new Error(`Twalk ${path}: ${w.name}`);
  const o = await p.rpc("Tlopen", { fid, flags });
  if (o.name !== "Rlopen") throw new Error(`Tlopen ${path}: ${o.name} ${JSON.stringify(o.fields)}`);
}

/** `total` Treads of `fid` at offset 0 (count bytes each), `batch` per write; counts Rread / EAGAIN / other. */
export async function floodTread(p: Raw9p, fid: number, count: number, total: number, batch = 100): Promise<FloodResult> {
  const r: FloodResult = { sent: 0, ok: 0, busy: 0, other: [] };
  while (r.sent < total) {
    const n = Math.min(batch, total - r.sent);
    p.send(Array.from({ length: n }, (_, i) => encode("Tread", 1 + i, { fid, offset: 0n, count })));
    r.sent += n;
    for (let i = 0; i < n; i++) {
      const m = await p.next();
      if (m.name === "Rread") r.ok++;
      else if (m.name === "Rlerror" && m.fields.ecode === 11) r.busy++;
      else if (r.other.length < 5) r.other.push(`${m.name} ${JSON.stringify(m.fields)}`);
    }
  }
  return r;
}

/** The guest still answers: a fresh queen session PINGs and reads /proc/memory. */
export async function memoryPages(t: Target): Promise<{ pages: number; high: number; lines: string[] }> {
  const q = await queenConsole(t);
  try {
    const ping = await q.request("PING");
    if (ping.ack !== "OK PING reply=pong") throw new Error(`PING: ${ping.ack}`);
    const m = await q.request("CAT /proc/memory");
    const pages = Number(/pages=(\d+)/.exec(m.lines[0] ?? "")?.[1]);
    const high = Number(/high_water_pages=(\d+)/.exec(m.lines.join(" "))?.[1]);
    return { pages, high, lines: m.lines };
  } finally {
    q.close();
  }
}

/** Resolves once the pipe closes (the guest dropped it), or rejects after `timeoutMs`. */
export function closedWithin(pipe: BytePipe, timeoutMs: number): Promise<void> {
  return new Promise((res, rej) => {
    const t = setTimeout(() => rej(new Error(`still open after ${timeoutMs} ms`)), timeoutMs);
    pipe.onClose(() => {
      clearTimeout(t);
      res();
    });
  });
}
