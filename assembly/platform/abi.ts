// Platform ABI, core side: the only way the core reaches the outside world.
// The contract is docs/PLATFORM_ABI.md; seL4-shim/src/abi.c and host/runtime/abi.ts implement it.

// The ABI version and the PLAT_* result codes are part of the protocol spec (host/coh-rtc/protocol.ts).
export { ABI_VERSION, PLAT_IN_USE, PLAT_NO_RESOURCES, PLAT_OK, PLAT_UNSUPPORTED } from "../generated/protocol";

// Inbound bytes arrive in this one static buffer, so no allocator crosses the boundary.
export const RX_CAP: u32 = 2048;
export const RX_BUF: usize = memory.data(<i32>RX_CAP);

@external("plat", "serial_write")
export declare function serial_write(ptr: usize, len: u32): void;

@external("plat", "now_ms")
export declare function now_ms(): u64;

/** Wall-clock Unix time in ms (ticket expiry); 0 when the platform has no clock. */
@external("plat", "wall_ms")
export declare function wall_ms(): u64;

@external("plat", "timer_period")
export declare function timer_period(ms: u32): void;

@external("plat", "entropy")
export declare function entropy(ptr: usize, len: u32): u32;

@external("plat", "bootinfo_len")
export declare function bootinfo_len(): u32;

@external("plat", "bootinfo_read")
export declare function bootinfo_read(ptr: usize, len: u32): u32;

@external("plat", "stream_listen")
export declare function stream_listen(port: u32): i32;

@external("plat", "stream_send")
export declare function stream_send(conn: u32, ptr: usize, len: u32): i32;

@external("plat", "stream_close")
export declare function stream_close(conn: u32): void;

@external("plat", "dgram_bind")
export declare function dgram_bind(port: u32): i32;

@external("plat", "dgram_send")
export declare function dgram_send(port: u32, addr: u32, rport: u32, ptr: usize, len: u32): i32;

/**
 * AssemblyScript's `abort` is routed here (asconfig.json `use`): the platform prints the
 * message on serial and stops the core. `msg` and `file` are AS strings (UTF-16, byte length
 * in the u32 before the pointer) or 0.
 */
@external("plat", "abort")
export declare function platAbort(msg: usize, file: usize, line: u32, col: u32): void;

@external("plat", "power_off")
export declare function power_off(code: u32): void;

/** Writes a string to the serial console as UTF-8. */
export function serialPrint(s: string): void {
  const bytes = String.UTF8.encode(s, false);
  serial_write(changetype<usize>(bytes), <u32>bytes.byteLength);
}
