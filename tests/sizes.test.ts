// The build's size budget ([build] image_max_bytes) and the manifest defaults that come with it:
// the report at and past the edge, the section's default when a manifest leaves it out, and the
// schema's bounds on it.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "smol-toml";
import { describe, expect, it } from "vitest";
import { sizeReport } from "../build/sizes.mjs";
import { validate } from "../host/coh-rtc/schema.js";
import { ROOT } from "./helpers/serial.js";

function fixture(budget: number, imageBytes: number): { resolved: string; wasm: string; image: string } {
  const dir = mkdtempSync(join(tmpdir(), "sizes-"));
  const resolved = join(dir, "resolved.json");
  writeFileSync(resolved, JSON.stringify({ build: { image_max_bytes: budget } }));
  const wasm = join(dir, "core.wasm");
  writeFileSync(wasm, Buffer.alloc(1234));
  const image = join(dir, "core.img");
  writeFileSync(image, Buffer.alloc(imageBytes));
  return { resolved, wasm, image };
}

describe("size budget", () => {
  it("an image exactly at the budget passes; one byte more fails, saying by how much", () => {
    const at = fixture(4096, 4096);
    const ok = sizeReport(at.resolved, at.wasm, at.image);
    expect(ok.over).toBe(false);
    expect(ok.line).toBe("sizes: wasm 1234 B, image 4096 B of 4096 B budget (100.0%)");
    const past = fixture(4096, 4097);
    const bad = sizeReport(past.resolved, past.wasm, past.image);
    expect(bad.over).toBe(true);
    expect(bad.line).toContain("1 B over [build] image_max_bytes");
  });

  it("a wasm-only build reports the core and the budget, and is never over", () => {
    const f = fixture(4096, 9999);
    const r = sizeReport(f.resolved, f.wasm, null);
    expect(r).toEqual({ line: "sizes: wasm 1234 B, image budget 4096 B ([build] image_max_bytes)", over: false, wasmBytes: 1234 });
  });

  it("the committed image fits the default manifest's budget", () => {
    const img = resolve(ROOT, "out/cohesix.img");
    const r = sizeReport(resolve(ROOT, "out/manifests/root_task_resolved.json"), resolve(ROOT, "out/cohesix.wasm"), img);
    expect(r.over).toBe(false);
  });

  it("[build] and [cohsh] default when a manifest leaves them out; their bounds are enforced", () => {
    const raw = parse(readFileSync(resolve(ROOT, "configs/root_task.toml"), "utf8")) as Record<string, unknown>;
    delete raw.build;
    delete raw.cohsh;
    const d = validate(raw);
    expect(d.errors).toEqual([]);
    expect(d.manifest!.build.image_max_bytes).toBe(512 * 1024);
    expect(d.manifest!.cohsh).toEqual({ retry_max_attempts: 3, retry_backoff_ms: 200, retry_ceiling_ms: 2000, timeout_ms: 5000, heartbeat_ms: 15000, tail_poll_ms: 1000 });
    const low = { ...raw, build: { image_max_bytes: 65_535 } };
    expect(validate(low).errors).toEqual([{ path: "build.image_max_bytes", message: "must be within 65536..16777216, got 65535" }]);
    expect(validate({ ...raw, build: { image_max_bytes: 65_536 } }).errors).toEqual([]);
    const inverted = { ...raw, cohsh: { retry_backoff_ms: 3000, retry_ceiling_ms: 2000 } };
    expect(validate(inverted).errors.map((e) => e.path)).toEqual(["cohsh.retry_backoff_ms"]);
  });
});
