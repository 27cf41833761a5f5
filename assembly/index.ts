// Cohesix core: the root task's entry points. Every export here is part of the platform ABI
// (docs/PLATFORM_ABI.md); the platform calls them, never the other way round.

import { ABI_VERSION, RX_BUF, RX_CAP, serialPrint } from "./platform/abi";
import { BootInfo, loadBootInfo } from "./platform/bootinfo";
import { RootConsole } from "./console/root_console";
import { slot } from "./console/format";

let rootConsole: RootConsole | null = null;

export function coh_abi_version(): u32 {
  return ABI_VERSION;
}

export function coh_rx_buf(): usize {
  return RX_BUF;
}

export function coh_rx_cap(): u32 {
  return RX_CAP;
}

export function coh_init(): void {
  if (rootConsole != null) return; // called once; a second call must not reprint or reset state
  serialPrint("[cohesix:root-task] root-task online abi=" + ABI_VERSION.toString() + "\r\n");
  const loaded = loadBootInfo();
  const bi: BootInfo | null = loaded.info;
  if (bi == null) {
    serialPrint("[cohesix:root-task] bootinfo unavailable reason=" + loaded.error + "\r\n");
  } else {
    serialPrint(
      "[cohesix:root-task] bootinfo node_bits=" + bi.nodeBits.toString() +
      " untyped=" + bi.untyped.length.toString() +
      " empty=[" + slot(bi.emptyStart) + ".." + slot(bi.emptyEnd) + ")\r\n",
    );
  }
  serialPrint("[console] serial console online\r\n");
  serialPrint("Cohesix console ready\r\n");
  const c = new RootConsole(bi);
  rootConsole = c;
  c.prompt();
}

export function coh_serial_rx(len: u32): void {
  const c = rootConsole;
  if (c == null) return;
  c.input(RX_BUF, len < RX_CAP ? len : RX_CAP);
}

export function coh_tick(now_ms: u64): void {
  // No timed work yet; the TCP console's auth and idle timeouts hang off this.
}

export function coh_stream_accepted(conn: u32, port: u32, addr: u32, rport: u32): void {}

export function coh_stream_rx(conn: u32, len: u32): void {}

export function coh_stream_sent(conn: u32, bytes: u32): void {}

export function coh_stream_closed(conn: u32): void {}

export function coh_dgram_rx(port: u32, addr: u32, rport: u32, len: u32): void {}
