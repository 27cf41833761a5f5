// The framebuffer text mirror (seL4-shim/src/fbcon.c) built for the host with its [uefi] bounds
// put where a test wants them, against the independent model in tests/helpers/fbtext.ts: the
// grid bound at and past its edge, scrolling, wrapping, control bytes, pixel formats, stride
// padding. And coh-rtc refusing [uefi] values past their bounds.

import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { compile } from "../host/coh-rtc/cli.js";
import { ROOT } from "../host/runtime/qemu.js";
import { fgAt, loadFont, textGrid } from "./helpers/fbtext.js";
import { xorshift } from "./helpers/rng.js";

const tmp = mkdtempSync(join(tmpdir(), "cohesix-fbcon-"));
const font = loadFont();

function build(scale: number, maxCols: number, maxRows: number): string {
  const dir = join(tmp, `b-${scale}-${maxCols}-${maxRows}`);
  spawnSync("mkdir", ["-p", dir]);
  writeFileSync(
    join(dir, "manifest.h"),
    `#define COH_UEFI_FB_GLYPH_SCALE ${scale}u\n#define COH_UEFI_FB_MAX_COLS ${maxCols}u\n#define COH_UEFI_FB_MAX_ROWS ${maxRows}u\n`,
  );
  const exe = join(dir, "fbcon_host");
  const shim = resolve(ROOT, "seL4-shim");
  const r = spawnSync("gcc", ["-O1", "-std=gnu11", "-Wall", "-Werror", `-I${dir}`, `-I${shim}/include`, "-o", exe, `${shim}/tests/fbcon_host.c`, `${shim}/src/fbcon.c`, `${shim}/src/font5x7.c`], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`gcc: ${r.stderr}`);
  return exe;
}

interface Screen {
  cols: number;
  rows: number;
  cw: number;
  ch: number;
  px: Uint32Array;
}

function run(exe: string, w: number, h: number, stride: number, fmt: "rgbx" | "bgrx", input: Buffer): Screen {
  const r = spawnSync(exe, [String(w), String(h), String(stride), fmt], { input, maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`fbcon_host: ${r.status} ${r.stderr.toString()}`);
  const [cols, rows, cw, ch] = r.stderr.toString().trim().split(" ").map(Number);
  const b = r.stdout as Buffer;
  return { cols, rows, cw, ch, px: new Uint32Array(b.buffer, b.byteOffset, b.length / 4) };
}

const FG = { rgbx: 0xd0d0d0, bgrx: 0xd0d0d0 }; // grey is the same in both orders
const BG = 0;
const CANARY = 0xdeadbeef;

/** Every pixel of the visible area against the model; stride padding untouched. */
function expectScreen(s: Screen, w: number, h: number, stride: number, scale: number, input: Buffer, fg: number): void {
  const grid = textGrid(input, s.cols, s.rows);
  let bad = 0;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < stride; x++) {
      const v = s.px[y * stride + x];
      let want: number;
      if (x >= w) want = CANARY;
      else if (x < s.cols * s.cw && y < s.rows * s.ch) want = fgAt(grid, font, scale, x, y) ? fg : BG;
      else want = BG; // margin right of / below the grid
      if (v !== want) bad++;
    }
  }
  expect(bad).toBe(0);
}

function randomStream(n: number, seed: number): Buffer {
  const rnd = xorshift(seed);
  const parts: number[] = [];
  const pick = [0x0a, 0x0d, 0x08, 0x09, 0x1b, 0x7f, 0x00, 0xc3, 0xa9];
  for (let i = 0; i < n; i++) {
    const r = rnd(100);
    if (r < 5) parts.push(pick[rnd(pick.length)]);
    else if (r < 7) parts.push(0x1b, 0x5b, 0x33, 0x31, 0x6d); // ESC [ 3 1 m
    else parts.push(0x20 + rnd(95));
  }
  return Buffer.from(parts);
}

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("framebuffer text mirror (fbcon.c on the host)", () => {
  const edge = build(1, 20, 8); // the schema's minimum grid at scale 1

  it("grid at the bound: a 120x72 screen is exactly 20x8 cells of 6x9", () => {
    const input = Buffer.from("[shim] cohesix seL4-shim\r\nsecond line\r\n");
    const s = run(edge, 120, 72, 120, "bgrx", input);
    expect([s.cols, s.rows, s.cw, s.ch]).toEqual([20, 8, 6, 9]);
    expectScreen(s, 120, 72, 120, 1, input, FG.bgrx);
    const rows = textGrid(input, 20, 8).map((r) => String.fromCharCode(...r).trimEnd());
    expect(rows.slice(0, 4)).toEqual(["[shim] cohesix seL4-", "shim", "second line", ""]); // 24 bytes wrap at 20
  });

  it("past the bound: a bigger screen keeps 20x8 and a blank margin; one cell less is 19x7", () => {
    const input = randomStream(600, 7);
    const big = run(edge, 240, 200, 256, "bgrx", input);
    expect([big.cols, big.rows]).toEqual([20, 8]);
    expectScreen(big, 240, 200, 256, 1, input, FG.bgrx);
    const small = run(edge, 119, 71, 119, "bgrx", input);
    expect([small.cols, small.rows]).toEqual([19, 7]);
    expectScreen(small, 119, 71, 119, 1, input, FG.bgrx);
  });

  it("the committed manifest's bounds on 800x600 (66x33 cells of 12x18), long output: scrolling, wrapping, control bytes", () => {
    const h = readFileSync(resolve(ROOT, "seL4-shim/generated/manifest.h"), "utf8");
    const val = (k: string): number => Number((new RegExp(`#define ${k} (\\d+)u`).exec(h) ?? ["", "NaN"])[1]);
    const scale = val("COH_UEFI_FB_GLYPH_SCALE");
    const exe = build(scale, val("COH_UEFI_FB_MAX_COLS"), val("COH_UEFI_FB_MAX_ROWS"));
    for (const seed of [1, 2]) {
      const input = randomStream(6000, seed);
      const s = run(exe, 800, 600, 832, "rgbx", input);
      expect([s.cols, s.rows, s.cw, s.ch]).toEqual([66, 33, 12, 18]);
      expectScreen(s, 800, 600, 832, scale, input, FG.rgbx);
    }
  });

  it("pixel formats: RGBX and BGRX put the channels in their own bytes", () => {
    // only the foreground colour differs between the formats; use a glyph cell's first lit pixel
    const input = Buffer.from("|");
    for (const fmt of ["rgbx", "bgrx"] as const) {
      const s = run(edge, 120, 72, 120, fmt, input);
      const lit = [...s.px].filter((v) => v !== BG && v !== CANARY);
      expect(lit.length).toBeGreaterThan(0);
      expect(new Set(lit)).toEqual(new Set([0xd0d0d0]));
    }
  });

  it("an unusable framebuffer (stride below width) is refused, not drawn on", () => {
    const r = spawnSync(edge, ["120", "72", "100", "bgrx"], { input: Buffer.from("x") });
    expect(r.status).toBe(3);
    expect(r.stderr.toString()).toContain("unusable");
  });
});

describe("[uefi] manifest bounds (coh-rtc)", () => {
  const base = readFileSync(resolve(ROOT, "configs/root_task.toml"), "utf8");
  const check = (field: string, value: number): ReturnType<typeof compile> => {
    const p = join(tmp, `m-${field}-${value}.toml`);
    writeFileSync(p, base.replace(new RegExp(`^${field} = \\d+`, "m"), `${field} = ${value}`));
    return compile(p, true);
  };
  const cases: Array<[string, number, number, string]> = [
    ["esp_mib", 34, 33, "uefi.esp_mib: must be within 34..4096, got 33"],
    ["fb_glyph_scale", 4, 5, "uefi.fb_glyph_scale: must be within 1..4, got 5"],
    ["fb_glyph_scale", 1, 0, "uefi.fb_glyph_scale: must be within 1..4, got 0"],
    ["fb_max_cols", 20, 19, "uefi.fb_max_cols: must be within 20..320, got 19"],
    ["fb_max_rows", 200, 201, "uefi.fb_max_rows: must be within 8..200, got 201"],
    ["flash_max_gib", 1, 0, "uefi.flash_max_gib: must be within 1..4096, got 0"],
  ];
  for (const [field, ok, bad, message] of cases) {
    it(`${field}: ${ok} accepted, ${bad} refused`, () => {
      expect(check(field, ok).errors).toBeUndefined();
      const r = check(field, bad);
      expect(r.ok).toBe(false);
      expect((r.errors ?? []).map((e) => `${e.path}: ${e.message}`).join("\n")).toContain(message);
    });
  }
});
