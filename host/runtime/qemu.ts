// A QEMU-booted guest (qemu/run.sh) on free host ports, its serial console on a pipe. Used by
// cohsh's qemu transport, the end-to-end tests and the benchmarks. Always stop() what you start.

import { spawn, type ChildProcess } from "node:child_process";
import { createSocket } from "node:dgram";
import { createServer } from "node:net";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(fileURLToPath(import.meta.url), "../../..");
export const READY = "Cohesix console ready";

/** A free TCP (or UDP) port on 127.0.0.1: bound, read and released; the race window is tiny. */
export function freePort(udp = false): Promise<number> {
  return new Promise((res, rej) => {
    if (udp) {
      const u = createSocket("udp4");
      u.once("error", rej);
      u.bind(0, "127.0.0.1", () => {
        const port = u.address().port;
        u.close(() => res(port));
      });
      return;
    }
    const s = createServer();
    s.once("error", rej);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = a && typeof a === "object" ? a.port : 0;
      s.close(() => res(port));
    });
  });
}

/**
 * The guest's three host forwards (console, UDP echo, smoke) on distinct free ports: all three are
 * held bound at once before any is released, so two calls of freePort() cannot hand back the same
 * TCP port twice (seen under load: QEMU then refuses the second forward and exits).
 */
export async function freePortSet(): Promise<{ tcp: number; udp: number; smoke: number }> {
  const a = createServer();
  const b = createServer();
  const u = createSocket("udp4");
  const listen = (srv: ReturnType<typeof createServer>): Promise<number> =>
    new Promise((res, rej) => {
      srv.once("error", rej);
      srv.listen(0, "127.0.0.1", () => {
        const ad = srv.address();
        res(ad && typeof ad === "object" ? ad.port : 0);
      });
    });
  try {
    const tcp = await listen(a);
    const smoke = await listen(b);
    const udp = await new Promise<number>((res, rej) => {
      u.once("error", rej);
      u.bind(0, "127.0.0.1", () => res(u.address().port));
    });
    return { tcp, udp, smoke };
  } finally {
    await Promise.all([new Promise((r) => a.close(r)), new Promise((r) => b.close(r)), new Promise<void>((r) => { try { u.close(() => r()); } catch { r(); } })]);
  }
}

export interface QemuOptions {
  gic?: 2 | 3;
  cpu?: string;
  memMiB?: number;
  /** Boot without a NIC (`-nic none`). */
  noNet?: boolean;
  /** Another image than out/cohesix.img. */
  image?: string;
  /** Another QEMU binary than qemu-system-aarch64 (run.sh's COH_QEMU). */
  qemuBin?: string;
  /** Extra QEMU arguments (after run.sh's `--`). */
  extraArgs?: string[];
  /** More qemu/run.sh flags (e.g. `--uefi --vars FILE`, docs/UEFI.md). */
  runArgs?: string[];
  /** Extra QEMU arguments (after run.sh's `--`), appended after extraArgs. */
  qemuArgs?: string[];
}

export interface HostPorts {
  tcp: number;
  udp: number;
  smoke: number;
}

// Every QEMU this process started and has not seen exit. A test that times out never runs its
// `finally`, so the guest it booted would outlive the run: on exit, whatever is still here is
// killed by pid (synchronously: an exit handler cannot wait).
const LIVE = new Set<number>();
process.once("exit", () => {
  for (const pid of LIVE) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
});

export class QemuGuest {
  private buf = "";
  private waiters: Array<() => void> = [];
  exited: number | null = null;

  private constructor(
    readonly proc: ChildProcess,
    readonly ports: HostPorts,
    readonly spawnedAt: bigint,
  ) {
    const onData = (d: Buffer): void => {
      this.buf += d.toString("utf8");
      for (const w of this.waiters.splice(0)) w();
    };
    proc.stdout?.on("data", onData);
    proc.stderr?.on("data", onData);
    if (proc.pid !== undefined) LIVE.add(proc.pid);
    proc.on("exit", (code) => {
      if (proc.pid !== undefined) LIVE.delete(proc.pid);
      this.exited = code ?? -1;
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async start(opts: QemuOptions = {}): Promise<QemuGuest> {
    const ports = await freePortSet();
    const args = ["--gic", String(opts.gic ?? 3), "--cpu", opts.cpu ?? "cortex-a57", "--mem", String(opts.memMiB ?? 1024)];
    if (opts.noNet) args.push("--no-net");
    if (opts.image) args.push("--image", opts.image);
    if (opts.runArgs) args.push(...opts.runArgs);
    const after = [...(opts.extraArgs ?? []), ...(opts.qemuArgs ?? [])];
    if (after.length) args.push("--", ...after);
    const spawnedAt = process.hrtime.bigint();
    const proc = spawn(resolve(ROOT, "qemu/run.sh"), args, {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, ...(opts.qemuBin ? { COH_QEMU: opts.qemuBin } : {}), COH_TCP_PORT: String(ports.tcp), COH_UDP_PORT: String(ports.udp), COH_SMOKE_PORT: String(ports.smoke) },
    });
    return new QemuGuest(proc, ports, spawnedAt);
  }

  get output(): string {
    return this.buf;
  }

  /** Resolves once `pred` holds on the serial output; rejects on exit or timeout (no fixed sleeps). */
  async waitFor(pred: (out: string) => boolean, timeoutMs = 20_000, what = "output"): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.buf)) {
      if (this.exited !== null) throw new Error(`QEMU exited (${this.exited}) while waiting for ${what}:\n${this.buf}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${what}; output so far:\n${this.buf}`);
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }

  waitReady(timeoutMs = 20_000): Promise<void> {
    return this.waitFor((o) => o.includes(READY), timeoutMs, "'Cohesix console ready'");
  }

  send(text: string): void {
    this.proc.stdin?.write(text);
  }

  /** Stops QEMU by pid: SIGTERM, then SIGKILL if it has not gone in 3 s. */
  async stop(): Promise<void> {
    if (this.exited !== null || this.proc.pid === undefined) return;
    const pid = this.proc.pid;
    const gone = new Promise<void>((res) => this.proc.once("exit", () => res()));
    process.kill(pid, "SIGTERM");
    const t = setTimeout(() => {
      if (this.exited === null) process.kill(pid, "SIGKILL");
    }, 3000);
    await gone;
    clearTimeout(t);
  }
}
