// Cohesix core: the root task's entry points. Every export here is part of the platform ABI
// (docs/PLATFORM_ABI.md); the platform calls them, never the other way round.

import {
  EVENT_PUMP_TICK_MS,
  MANIFEST_SHA256,
  NETWORK_CONSOLE_PORT,
  NETWORK_GATEWAY,
  NETWORK_IP,
  NETWORK_PREFIX,
  NETWORK_TCP_SMOKE_PORT,
  NETWORK_UDP_ECHO_PORT,
  ROOT_TASK_SCHEMA,
  CONSOLE_MAX_SESSIONS,
} from "./generated/manifest";
import { ABI_VERSION, RX_BUF, RX_CAP, dgram_bind, now_ms, serialPrint, stream_close, stream_listen, timer_period } from "./platform/abi";
import { BootInfo, loadBootInfo } from "./platform/bootinfo";
import { RootConsole } from "./console/root_console";
import { Commands } from "./console/commands";
import { TcpConsole } from "./console/tcp_console";
import { slot } from "./console/format";
import { Namespace } from "./ninedoor/namespace";
import { SmokeService, udpEcho } from "./net/services";
import { netStats } from "./net/stats";
import { collectIfDue } from "./platform/gc";
import { kprint } from "./trace/kmesg";
import { CAT_NET, ERROR } from "./trace/trace";

let rootConsole: RootConsole | null = null;
let tcpConsole: TcpConsole | null = null;
let namespace: Namespace | null = null;
const smoke = new SmokeService();
// Which listening port each open connection came in on, so its bytes reach the right service.
const connPort = new Map<u32, u32>();

export function coh_abi_version(): u32 {
  return ABI_VERSION;
}

export function coh_rx_buf(): usize {
  return RX_BUF;
}

export function coh_rx_cap(): u32 {
  return RX_CAP;
}

function boot(line: string, record: string[]): void {
  kprint(line);
  record.push(line);
}

export function coh_init(): void {
  if (rootConsole != null) return; // called once; a second call must not reprint or reset state
  const lines: string[] = [];
  boot("[cohesix:root-task] root-task online abi=" + ABI_VERSION.toString(), lines);
  boot("[cohesix:root-task] manifest.schema=" + ROOT_TASK_SCHEMA + " manifest.sha256=" + MANIFEST_SHA256, lines);
  const loaded = loadBootInfo();
  const bi: BootInfo | null = loaded.info;
  if (bi == null) {
    boot("[cohesix:root-task] bootinfo unavailable reason=" + loaded.error, lines);
  } else {
    boot(
      "[cohesix:root-task] bootinfo node_bits=" + bi.nodeBits.toString() + " untyped=" + bi.untyped.length.toString() +
      " empty=[" + slot(bi.emptyStart) + ".." + slot(bi.emptyEnd) + ")",
      lines,
    );
  }
  boot(
    "[net-console] config: iface_ip=" + NETWORK_IP + "/" + NETWORK_PREFIX.toString() + " gateway=" + NETWORK_GATEWAY +
    " listen_port=" + NETWORK_CONSOLE_PORT.toString() + " udp_echo_port=" + NETWORK_UDP_ECHO_PORT.toString() +
    " tcp_smoke_port=" + NETWORK_TCP_SMOKE_PORT.toString() + " max_sessions=" + CONSOLE_MAX_SESSIONS.toString(),
    lines,
  );
  netStats.listenConsole = stream_listen(<u32>NETWORK_CONSOLE_PORT);
  netStats.listenSmoke = stream_listen(<u32>NETWORK_TCP_SMOKE_PORT);
  netStats.bindEcho = dgram_bind(<u32>NETWORK_UDP_ECHO_PORT);
  if (netStats.listenConsole != 0 || netStats.listenSmoke != 0 || netStats.bindEcho != 0) {
    boot(
      "[net-console] unavailable console=" + netStats.listenConsole.toString() + " smoke=" + netStats.listenSmoke.toString() +
      " echo=" + netStats.bindEcho.toString(),
      lines,
    );
  }
  const ns = new Namespace(lines, now_ms());
  namespace = ns;
  if (netStats.listenConsole != 0 || netStats.listenSmoke != 0 || netStats.bindEcho != 0) ns.trace.emit(ERROR, CAT_NET, "unavailable console=" + netStats.listenConsole.toString() + " smoke=" + netStats.listenSmoke.toString() + " echo=" + netStats.bindEcho.toString());
  tcpConsole = new TcpConsole(ns, new Commands(ns, bi));
  timer_period(<u32>EVENT_PUMP_TICK_MS);
  kprint("[console] serial console online");
  kprint("Cohesix console ready");
  const c = new RootConsole(bi);
  rootConsole = c;
  c.prompt();
}

export function coh_serial_rx(len: u32): void {
  const c = rootConsole;
  if (c == null) return;
  c.input(RX_BUF, len < RX_CAP ? len : RX_CAP);
  collectIfDue(now_ms());
}

export function coh_tick(now: u64): void {
  const ns = namespace;
  if (ns != null) ns.tick(now);
  const t = tcpConsole;
  if (t != null) t.tick(now);
  smoke.tick(now);
  collectIfDue(now);
}

export function coh_stream_accepted(conn: u32, port: u32, addr: u32, rport: u32): void {
  const t = tcpConsole;
  if (t == null || connPort.has(conn)) return stream_close(conn);
  if (port == <u32>NETWORK_CONSOLE_PORT) {
    connPort.set(conn, port);
    t.accepted(conn, addr, now_ms());
  } else if (port == <u32>NETWORK_TCP_SMOKE_PORT) {
    connPort.set(conn, port);
    smoke.accepted(conn, now_ms());
  } else {
    stream_close(conn);
  }
}

export function coh_stream_rx(conn: u32, len: u32): void {
  if (!connPort.has(conn)) return;
  const n = len < RX_CAP ? len : RX_CAP;
  const port = connPort.get(conn);
  if (port == <u32>NETWORK_CONSOLE_PORT) tcpConsole!.rx(conn, RX_BUF, n, now_ms());
  else smoke.rx(conn, n);
  collectIfDue(now_ms());
}

export function coh_stream_sent(conn: u32, bytes: u32): void {
  if (connPort.has(conn) && connPort.get(conn) == <u32>NETWORK_CONSOLE_PORT) tcpConsole!.sent(conn, now_ms());
}

export function coh_stream_closed(conn: u32): void {
  if (!connPort.has(conn)) return;
  const port = connPort.get(conn);
  connPort.delete(conn);
  if (port == <u32>NETWORK_CONSOLE_PORT) tcpConsole!.closed(conn);
  else smoke.closed(conn);
}

export function coh_dgram_rx(port: u32, addr: u32, rport: u32, len: u32): void {
  if (port == <u32>NETWORK_UDP_ECHO_PORT) udpEcho(port, addr, rport, RX_BUF, len < RX_CAP ? len : RX_CAP);
  collectIfDue(now_ms());
}
