import { validUtf8 } from "../text/utf8";

// Byte-at-a-time line editor for a raw serial terminal. It owns a fixed buffer of `cap` bytes;
// input past the bound is swallowed (not echoed) and reported once the line ends, so an
// over-long paste can never grow memory or execute a truncated command.

export const EDIT_NONE: i32 = 0;
export const EDIT_LINE: i32 = 1; // a complete line is ready: take() it
export const EDIT_OVERFLOW: i32 = 2; // the line ended but exceeded the bound; it was discarded
export const EDIT_CANCEL: i32 = 3; // Ctrl-C: the line was discarded

const BS: u8 = 0x08;
const DEL: u8 = 0x7f;
const CR: u8 = 0x0d;
const LF: u8 = 0x0a;
const ESC: u8 = 0x1b;
const CTRL_C: u8 = 0x03;
const CTRL_U: u8 = 0x15;

// Escape-sequence states: arrow keys and friends are dropped whole rather than echoed as junk.
const ESC_NONE: u8 = 0;
const ESC_SEEN: u8 = 1; // got ESC, waiting for '[' / 'O' or a single final byte
const ESC_CSI: u8 = 2; // inside ESC [ ... / ESC O ..., until a final byte 0x40..0x7e

export class LineEditor {
  private buf: Uint8Array;
  private len: i32 = 0;
  private overflowed: bool = false;
  private lastWasCR: bool = false;
  private esc: u8 = ESC_NONE;
  /** Bytes to echo back to the terminal for the input fed so far (drained by the caller). */
  echo: string = "";

  constructor(public readonly cap: i32) {
    this.buf = new Uint8Array(cap);
  }

  feed(b: u8): i32 {
    if (this.esc != ESC_NONE) return this.feedEscape(b);
    if (b == LF && this.lastWasCR) {
      // CR LF is one line end, not an empty line after the real one.
      this.lastWasCR = false;
      return EDIT_NONE;
    }
    this.lastWasCR = b == CR;
    if (b == CR || b == LF) return this.endLine();
    if (b == BS || b == DEL) {
      this.erase();
      return EDIT_NONE;
    }
    if (b == CTRL_C) {
      this.reset();
      this.echo += "^C";
      return EDIT_CANCEL;
    }
    if (b == CTRL_U) {
      while (this.len > 0) this.erase();
      return EDIT_NONE;
    }
    if (b == ESC) {
      this.esc = ESC_SEEN;
      return EDIT_NONE;
    }
    if (b < 0x20) return EDIT_NONE; // other control characters are dropped
    if (this.overflowed || this.len >= this.cap) {
      this.overflowed = true;
      return EDIT_NONE;
    }
    this.buf[this.len++] = b;
    // Multi-byte UTF-8 is echoed once its last byte arrives so the terminal sees whole characters.
    if (b < 0x80) this.echo += String.fromCharCode(b);
    else if (this.charComplete()) this.echo += String.UTF8.decodeUnsafe(this.charStart(), this.len - this.charStartIndex(), false);
    return EDIT_NONE;
  }

  /** The finished line as a string; only valid right after feed() returned EDIT_LINE. */
  take(): string {
    const s = String.UTF8.decodeUnsafe(this.buf.dataStart, <usize>this.len, false);
    this.len = 0;
    return s;
  }

  /** True if the pending line is well-formed UTF-8 (checked before take()). */
  validUtf8(): bool {
    return validUtf8(this.buf.dataStart, <usize>this.len);
  }

  discard(): void {
    this.reset();
  }

  private endLine(): i32 {
    this.echo += "\r\n";
    if (this.overflowed) {
      this.reset();
      return EDIT_OVERFLOW;
    }
    return EDIT_LINE;
  }

  private reset(): void {
    this.len = 0;
    this.overflowed = false;
  }

  private erase(): void {
    if (this.overflowed) return; // the line is already lost; nothing visible to erase
    if (this.len == 0) return;
    // Remove a whole UTF-8 character: continuation bytes, then the lead byte.
    while (this.len > 0 && (this.buf[this.len - 1] & 0xc0) == 0x80) this.len--;
    if (this.len > 0) this.len--;
    this.echo += "\b \b";
  }

  private feedEscape(b: u8): i32 {
    if (this.esc == ESC_SEEN) {
      this.esc = b == 0x5b || b == 0x4f ? ESC_CSI : ESC_NONE;
      return EDIT_NONE;
    }
    if (b >= 0x40 && b <= 0x7e) this.esc = ESC_NONE;
    return EDIT_NONE;
  }

  private charStartIndex(): i32 {
    let i = this.len - 1;
    while (i > 0 && (this.buf[i] & 0xc0) == 0x80) i--;
    return i;
  }

  private charStart(): usize {
    return this.buf.dataStart + <usize>this.charStartIndex();
  }

  private charComplete(): bool {
    const start = this.charStartIndex();
    const lead = this.buf[start];
    let want = 1;
    if ((lead & 0xe0) == 0xc0) want = 2;
    else if ((lead & 0xf0) == 0xe0) want = 3;
    else if ((lead & 0xf8) == 0xf0) want = 4;
    return this.len - start >= want;
  }
}
