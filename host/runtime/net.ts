// The network half of the Node host's platform ABI. A backend moves bytes between the core and
// either real sockets (net_sockets.ts) or in-process client ends (net_loopback.ts).

import { PLAT_CODES } from "../generated/protocol.js";

/** Calls into the core; the backend never makes them while the core is running. */
export interface NetSink {
  accepted(conn: number, port: number, addr: number, rport: number): void;
  data(conn: number, bytes: Uint8Array): void;
  sent(conn: number, bytes: number): void;
  closed(conn: number): void;
  dgram(port: number, addr: number, rport: number, bytes: Uint8Array): void;
}

/** The `plat.stream_*` / `plat.dgram_*` imports (codes as in docs/PLATFORM_ABI.md). */
export interface NetBackend {
  setSink(sink: NetSink): void;
  listen(port: number): number;
  send(conn: number, bytes: Uint8Array): number;
  close(conn: number): void;
  bind(port: number): number;
  sendDgram(port: number, addr: number, rport: number, bytes: Uint8Array): number;
  shutdown(): Promise<void>;
}

// The result codes are the protocol spec's (host/coh-rtc/protocol.ts).
export const PLAT_UNSUPPORTED: number = PLAT_CODES.PLAT_UNSUPPORTED;
export const PLAT_IN_USE: number = PLAT_CODES.PLAT_IN_USE;
export const PLAT_NO_RESOURCES: number = PLAT_CODES.PLAT_NO_RESOURCES;

/** Answers "unsupported" to everything, like a platform without a network. */
export class NoNetwork implements NetBackend {
  setSink(): void {}
  listen(): number {
    return PLAT_UNSUPPORTED;
  }
  send(): number {
    return -1;
  }
  close(): void {}
  bind(): number {
    return PLAT_UNSUPPORTED;
  }
  sendDgram(): number {
    return PLAT_UNSUPPORTED;
  }
  async shutdown(): Promise<void> {}
}

export function ipv4ToU32(s: string): number {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s.replace(/^::ffff:/, ""));
  if (!m) return 0;
  return ((Number(m[1]) << 24) | (Number(m[2]) << 16) | (Number(m[3]) << 8) | Number(m[4])) >>> 0;
}

export function u32ToIpv4(v: number): string {
  return [v >>> 24, (v >>> 16) & 255, (v >>> 8) & 255, v & 255].join(".");
}
