// Byte pipes every SDK client runs over (a TCP socket, an in-process loopback end, a QEMU
// guest's forwarded port), and the one u32-LE length-prefixed frame reader that both the console
// framing and 9P use. Nothing here knows either protocol.

import { connect, type Socket } from "node:net";

export interface BytePipe {
  write(bytes: Uint8Array): void;
  end(): void;
  onData(cb: (bytes: Uint8Array) => void): void;
  onClose(cb: (reason: string) => void): void;
}

/** Opens a fresh byte pipe (a TCP connect, a loopback dial); called again on reconnect. */
export type Connector = () => Promise<BytePipe>;

/** The pipe could not be opened (refused, timed out, nothing listening). */
export class ConnectError extends Error {
  override readonly name = "ConnectError";
}

/** A frame whose declared length is outside the protocol's bounds: the stream is not the protocol. */
export class FrameLengthError extends Error {
  override readonly name = "FrameLengthError";
}

/**
 * Reassembles frames whose first 4 bytes are their whole length (u32 LE, header included), as
 * both the console and 9P frame. `min`/`max` bound the declared length; anything outside throws
 * FrameLengthError and the caller drops the connection.
 */
export class LengthPrefixReader {
  private buf = Buffer.alloc(0);

  constructor(
    private readonly min: number,
    private max: number,
    private readonly what: string,
  ) {}

  /** 9P raises the bound after Tversion negotiates msize. */
  setMax(max: number): void {
    this.max = max;
  }

  /** Whole frames completed by `bytes` (header included), in order. */
  push(bytes: Uint8Array): Uint8Array[] {
    this.buf = this.buf.length === 0 ? Buffer.from(bytes) : Buffer.concat([this.buf, bytes]);
    const out: Uint8Array[] = [];
    while (this.buf.length >= 4) {
      const len = this.buf.readUInt32LE(0);
      if (len < this.min || len > this.max) throw new FrameLengthError(`server sent a ${this.what} frame of declared length ${len} (allowed ${this.min}..${this.max})`);
      if (this.buf.length < len) break;
      out.push(new Uint8Array(this.buf.subarray(0, len)));
      this.buf = this.buf.subarray(len);
    }
    return out;
  }

  get partial(): boolean {
    return this.buf.length > 0;
  }
}

export function tcpPipe(host: string, port: number, timeoutMs = 5000): Promise<BytePipe> {
  return new Promise((resolve, reject) => {
    const sock: Socket = connect({ host, port });
    const t = setTimeout(() => {
      sock.destroy();
      reject(new ConnectError(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    sock.once("error", (e) => {
      clearTimeout(t);
      reject(new ConnectError(`cannot connect to ${host}:${port}: ${e.message}`));
    });
    sock.once("connect", () => {
      clearTimeout(t);
      sock.setNoDelay(true);
      const closeCbs: Array<(r: string) => void> = [];
      let reason = "closed by peer";
      sock.on("error", (e) => {
        reason = e.message;
      });
      sock.on("close", () => closeCbs.forEach((cb) => cb(reason)));
      resolve({
        write: (b) => void sock.write(b),
        end: () => sock.end(),
        onData: (cb) => void sock.on("data", cb),
        onClose: (cb) => void closeCbs.push(cb),
      });
    });
  });
}
