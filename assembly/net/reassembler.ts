// One length-prefixed frame reassembler for every stream protocol on the console port: a u32
// little-endian size that counts its own 4 bytes, then the body. Console frames and 9P messages
// share this code; they differ only in their bounds and in what a lying size means (the console
// skips the declared bytes by counting and carries on; 9P cannot resynchronise and closes).
//
// The buffer is sized once, to the largest frame the caller allows: a hostile header never makes
// the core allocate, and bytes past a refused frame are counted, never stored.

/** `feed` stopped without completing anything: give it more bytes. */
export const RX_NONE: i32 = 0;
/** A whole frame is in `frame[0..size)` (header included) until the next `feed`. */
export const RX_FRAME: i32 = 1;
/** A size outside [min, max] arrived; `declared` is what the peer claimed. */
export const RX_BAD_SIZE: i32 = 2;

export class Reassembler {
  /** The current frame, its 4-byte header included. */
  readonly frame: Uint8Array;
  /** Size of the completed frame (RX_FRAME) or the refused size (RX_BAD_SIZE). */
  size: u32 = 0;
  /** What the last `feed` produced. */
  event: i32 = RX_NONE;
  private header: u32 = 0;
  private headerHave: i32 = 0;
  private want: i32 = -1; // bytes of the frame expected in all; -1 = reading a header
  private have: i32 = 0;
  private skip: u64 = 0; // bytes of a refused frame still to discard (skipRefused only)

  /**
   * `min`/`max`: the sizes accepted (header included); `max` may be lowered later (9P's msize)
   * but never above `capacity`. `skipRefused`: after a bad size, discard what the peer said
   * follows instead of stopping.
   */
  constructor(capacity: i32, public min: u32, public max: u32, private skipRefused: bool) {
    this.frame = new Uint8Array(capacity);
    if (this.max > <u32>capacity) this.max = <u32>capacity;
  }

  /** True when no partial frame (or refused frame's tail) is pending. */
  get idle(): bool {
    return this.headerHave == 0 && this.want < 0 && this.skip == 0;
  }

  /**
   * Consumes bytes from `ptr[at..len)` until one frame completes, a size is refused, or the input
   * ends; returns where it stopped. The caller loops while the result is below `len`, acting on
   * `event` after each call.
   */
  feed(ptr: usize, len: u32, at: u32): u32 {
    this.event = RX_NONE;
    let i = at;
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
        if (this.headerHave < 4) continue;
        const n = this.header;
        this.header = 0;
        this.headerHave = 0;
        if (n < this.min || n > this.max) {
          this.size = n;
          this.event = RX_BAD_SIZE;
          // Skip what the peer says follows (nothing if the size is below the header's own).
          if (this.skipRefused) this.skip = n >= 4 ? <u64>(n - 4) : 0;
          return i;
        }
        store<u32>(this.frame.dataStart, n);
        this.want = <i32>n;
        this.have = 4;
        if (this.have == this.want) return this.complete(i);
        continue;
      }
      const k = min<i32>(this.want - this.have, <i32>(len - i));
      memory.copy(this.frame.dataStart + <usize>this.have, ptr + i, <usize>k);
      this.have += k;
      i += <u32>k;
      if (this.have == this.want) return this.complete(i);
    }
    return i;
  }

  private complete(i: u32): u32 {
    this.size = <u32>this.want;
    this.want = -1;
    this.have = 0;
    this.event = RX_FRAME;
    return i;
  }
}
