// Where a client's byte pipe goes: a TCP console (QEMU, hardware, `npm run mock`), an in-process
// guest (the same wasm on the Node host), or a QEMU guest this process boots and owns. This is
// the only SDK module that imports host/runtime/ (tools reach the guest's platform through it).
// The console and 9P share the port (the guest sniffs the first bytes), so one connector serves
// either protocol.

import { RestNamespaceClient } from "./rest/client.js";
import { spawn } from "node:child_process";
import type { Socket } from "node:net";
import { MANIFEST } from "../generated/manifest.js";
import { Guest, type GuestOptions } from "../runtime/guest.js";
import type { StreamEnd } from "../runtime/net_loopback.js";
import { QemuGuest } from "../runtime/qemu.js";
import type { NamespaceClient } from "./ns.js";
import { ConnectError, tcpPipe, type BytePipe, type Connector } from "./pipe.js";

export interface Transport {
  /** tcp, mock or qemu: what progress lines call it. */
  name: "tcp" | "mock" | "qemu";
  connector: Connector;
  /** `host:port` for TCP-reached guests; what "connected to …" names. */
  endpoint: string;
  describe: string;
  stop(): Promise<void>;
}

export function loopbackPipe(end: StreamEnd): BytePipe {
  return {
    write: (b) => end.write(b),
    end: () => end.end(),
    onData: (cb) => end.onData(cb),
    onClose: (cb) => end.onClose(() => cb("closed by peer")),
  };
}

/** A connector dialling the console port of an in-process guest. */
export function guestConnector(guest: Guest, port: number = MANIFEST.network.console_port): Connector {
  return async () => {
    const end = guest.loopback.connect(port);
    if (!end) throw new ConnectError(`the in-process guest is not listening on port ${port}`);
    return loopbackPipe(end);
  };
}

export function tcpTransport(host: string, port: number): Transport {
  return { name: "tcp", connector: () => tcpPipe(host, port), endpoint: `${host}:${port}`, describe: `tcp ${host}:${port}`, stop: async () => {} };
}

export interface MockOptions {
  /** Another core than out/cohesix.wasm (e.g. a build/variant.mjs build). */
  wasm?: string;
  guest?: Omit<GuestOptions, "net" | "wasm">;
}

/** Starts the core in this process (a faithful guest: the same wasm QEMU boots). */
export async function mockTransport(opts: MockOptions | string = {}): Promise<Transport & { guest: Guest }> {
  const o = typeof opts === "string" ? { wasm: opts } : opts;
  const guest = await Guest.start({ ...o.guest, net: "loopback", wasm: o.wasm });
  return { name: "mock", guest, connector: guestConnector(guest), endpoint: "mock", describe: "mock (in-process guest)", stop: () => guest.stop() };
}

export interface QemuTransportOptions {
  gic?: 2 | 3;
  cpu?: string;
  /** Another image than out/cohesix.img (e.g. a build/variant.mjs build). */
  image?: string;
  /** Another QEMU binary (default qemu-system-aarch64). */
  qemuBin?: string;
  /** Extra QEMU arguments, appended after run.sh's own. */
  extraArgs?: string[];
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

// A watchdog child that outlives a parent killed with SIGKILL: it holds the read end of a pipe
// whose write end only the parent has; when that closes (the parent is gone, however it went),
// it stops QEMU by pid (TERM, then KILL after 3 s). In its own process group, so a signal to the
// parent's group (Ctrl-C, a closed terminal) does not take the watchdog down before QEMU.
const WATCHDOG = `
const pid = Number(process.argv[1]);
const fs = require("node:fs");
// A zombie (exited, not yet reaped: its parent is gone and PID 1 may not reap) counts as stopped.
const alive = () => { try { process.kill(pid, 0); } catch { return false; } try { return !/^\d+ \(.*\) Z/.test(fs.readFileSync("/proc/" + pid + "/stat", "utf8")); } catch { return process.platform !== "linux"; } };
const stop = () => {
  if (!alive()) process.exit(0);
  try { process.kill(pid, "SIGTERM"); } catch {}
  const t = setInterval(() => { if (!alive()) process.exit(0); }, 50);
  setTimeout(() => { try { process.kill(pid, "SIGKILL"); } catch {} clearInterval(t); process.exit(0); }, 3000);
};
process.stdin.on("end", stop);
process.stdin.on("error", stop);
process.stdin.resume();
setInterval(() => { if (!alive()) process.exit(0); }, 1000);
`;

/** Starts the watchdog for `pid`; returns how to dismiss it after a normal stop. */
export function watchPid(pid: number): { pid: number; dismiss(): void } {
  const w = spawn(process.execPath, ["-e", WATCHDOG, String(pid)], { stdio: ["pipe", "ignore", "ignore"], detached: true });
  w.unref();
  // The pipe must not keep this process alive; it only has to exist until we exit (stdin of a
  // spawned child is a net.Socket at run time).
  (w.stdin as unknown as Socket | null)?.unref();
  return {
    pid: w.pid ?? -1,
    dismiss: () => {
      w.stdin?.end();
    },
  };
}

/** Boots qemu/run.sh on free host ports, waits for the ready line; QEMU never outlives this process. */
export async function qemuTransport(opts: QemuTransportOptions = {}): Promise<Transport & { qemu: QemuGuest; watchdogPid: number }> {
  const q = await QemuGuest.start({ gic: opts.gic, cpu: opts.cpu, image: opts.image, qemuBin: opts.qemuBin, extraArgs: opts.extraArgs });
  const dog = q.proc.pid !== undefined ? watchPid(q.proc.pid) : null;
  const stop = async (): Promise<void> => {
    await q.stop();
    dog?.dismiss();
  };
  try {
    await q.waitReady(opts.readyTimeoutMs ?? 30_000);
  } catch (e) {
    await stop();
    throw e;
  }
  opts.log?.(`[cohsh][qemu] guest ready (qemu pid ${q.proc.pid ?? "?"}, watchdog pid ${dog?.pid ?? "?"}), console on 127.0.0.1:${q.ports.tcp}`);
  const endpoint = `127.0.0.1:${q.ports.tcp}`;
  return { name: "qemu", qemu: q, watchdogPid: dog?.pid ?? -1, connector: () => tcpPipe("127.0.0.1", q.ports.tcp), endpoint, describe: `qemu (console ${endpoint})`, stop };
}

/** A --rest-url that cannot name a gateway (the caller exits with a usage error). */
export class RestUnavailableError extends Error {
  override readonly name = "RestUnavailableError";
}

/** A NamespaceClient over hive-gateway's REST API (host/sdk/rest/), connected (bounds learnt). */
export async function restClient(url: string, token?: string): Promise<NamespaceClient> {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RestUnavailableError(`'${url}' is not a URL; give the gateway as http://HOST:PORT (hive-gateway prints it when it listens)`);
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") throw new RestUnavailableError(`'${url}': the gateway speaks http:// or https://, not ${u.protocol}`);
  const ns = new RestNamespaceClient({ url, token: token ?? "" });
  await ns.connect();
  return ns;
}
