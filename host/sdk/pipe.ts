// Byte pipes a console client can run over: a TCP socket, or an in-process loopback end.

import { connect, type Socket } from "node:net";
import type { StreamEnd } from "../runtime/net_loopback.js";

export interface BytePipe {
  write(bytes: Uint8Array): void;
  end(): void;
  onData(cb: (bytes: Uint8Array) => void): void;
  onClose(cb: (reason: string) => void): void;
}

export class ConnectError extends Error {}

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

export function loopbackPipe(end: StreamEnd): BytePipe {
  return {
    write: (b) => end.write(b),
    end: () => end.end(),
    onData: (cb) => end.onData(cb),
    onClose: (cb) => end.onClose(() => cb("closed by peer")),
  };
}
