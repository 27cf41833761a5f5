/** See sizes.mjs: the wasm and image sizes against the manifest's [build] image_max_bytes. */
export function sizeReport(resolved: string, wasm: string, image: string | null): { line: string; over: boolean; wasmBytes: number };
