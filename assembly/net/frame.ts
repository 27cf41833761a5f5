// TCP console framing: u32 little-endian length (counting its own 4 bytes) + UTF-8 payload.
// The decoder keeps at most one line of payload; an over-long or nonsense length is skipped
// by counting, never buffered, so a hostile header cannot make the core allocate.

import { validUtf8 } from "../text/utf8";

export const FRAME_LINE: i32 = 1; // a complete payload: see `line`
export const FRAME_BAD_LENGTH: i32 = 2; // declared length < 4, > frame_max, or payload > line_max
export const FRAME_BAD_UTF8: i32 = 3; // payload is not UTF-8

export class FrameEvent {
  constructor(public kind: i32, public line: string) {}
}

export class FrameDecoder {
  private header: u32 = 0;
  private headerHave: i32 = 0;
  private payload: Uint8Array;
  private want: i32 = -1; // payload bytes still expected; -1 = reading a header
  private have: i32 = 0;
  private skip: u64 = 0; // bytes of a refused frame still to discard

  constructor(private frameMax: u32, private lineMax: i32) {
    this.payload = new Uint8Array(lineMax);
  }

  /** True when no partial frame is pending (used to tell "killed mid-frame" apart). */
  get idle(): bool {
    return this.headerHave == 0 && this.want < 0 && this.skip == 0;
  }

  /** Consumes bytes and appends the frames (or framing errors) they complete to `out`. */
  push(ptr: usize, len: u32, out: FrameEvent[]): void {
    let i: u32 = 0;
    while (i < len) {
      if (this.skip > 0) {
        const n = <u32>min<u64>(this.skip, <u64>(len - i));
        this.skip -= n;
        i += n;
        continue;
      }
      if (this.want < 0) {
        this.header |= (<u32>load<u8>(ptr + i)) << (<u32>this.headerHave * 8);
        this.headerHave++;
        i++;
        if (this.headerHave == 4) this.startFrame(out);
        continue;
      }
      const n = min<i32>(this.want - this.have, <i32>(len - i));
      memory.copy(this.payload.dataStart + <usize>this.have, ptr + i, <usize>n);
      this.have += n;
      i += <u32>n;
      if (this.have == this.want) this.finishFrame(out);
    }
  }

  private startFrame(out: FrameEvent[]): void {
    const declared = this.header;
    this.header = 0;
    this.headerHave = 0;
    if (declared < 4 || declared > this.frameMax || declared - 4 > <u32>this.lineMax) {
      // Skip what the peer says follows (nothing if the length is below the header size).
      this.skip = declared >= 4 ? <u64>(declared - 4) : 0;
      out.push(new FrameEvent(FRAME_BAD_LENGTH, ""));
      return;
    }
    this.want = <i32>(declared - 4);
    this.have = 0;
    if (this.want == 0) this.finishFrame(out);
  }

  private finishFrame(out: FrameEvent[]): void {
    const n = this.want;
    this.want = -1;
    this.have = 0;
    if (!validUtf8(this.payload.dataStart, <usize>n)) {
      out.push(new FrameEvent(FRAME_BAD_UTF8, ""));
      return;
    }
    let end = n;
    // Clients should not send a line terminator, but the original's clients trim one anyway.
    while (end > 0 && (this.payload[end - 1] == 0x0a || this.payload[end - 1] == 0x0d)) end--;
    out.push(new FrameEvent(FRAME_LINE, String.UTF8.decodeUnsafe(this.payload.dataStart, <usize>end, false)));
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
