// The size budget (the Hubris `xtask sizes` idea): every build prints the core's and the image's
// size against the manifest's [build] image_max_bytes, and an image past it fails the build.

import { existsSync, readFileSync, statSync } from "node:fs";

/**
 * `resolved` is coh-rtc's out/manifests/root_task_resolved.json for the manifest being built.
 * Returns the report line and whether the image is over budget (a missing image is not checked).
 */
export function sizeReport(resolved, wasm, image) {
  const budget = JSON.parse(readFileSync(resolved, "utf8")).build.image_max_bytes;
  const wasmBytes = statSync(wasm).size;
  const parts = [`wasm ${wasmBytes} B`];
  let over = false;
  if (image && existsSync(image)) {
    const imageBytes = statSync(image).size;
    over = imageBytes > budget;
    parts.push(`image ${imageBytes} B of ${budget} B budget (${((100 * imageBytes) / budget).toFixed(1)}%)${over ? ` — ${imageBytes - budget} B over [build] image_max_bytes` : ""}`);
  } else {
    parts.push(`image budget ${budget} B ([build] image_max_bytes)`);
  }
  return { line: `sizes: ${parts.join(", ")}`, over, wasmBytes };
}
