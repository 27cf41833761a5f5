// Client side of the TCP console framing: u32 little-endian length (header included) + UTF-8.

import { MANIFEST } from "../generated/manifest.js";

export const FRAME_MAX = MANIFEST.console.frame_max;

export function encodeFrame(line: string): Uint8Array {
  const body = Buffer.from(line, "utf8");
  const out = Buffer.alloc(body.length + 4);
  out.writeUInt32LE(body.length + 4, 0);
  body.copy(out, 4);
  return out;
}

export class FrameError extends Error {}

/** Reassembles frames from a byte stream; a length outside 4..FRAME_MAX is a protocol error. */
export class FrameReader {
  private buf = Buffer.alloc(0);

  push(bytes: Uint8Array): string[] {
    this.buf = this.buf.length === 0 ? Buffer.from(bytes) : Buffer.concat([this.buf, bytes]);
    const lines: string[] = [];
    while (this.buf.length >= 4) {
      const len = this.buf.readUInt32LE(0);
      if (len < 4 || len > FRAME_MAX) throw new FrameError(`server sent a frame of declared length ${len} (allowed 4..${FRAME_MAX})`);
      if (this.buf.length < len) break;
      lines.push(this.buf.subarray(4, len).toString("utf8").replace(/[\r\n]+$/, ""));
      this.buf = this.buf.subarray(len);
    }
    return lines;
  }

  get partial(): boolean {
    return this.buf.length > 0;
  }
}
