// The module's real imports and exports must be the ones docs/PLATFORM_ABI.md promises.

import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { bootMock, ROOT } from "./helpers/serial.js";

function docTable(heading: string): string[] {
  const doc = readFileSync(resolve(ROOT, "docs/PLATFORM_ABI.md"), "utf8");
  const start = doc.indexOf(heading);
  expect(start).toBeGreaterThanOrEqual(0);
  const section = doc.slice(start, doc.indexOf("\n## ", start + heading.length));
  return [...section.matchAll(/^\| `([a-z_0-9]+)` \|/gm)].map((m) => m[1]);
}

describe("platform ABI", () => {
  const mod = new WebAssembly.Module(readFileSync(resolve(ROOT, "out/cohesix.wasm")));

  it("every import is a documented plat import", () => {
    const documented = new Set(docTable("## Imports"));
    expect(documented.size).toBe(14);
    for (const imp of WebAssembly.Module.imports(mod)) {
      expect(imp.module).toBe("plat");
      expect(documented.has(imp.name), `undocumented import plat.${imp.name}`).toBe(true);
    }
  });

  it("the exports are exactly the documented ones", () => {
    const documented = docTable("## Exports").sort();
    const actual = WebAssembly.Module.exports(mod)
      .map((e) => e.name)
      .sort();
    expect(actual).toEqual(documented);
  });

  it("linear memory cannot grow past the documented 256 pages (16 MiB)", async () => {
    const { core } = await bootMock();
    const mem = core.exports.memory;
    const pages = mem.buffer.byteLength / 65536;
    expect(() => mem.grow(256 - pages + 1)).toThrow(RangeError);
    expect(mem.grow(256 - pages)).toBe(pages);
  });
});
