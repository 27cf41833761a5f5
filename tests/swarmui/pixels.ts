// Screenshot comparison with a tolerance, done in the browser (no image library needed): both
// PNGs are drawn to canvases and compared pixel by pixel; a pixel differs when any channel moves
// by more than `channel`. Returns the share of differing pixels (1 when the sizes differ).

import type { Page } from "playwright-core";

export async function diffRatio(page: Page, a: Buffer, b: Buffer, channel = 24): Promise<number> {
  return page.evaluate(
    async ([x, y, ch]) => {
      const load = async (b64: string): Promise<ImageData> => {
        // An <img> (img-src allows data:), not fetch (the page's connect-src is 'self' only).
        const img = new Image();
        img.src = `data:image/png;base64,${b64}`;
        await img.decode();
        const c = new OffscreenCanvas(img.width, img.height);
        const g = c.getContext("2d") as OffscreenCanvasRenderingContext2D;
        g.drawImage(img, 0, 0);
        return g.getImageData(0, 0, img.width, img.height);
      };
      const [p, q] = [await load(x as string), await load(y as string)];
      if (p.width !== q.width || p.height !== q.height) return 1;
      let diff = 0;
      for (let i = 0; i < p.data.length; i += 4) {
        if (Math.abs(p.data[i] - q.data[i]) > (ch as number) || Math.abs(p.data[i + 1] - q.data[i + 1]) > (ch as number) || Math.abs(p.data[i + 2] - q.data[i + 2]) > (ch as number)) diff++;
      }
      return diff / (p.width * p.height);
    },
    [a.toString("base64"), b.toString("base64"), channel] as const,
  );
}

/** A PNG scaled by `k` in the browser (docs images stay small without an image tool). */
export async function shrinkPng(page: Page, png: Buffer, k: number): Promise<Buffer> {
  const b64 = await page.evaluate(
    async ([x, f]) => {
      const img = new Image();
      img.src = `data:image/png;base64,${x as string}`;
      await img.decode();
      const c = new OffscreenCanvas(Math.round(img.width * (f as number)), Math.round(img.height * (f as number)));
      const g = c.getContext("2d") as OffscreenCanvasRenderingContext2D;
      g.imageSmoothingQuality = "high";
      g.drawImage(img, 0, 0, c.width, c.height);
      const bytes = new Uint8Array(await (await c.convertToBlob({ type: "image/png" })).arrayBuffer());
      let s = "";
      for (const v of bytes) s += String.fromCharCode(v);
      return btoa(s);
    },
    [png.toString("base64"), k] as const,
  );
  return Buffer.from(b64, "base64");
}
