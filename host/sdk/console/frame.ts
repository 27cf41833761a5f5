// Client side of the TCP console framing: u32 little-endian length (header included) + UTF-8.

import { MANIFEST } from "../../generated/manifest.js";
import { LengthPrefixReader } from "../pipe.js";

export const FRAME_MAX = MANIFEST.console.frame_max;

export function encodeFrame(line: string): Uint8Array {
  const body = Buffer.from(line, "utf8");
  const out = Buffer.alloc(body.length + 4);
  out.writeUInt32LE(body.length + 4, 0);
  body.copy(out, 4);
  return out;
}

export { FrameLengthError as FrameError } from "../pipe.js";

/** Console lines from a byte stream; a length outside 4..FRAME_MAX throws FrameError. */
export class FrameReader {
  private frames = new LengthPrefixReader(4, FRAME_MAX, "console");

  push(bytes: Uint8Array): string[] {
    return this.frames.push(bytes).map((f) => Buffer.from(f.buffer, f.byteOffset + 4, f.byteLength - 4).toString("utf8").replace(/[\r\n]+$/, ""));
  }

  get partial(): boolean {
    return this.frames.partial;
  }
}
