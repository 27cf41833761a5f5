// The guest's layering (docs/ARCHITECTURE.md): six floors, each folder importing only its own
// floor or the ones below, and no import loop between files. Read from the sources themselves,
// so a new import that runs back up fails here rather than in review.

import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(__dirname, "../assembly");

/** Floor of each top-level guest folder (higher imports lower). */
export const FLOORS: Record<string, number> = {
  "index.ts": 6,
  console: 5,
  p9: 4,
  ninedoor: 3,
  ticket: 2,
  cas: 2,
  trace: 2,
  net: 2,
  crypto: 1,
  json: 1,
  cbor: 1,
  text: 1,
  platform: 1,
  generated: 1,
};

function sources(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sources(p));
    else if (e.name.endsWith(".ts")) out.push(p);
  }
  return out;
}

function rel(p: string): string {
  return relative(ROOT, p).split("\\").join("/");
}

function floorOf(file: string): number {
  const top = rel(file).split("/")[0];
  const f = FLOORS[top];
  if (f === undefined) throw new Error(`assembly/${top} has no floor: add it to FLOORS and docs/ARCHITECTURE.md`);
  return f;
}

/** Relative imports of each file, resolved to files. */
function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of sources(ROOT)) {
    const text = readFileSync(f, "utf8");
    const deps: string[] = [];
    for (const m of text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s+"(\.[^"]+)"/gms)) deps.push(resolve(dirname(f), m[1] + ".ts"));
    g.set(f, deps);
  }
  return g;
}

/** Imports from a lower floor to a higher one. */
function backUps(g: Map<string, string[]>): string[] {
  const up: string[] = [];
  for (const [f, ds] of g) for (const d of ds) if (floorOf(d) > floorOf(f)) up.push(`${rel(f)} (floor ${floorOf(f)}) -> ${rel(d)} (floor ${floorOf(d)})`);
  return up;
}

/** Import cycles, each as the files around it. */
function loops(g: Map<string, string[]>): string[] {
  const state = new Map<string, number>(); // 1 = on the stack, 2 = done
  const found: string[] = [];
  const visit = (f: string, stack: string[]): void => {
    state.set(f, 1);
    for (const d of g.get(f) ?? []) {
      if (state.get(d) === 1) found.push([...stack.slice(stack.indexOf(d)), d].map(rel).join(" -> "));
      else if (!state.has(d)) visit(d, [...stack, d]);
    }
    state.set(f, 2);
  };
  for (const f of g.keys()) if (!state.has(f)) visit(f, [f]);
  return found;
}

describe("guest layering", () => {
  const g = graph();

  it("reads a real graph (every import resolves to a file of the tree)", () => {
    expect(g.size).toBeGreaterThan(50);
    expect([...g.values()].reduce((n, ds) => n + ds.length, 0)).toBeGreaterThan(150);
    const missing = [...g.entries()].flatMap(([f, ds]) => ds.filter((d) => !g.has(d)).map((d) => `${rel(f)} -> ${rel(d)}`));
    expect(missing).toEqual([]);
  });

  it("no import runs from a lower floor to a higher one", () => {
    expect(backUps(g)).toEqual([]);
  });

  it("no import loop between files", () => {
    expect(loops(g)).toEqual([]);
  });

  it("the checks see a back-up import and a loop when there is one", () => {
    const a = join(ROOT, "text/a.ts");
    const b = join(ROOT, "ninedoor/b.ts");
    const fake = new Map<string, string[]>([
      [a, [b]],
      [b, [a]],
    ]);
    expect(backUps(fake)).toEqual(["text/a.ts (floor 1) -> ninedoor/b.ts (floor 3)"]);
    expect(loops(fake)).toEqual(["text/a.ts -> ninedoor/b.ts -> text/a.ts"]);
  });
});

// The shim (C): which file uses what another file defines (functions and globals with external
// linkage), read from the sources. net.c reaches the core only through its registered sink and
// abi.c gets the hardware description as an argument, so the files form no loop.
const SHIM = join(ROOT, "../seL4-shim/src");

function shimGraph(): Map<string, string[]> {
  const files = readdirSync(SHIM).filter((f) => f.endsWith(".c"));
  const text = new Map(files.map((f) => [f, readFileSync(join(SHIM, f), "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/\/\/.*$/gm, "")]));
  const defs = new Map<string, string>(); // identifier -> defining file
  for (const [f, t] of text) {
    for (const m of t.matchAll(/^(?!static\b)(?:NORETURN\s+)?[A-Za-z_][\w \t*]*?\b([A-Za-z_]\w*)\s*\([^;{]*\)\s*\{/gm)) defs.set(m[1], f);
    for (const m of t.matchAll(/^(?!static\b|extern\b)(?:const\s+)?(?:struct\s+)?\w+[\s*]+(g_\w+)\b[^(;]*[;=]/gm)) defs.set(m[1], f);
  }
  const g = new Map<string, string[]>();
  for (const [f, t] of text) {
    const uses = new Set<string>();
    for (const [id, where] of defs) if (where !== f && new RegExp(`\\b${id}\\b`).test(t)) uses.add(where);
    g.set(f, [...uses]);
  }
  return g;
}

describe("shim layering (seL4-shim/src)", () => {
  const g = shimGraph();

  it("reads a real graph: main.c starts net.c and abi.c, abi.c drives net.c", () => {
    expect(g.get("main.c")).toEqual(expect.arrayContaining(["net.c", "abi.c"]));
    expect(g.get("abi.c")).toContain("net.c");
  });

  it("net.c uses nothing of abi.c or main.c (the core's exports come through net_set_sink), abi.c nothing of main.c", () => {
    expect(g.get("net.c")).not.toContain("abi.c");
    expect(g.get("net.c")).not.toContain("main.c");
    expect(g.get("abi.c")).not.toContain("main.c");
  });

  it("no loop between the shim's files", () => {
    const state = new Map<string, number>();
    const found: string[] = [];
    const visit = (f: string, stack: string[]): void => {
      state.set(f, 1);
      for (const d of g.get(f) ?? []) {
        if (state.get(d) === 1) found.push([...stack.slice(stack.indexOf(d)), d].join(" -> "));
        else if (!state.has(d)) visit(d, [...stack, d]);
      }
      state.set(f, 2);
    };
    for (const f of g.keys()) if (!state.has(f)) visit(f, [f]);
    expect(found).toEqual([]);
  });
});
