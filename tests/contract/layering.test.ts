// The host tree's layering (docs/HOST_SDK.md): only host/sdk/connect.ts reaches host/runtime/,
// the SDK imports no tool, tools import the SDK (and generated tables) but never each other,
// and nothing under host/sdk or host/cohsh imports in a circle.

import { readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { expect, it } from "vitest";
import { ROOT } from "../helpers/serial.js";

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : [];
  });
}

const HOST = resolve(ROOT, "host");
/** Each host .ts file (relative to host/) → the host files it imports (relative to host/). */
function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of files(HOST)) {
    const src = readFileSync(f, "utf8");
    const deps: string[] = [];
    for (const m of src.matchAll(/(?:^|\n)\s*(?:import|export)[^"'\n]*?from\s+["'](\.[^"']+)["']/g)) {
      deps.push(relative(HOST, resolve(dirname(f), m[1].replace(/\.js$/, ".ts"))));
    }
    g.set(relative(HOST, f), deps);
  }
  return g;
}

const top = (p: string): string => (p.startsWith("sdk/") ? "sdk" : p.split("/")[0]);

it("only host/sdk/connect.ts imports host/runtime/ (besides the runtime itself)", () => {
  const bad = [...graph()].flatMap(([f, deps]) => (top(f) !== "runtime" && f !== "sdk/connect.ts" ? deps.filter((d) => d.startsWith("runtime/")).map((d) => `${f} -> ${d}`) : []));
  expect(bad).toEqual([]);
});

it("the SDK imports no tool; tools import only the SDK, generated tables and themselves", () => {
  const allowed = new Set(["sdk", "generated"]);
  const bad = [...graph()].flatMap(([f, deps]) => {
    const t = top(f);
    if (t === "runtime" || t === "generated" || t === "coh-rtc" || t === "bin") return [];
    return deps.filter((d) => top(d) !== t && !allowed.has(top(d)) && !(f === "sdk/connect.ts" && top(d) === "runtime")).map((d) => `${f} -> ${d}`);
  });
  expect(bad).toEqual([]);
});

it("no import cycles under host/sdk and host/cohsh", () => {
  const g = graph();
  const cycles: string[] = [];
  const state = new Map<string, 1 | 2>();
  const walk = (n: string, stack: string[]): void => {
    if (state.get(n) === 2) return;
    if (state.get(n) === 1) {
      cycles.push([...stack.slice(stack.indexOf(n)), n].join(" -> "));
      return;
    }
    state.set(n, 1);
    for (const d of g.get(n) ?? []) if (top(d) === "sdk" || top(d) === "cohsh") walk(d, [...stack, n]);
    state.set(n, 2);
  };
  for (const n of g.keys()) if (top(n) === "sdk" || top(n) === "cohsh") walk(n, []);
  expect(cycles).toEqual([]);
});

it("the browser-safe SDK modules import nothing from Node", () => {
  for (const f of ["sdk/ns.ts", "sdk/console/grammar.ts"]) {
    expect(readFileSync(join(HOST, f), "utf8")).not.toMatch(/from\s+["']node:/);
  }
});
