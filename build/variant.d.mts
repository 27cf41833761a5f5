/** See variant.mjs: builds the core (and image) from another manifest in a tree of its own. */
export function buildVariant(manifest: string, outDir: string, wasmOnly?: boolean): { wasm: string; image?: string; sizes?: string };
