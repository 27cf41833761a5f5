// The bounds cas-tool packs within: the guest's [cas] bounds, so a bundle that packs is one the
// guest can take (it still checks everything itself).

export interface CasLimits {
  /** Chunk size when --chunk-bytes is not given. */
  chunkBytesDefault: number;
  /** Largest chunk the guest stores. */
  chunkBytesMax: number;
  /** Most chunk digests one manifest may list. */
  chunksMax: number;
  /** Largest manifest.cbor the guest accepts. */
  manifestBytesMax: number;
}

export const DEFAULT_LIMITS: CasLimits = {
  chunkBytesDefault: 65536,
  chunkBytesMax: 65536,
  chunksMax: 64,
  manifestBytesMax: 4096,
};

/** The guest's epoch rule: 1..20 ASCII digits. */
export const EPOCH_RE = /^[0-9]{1,20}$/;
