// The two network self-test services: UDP echo (reply "ECHO:" + payload to the sender) and
// the TCP smoke port (read up to N bytes, answer "ok\n", close; silent ones time out).

import { NETWORK_SMOKE_MAX_CONNS, NETWORK_SMOKE_TIMEOUT_MS, NETWORK_UDP_ECHO_MAX } from "../generated/manifest";
import { dgram_send, stream_close, stream_send } from "../platform/abi";
import { netStats } from "./stats";

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

class SmokeConn {
  constructor(public id: u32, public openedAt: u64) {}
}

/**
 * The smoke port: at most smoke_max_conns at once, each closed after smoke_timeout_ms if it
 * sends nothing, and the oldest evicted by a new one, so silent connections can hold the port
 * for at most one deadline (issue 10, finding 5: they used to hold it forever).
 */
export class SmokeService {
  private conns: SmokeConn[] = []; // oldest first

  accepted(id: u32, now: u64): void {
    if (this.conns.length >= NETWORK_SMOKE_MAX_CONNS) {
      const old = this.conns.shift();
      netStats.smokeEvicted++;
      stream_close(old.id);
    }
    this.conns.push(new SmokeConn(id, now));
  }

  private index(id: u32): i32 {
    for (let i = 0; i < this.conns.length; i++) if (this.conns[i].id == id) return i;
    return -1;
  }

  /** Answers at the first data (at most smoke_read_max bytes are ever looked at), then closes. */
  rx(id: u32, len: u32): void {
    const i = this.index(id);
    if (i < 0 || len == 0) return;
    store<u32>(SMOKE_OK, 0x000a6b6f); // "ok\n"
    stream_send(id, SMOKE_OK, 3);
    netStats.smokeServed++;
    this.conns.splice(i, 1);
    stream_close(id);
  }

  /** Closes connections that stayed silent past the deadline. */
  tick(now: u64): void {
    while (this.conns.length > 0 && now - this.conns[0].openedAt >= <u64>NETWORK_SMOKE_TIMEOUT_MS) {
      const old = this.conns.shift();
      netStats.smokeTimeouts++;
      stream_close(old.id);
    }
  }

  closed(id: u32): void {
    const i = this.index(id);
    if (i >= 0) this.conns.splice(i, 1);
  }

  get open(): i32 {
    return this.conns.length;
  }
}

const SMOKE_OK: usize = memory.data(4);
