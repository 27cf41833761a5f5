// The two network self-test services: UDP echo (reply "ECHO:" + payload to the sender) and
// the TCP smoke port (read up to N bytes, answer "ok\n", close).

import { NETWORK_UDP_ECHO_MAX } from "../generated/manifest";
import { dgram_send, stream_close, stream_send } from "../platform/abi";
import { netStats } from "./stats";

// Smoke connections are tiny and short-lived; more than this at once are refused outright.
const SMOKE_MAX_CONNS: i32 = 4;

// One static reply buffer: the echo path allocates nothing.
const ECHO_BUF: usize = memory.data(<i32>NETWORK_UDP_ECHO_MAX);
const ECHO_PREFIX_LEN: u32 = 5; // "ECHO:"

export function udpEcho(port: u32, addr: u32, rport: u32, ptr: usize, len: u32): void {
  netStats.dgramsIn++;
  store<u32>(ECHO_BUF, 0x4f484345); // "ECHO" little-endian
  store<u8>(ECHO_BUF + 4, 0x3a); // ":"
  const room = <u32>NETWORK_UDP_ECHO_MAX - ECHO_PREFIX_LEN;
  const n = len < room ? len : room; // a reply never exceeds udp_echo_max; longer input is cut
  memory.copy(ECHO_BUF + ECHO_PREFIX_LEN, ptr, n);
  if (dgram_send(port, addr, rport, ECHO_BUF, ECHO_PREFIX_LEN + n) >= 0) netStats.dgramsOut++;
}

export class SmokeService {
  private conns: Set<u32> = new Set<u32>();

  accepted(id: u32): void {
    if (this.conns.size >= SMOKE_MAX_CONNS) {
      stream_close(id);
      return;
    }
    this.conns.add(id);
  }

  /** Answers at the first data (at most smoke_read_max bytes are ever looked at), then closes. */
  rx(id: u32, len: u32): void {
    if (!this.conns.has(id) || len == 0) return;
    const ok = String.UTF8.encode("ok\n", false);
    stream_send(id, changetype<usize>(ok), <u32>ok.byteLength);
    netStats.smokeServed++;
    this.conns.delete(id);
    stream_close(id);
  }

  closed(id: u32): void {
    this.conns.delete(id);
  }
}
