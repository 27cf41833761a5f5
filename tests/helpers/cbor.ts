// A tiny strict CBOR decoder for tests: definite-length uint, text, bytes, arrays and maps only
// (what the guest's bundles use). It also reports whether each integer was in shortest form and
// whether map keys came in deterministic (encoded-bytes) order, so tests can check the encoding.

export type CborValue = number | bigint | string | Uint8Array | CborValue[] | Map<string, CborValue>;

export interface Decoded {
  value: CborValue;
  /** Integers (other than those named in `fixedWidth`) that were not in their shortest form. */
  nonShortest: string[];
  /** Maps whose keys were not in deterministic order. */
  unsortedMaps: number;
}

export function decodeCbor(buf: Uint8Array, fixedWidth: string[] = []): Decoded {
  let i = 0;
  const nonShortest: string[] = [];
  let unsortedMaps = 0;
  const need = (n: number): void => {
    if (i + n > buf.length) throw new Error(`truncated at ${i}`);
  };
  const arg = (info: number, where: string): bigint => {
    if (info < 24) return BigInt(info);
    const widths: Record<number, number> = { 24: 1, 25: 2, 26: 4, 27: 8 };
    const w = widths[info];
    if (w === undefined) throw new Error(`unsupported additional info ${info} at ${i}`);
    need(w);
    let v = 0n;
    for (let k = 0; k < w; k++) v = (v << 8n) | BigInt(buf[i++]);
    const shortest = v < 24n ? 0 : v <= 0xffn ? 1 : v <= 0xffffn ? 2 : v <= 0xffffffffn ? 4 : 8;
    if (shortest !== w && !fixedWidth.includes(where)) nonShortest.push(where);
    return v;
  };
  const item = (where: string): CborValue => {
    need(1);
    const b = buf[i++];
    const major = b >> 5;
    const n = arg(b & 31, where);
    switch (major) {
      case 0:
        return n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
      case 2:
        need(Number(n));
        return buf.slice(i, (i += Number(n)));
      case 3:
        need(Number(n));
        return new TextDecoder("utf-8", { fatal: true }).decode(buf.slice(i, (i += Number(n))));
      case 4: {
        const out: CborValue[] = [];
        for (let k = 0; k < Number(n); k++) out.push(item(`${where}[${k}]`));
        return out;
      }
      case 5: {
        const m = new Map<string, CborValue>();
        let prev: Uint8Array | null = null;
        for (let k = 0; k < Number(n); k++) {
          const start = i;
          const key = item(`${where}.key`);
          if (typeof key !== "string") throw new Error("map keys must be text");
          const enc = buf.slice(start, i);
          if (prev && Buffer.compare(Buffer.from(prev), Buffer.from(enc)) >= 0) unsortedMaps++;
          prev = enc;
          if (m.has(key)) throw new Error(`duplicate key ${key}`);
          m.set(key, item(key));
        }
        return m;
      }
      default:
        throw new Error(`unsupported major type ${major} at ${i - 1}`);
    }
  };
  const value = item("$");
  if (i !== buf.length) throw new Error(`trailing bytes at ${i}`);
  return { value, nonShortest, unsortedMaps };
}

/** The bytes behind a console CAT of a binary file (`b64:` lines). */
export function fromB64Lines(lines: string[]): Uint8Array {
  if (!lines.every((l) => l.startsWith("b64:"))) throw new Error("not b64: lines");
  return new Uint8Array(Buffer.concat(lines.map((l) => Buffer.from(l.slice(4), "base64"))));
}
