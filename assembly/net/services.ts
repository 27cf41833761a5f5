// The two network self-test services: UDP echo (reply "ECHO:" + payload to the sender) and
// the TCP smoke port (read up to N bytes, answer "ok\n", close).

import { NETWORK_UDP_ECHO_MAX } from "../generated/manifest";
import { dgram_send, stream_close, stream_send } from "../platform/abi";
import { netStats } from "./stats";

const ECHO_PREFIX = "ECHO:";
// Smoke connections are tiny and short-lived; more than this at once are refused outright.
const SMOKE_MAX_CONNS: i32 = 4;

export function udpEcho(port: u32, addr: u32, rport: u32, ptr: usize, len: u32): void {
  netStats.dgramsIn++;
  const prefix = String.UTF8.encode(ECHO_PREFIX, false);
  const plen = <u32>prefix.byteLength;
  const room = <u32>NETWORK_UDP_ECHO_MAX - plen;
  const n = len < room ? len : room; // a reply never exceeds udp_echo_max; longer input is cut
  const reply = new ArrayBuffer(<i32>(plen + n));
  memory.copy(changetype<usize>(reply), changetype<usize>(prefix), plen);
  memory.copy(changetype<usize>(reply) + plen, ptr, n);
  if (dgram_send(port, addr, rport, changetype<usize>(reply), plen + n) >= 0) netStats.dgramsOut++;
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
