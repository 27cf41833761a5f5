// TCP console framing: u32 little-endian length (counting its own 4 bytes) + UTF-8 payload, on
// the shared reassembler (net/reassembler.ts, also 9P's). The decoder keeps at most one line of
// payload; an over-long or nonsense length is skipped by counting, never buffered, so a hostile
// header cannot make the core allocate.

import { validUtf8 } from "../text/utf8";
import { Reassembler, RX_BAD_SIZE, RX_FRAME } from "./reassembler";

export const FRAME_LINE: i32 = 1; // a complete payload: see `line`
export const FRAME_BAD_LENGTH: i32 = 2; // declared length < 4, > frame_max, or payload > line_max
export const FRAME_BAD_UTF8: i32 = 3; // payload is not UTF-8

export class FrameEvent {
  constructor(public kind: i32, public line: string) {}
}

export class FrameDecoder {
  // Console frames: size in [4, min(frame_max, line_max + 4)]; a refused frame is skipped by
  // counting and the session goes on with the next one.
  private rx: Reassembler;

  constructor(frameMax: u32, lineMax: i32) {
    const cap = lineMax + 4;
    this.rx = new Reassembler(cap, 4, frameMax < <u32>cap ? frameMax : <u32>cap, true);
  }

  /** True when no partial frame is pending (used to tell "killed mid-frame" apart). */
  get idle(): bool {
    return this.rx.idle;
  }

  /** Consumes bytes and appends the frames (or framing errors) they complete to `out`. */
  push(ptr: usize, len: u32, out: FrameEvent[]): void {
    const rx = this.rx;
    let i: u32 = 0;
    while (i < len) {
      i = rx.feed(ptr, len, i);
      if (rx.event == RX_FRAME) this.line(rx.frame.dataStart + 4, <usize>(rx.size - 4), out);
      else if (rx.event == RX_BAD_SIZE) out.push(new FrameEvent(FRAME_BAD_LENGTH, ""));
    }
  }

  private line(p: usize, n: usize, out: FrameEvent[]): void {
    if (!validUtf8(p, n)) {
      out.push(new FrameEvent(FRAME_BAD_UTF8, ""));
      return;
    }
    let end = n;
    // Clients should not send a line terminator, but the original's clients trim one anyway.
    while (end > 0 && (load<u8>(p + end - 1) == 0x0a || load<u8>(p + end - 1) == 0x0d)) end--;
    out.push(new FrameEvent(FRAME_LINE, String.UTF8.decodeUnsafe(p, end, false)));
  }
}

/** Encodes one line as a frame. */
export function encodeFrame(line: string): ArrayBuffer {
  const body = String.UTF8.encode(line, false);
  const n = body.byteLength;
  const buf = new ArrayBuffer(n + 4);
  store<u32>(changetype<usize>(buf), <u32>(n + 4));
  memory.copy(changetype<usize>(buf) + 4, changetype<usize>(body), <usize>n);
  return buf;
}
