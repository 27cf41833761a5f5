// What the shim's framebuffer mirror (seL4-shim/src/fbcon.c) should show for a byte stream: an
// independent model of its terminal rules and a renderer using the font table read from the C
// source, so a screendump can be compared pixel by pixel.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { ROOT } from "../../host/runtime/qemu.js";

export const FONT_W = 5;
export const FONT_H = 7;
export const CELL_W = 6;
export const CELL_H = 9;

/** glyph rows for 0x20..0x7e, plus the box for anything else, parsed from font5x7.c */
export function loadFont(): { glyphs: number[][]; unknown: number[] } {
  const src = readFileSync(resolve(ROOT, "seL4-shim/src/font5x7.c"), "utf8");
  const rows = [...src.matchAll(/\{((?:\s*0x[0-9a-f]{2},?){7})\s*\}/g)].map((m) => m[1].split(",").map((x) => parseInt(x, 16)));
  if (rows.length !== 96) throw new Error(`font5x7.c: expected 95 glyphs + 1 box, found ${rows.length}`);
  return { glyphs: rows.slice(0, 95), unknown: rows[95] };
}

/** The text grid after `bytes`: '\n' next row, '\r' column 0, '\b' left, '\t' to a multiple of 8,
 *  CSI sequences and other control bytes ignored, wrap at `cols`, scroll at `rows`. */
export function textGrid(bytes: Buffer, cols: number, rows: number): number[][] {
  const blank = (): number[] => new Array<number>(cols).fill(0x20);
  let grid: number[][] = Array.from({ length: rows }, blank);
  let row = 0;
  let col = 0;
  let esc = 0;
  const newline = (): void => {
    col = 0;
    if (row + 1 < rows) row++;
    else grid = [...grid.slice(1), blank()];
  };
  const put = (c: number): void => {
    if (col === cols) newline();
    grid[row][col++] = c;
  };
  for (const c of bytes) {
    if (esc === 1) {
      esc = c === 0x5b ? 2 : 0;
      continue;
    }
    if (esc === 2) {
      if (c >= 0x40 && c <= 0x7e) esc = 0;
      continue;
    }
    if (c === 0x1b) esc = 1;
    else if (c === 0x0a) newline();
    else if (c === 0x0d) col = 0;
    else if (c === 0x08) col = Math.max(0, col - 1);
    else if (c === 0x09) {
      do put(0x20);
      while (col % 8 !== 0 && col < cols);
    } else if (c >= 0x20 && c !== 0x7f) put(c);
  }
  return grid;
}

/** Whether pixel (x, y) of the text area is foreground, for a grid at `scale`. */
export function fgAt(grid: number[][], font: ReturnType<typeof loadFont>, scale: number, x: number, y: number): boolean {
  const cw = CELL_W * scale;
  const ch = CELL_H * scale;
  const c = grid[Math.floor(y / ch)][Math.floor(x / cw)];
  const gx = Math.floor((x % cw) / scale);
  const gy = Math.floor((y % ch) / scale);
  if (c === 0x20 || gx >= FONT_W || gy >= FONT_H) return false;
  const g = c >= 0x20 && c < 0x7f ? font.glyphs[c - 0x20] : font.unknown;
  return (g[gy] & (0x10 >> gx)) !== 0;
}
