// TEST-ONLY core: speaks the platform ABI but faults on command, so the tests can prove that
// both hosts report a trap on serial and stop the core. Input byte: o = out-of-bounds load,
// u = unreachable, a = abort, anything else is echoed.

@external("plat", "serial_write")
declare function serial_write(ptr: usize, len: u32): void;

@external("plat", "abort")
declare function platAbort(msg: usize, file: usize, line: u32, col: u32): void;

const RX: usize = memory.data(64);

function say(s: string): void {
  const b = String.UTF8.encode(s, false);
  serial_write(changetype<usize>(b), <u32>b.byteLength);
}

export function coh_abi_version(): u32 {
  return 1;
}
export function coh_rx_buf(): usize {
  return RX;
}
export function coh_rx_cap(): u32 {
  return 64;
}
export function coh_init(): void {
  say("[cohesix:root-task] trap core\r\nCohesix console ready\r\n");
}
export function coh_serial_rx(len: u32): void {
  for (let i: u32 = 0; i < len; i++) {
    const c = load<u8>(RX + i);
    if (c == 0x6f) say("value=" + load<u8>(<usize>0xfffffff0).toString());
    else if (c == 0x75) unreachable();
    else if (c == 0x61) assert(false, "boom");
    else say(String.fromCharCode(c));
  }
}
export function coh_tick(now: u64): void {}
export function coh_stream_accepted(conn: u32, port: u32, addr: u32, rport: u32): void {}
export function coh_stream_rx(conn: u32, len: u32): void {}
export function coh_stream_sent(conn: u32, bytes: u32): void {}
export function coh_stream_closed(conn: u32): void {}
export function coh_dgram_rx(port: u32, addr: u32, rport: u32, len: u32): void {}
