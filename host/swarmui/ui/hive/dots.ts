// The Live Hive's worker dots, drawn as batches rather than one display object per dot: glows
// in one ParticleContainer under the bodies, bodies in ParticleContainers, BitmapText labels
// only where they are shown (created on first use, kept for reuse). A dot is a pair of
// particles that stay in their containers for the dot's life: each frame only their position,
// scale, tint and alpha are written; alpha 0 hides one (both renderers skip it).
//
// Two ways to draw, by renderer:
// - WebGL (a GPU): one container per shape (a ParticleContainer draws in one call from one
//   texture source), white textures tinted and scaled on the GPU, additive glow.
// - canvas (PixiJS's canvas renderer, picked on software rasterisers): every particle is one
//   drawImage, and Chromium's software canvas pays several times more for a scaled or
//   additive drawImage than for a 1:1 copy (bench/swarmui/profile). So textures are baked per
//   role tint and size step (created on first use), drawn at whole pixels without scaling or
//   tinting, and the glow is a plain alpha blend.

import { BitmapText, Container, Graphics, Particle, ParticleContainer, Texture, type Renderer } from "pixi.js";
import { ERROR_TINT, shapeOf, tintOf, type Shape } from "./style.js";

const SHAPES: readonly Shape[] = ["hexagon", "square", "diamond", "triangle", "circle"];
/** Size steps a baked body texture comes in (scale 0.7..1.54 in steps of 0.12). */
export const SIZE_STEPS = 8;
const SIZE_MIN = 0.7;
const SIZE_STEP = 0.12;

/** What one dot shows this frame (computed by the view from the model and the LOD). */
export interface DotLook {
  x: number;
  y: number;
  scale: number;
  tint: number;
  /** 0 hides the glow. */
  glow: number;
  label: boolean;
}

interface Dot {
  shape: Shape;
  glow: Particle;
  body: Particle;
  /** WebGL: a BitmapText; canvas: a particle with the label baked into its own texture. */
  label: BitmapText | Particle | null;
  text: string;
  /** Baked mode: what the body and glow textures were made for (skips the lookup when unchanged). */
  bodyKey: number;
  glowKey: number;
}

export class DotLayers {
  /** Glows under the bodies, bodies under the labels. */
  readonly root = new Container();
  private readonly glowPc: ParticleContainer;
  private readonly bodyPc = new Map<Shape, ParticleContainer>();
  private readonly labelLayer = new Container();
  private readonly labelPc: ParticleContainer;
  private readonly dots = new Map<string, Dot>();
  private readonly white = new Map<Shape | "glow", Texture>();
  private readonly baked = new Map<string, Texture>();
  private labelsShown = 0;

  /** `bake`: the canvas renderer's way (see the file comment). */
  constructor(
    private readonly renderer: Renderer,
    readonly bake: boolean,
  ) {
    const dyn = { position: true, vertex: true, color: true, rotation: false, uvs: bake };
    for (const s of SHAPES) this.white.set(s, shapeTexture(renderer, s, 1, 0xffffff));
    this.white.set("glow", glowTexture(renderer, 0xffffff));
    this.glowPc = new ParticleContainer({ texture: this.white.get("glow"), dynamicProperties: dyn });
    if (!bake) this.glowPc.blendMode = "add";
    this.root.addChild(this.glowPc);
    // Baked: one body container (each particle draws its own texture); WebGL: one per shape.
    for (const s of bake ? SHAPES.slice(0, 1) : SHAPES) {
      const pc = new ParticleContainer({ texture: this.white.get(s), dynamicProperties: dyn });
      this.bodyPc.set(s, pc);
      this.root.addChild(pc);
    }
    this.labelPc = new ParticleContainer({ dynamicProperties: { ...dyn, uvs: true } });
    this.root.addChild(bake ? this.labelPc : this.labelLayer);
  }

  private pcOf(shape: Shape): ParticleContainer {
    return (this.bake ? this.bodyPc.get(SHAPES[0]) : this.bodyPc.get(shape)) as ParticleContainer;
  }

  /** Adds a dot, or moves it to its role's shape; `label` is the digits it shows. */
  upsert(id: string, role: string, label: string): void {
    const shape = shapeOf(role);
    let d = this.dots.get(id);
    if (!d) {
      const glow = new Particle({ texture: this.white.get("glow") as Texture, anchorX: 0.5, anchorY: 0.5, alpha: 0 });
      const body = new Particle({ texture: this.white.get(shape) as Texture, anchorX: 0.5, anchorY: 0.5, alpha: 0 });
      this.glowPc.addParticle(glow);
      this.pcOf(shape).addParticle(body);
      d = { shape, glow, body, label: null, text: label, bodyKey: -1, glowKey: -1 };
      this.dots.set(id, d);
    } else if (d.shape !== shape) {
      if (!this.bake) {
        this.pcOf(d.shape).removeParticle(d.body);
        d.body.texture = this.white.get(shape) as Texture;
        this.pcOf(shape).addParticle(d.body);
      }
      d.shape = shape;
      d.bodyKey = -1;
    }
    if (d.text !== label) {
      d.text = label;
      if (d.label instanceof Particle) {
        d.label.texture.destroy(true);
        setTexture(d.label, labelTexture(label));
      } else if (d.label) d.label.text = label;
    }
  }

  remove(id: string): void {
    const d = this.dots.get(id);
    if (!d) return;
    this.glowPc.removeParticle(d.glow);
    this.pcOf(d.shape).removeParticle(d.body);
    if (d.label instanceof Particle) {
      this.labelPc.removeParticle(d.label);
      d.label.texture.destroy(true);
    } else d.label?.destroy();
    this.dots.delete(id);
  }

  /** Hides a dot for this frame (collapsed cluster, cluster LOD, off the canvas). */
  hide(id: string): void {
    const d = this.dots.get(id);
    if (!d) return;
    d.body.alpha = 0;
    d.glow.alpha = 0;
    hideLabel(d);
  }

  /** Writes one dot's look for this frame. */
  set(id: string, l: DotLook): void {
    const d = this.dots.get(id);
    if (!d) return;
    const b = d.body;
    const g = d.glow;
    if (this.bake) {
      // Whole pixels, the nearest baked size, no scale and no tint: a 1:1 copy per particle.
      const x = Math.round(l.x);
      const y = Math.round(l.y);
      const step = Math.max(0, Math.min(SIZE_STEPS - 1, Math.round((l.scale - SIZE_MIN) / SIZE_STEP)));
      // Above the steps (the queen's 1.4, a selected dot) the texture is baked at that scale.
      const k = l.scale > SIZE_MIN + SIZE_STEP * (SIZE_STEPS - 1) + 1e-6 ? l.scale : SIZE_MIN + SIZE_STEP * step;
      const bk = l.tint * 4096 + Math.round(k * 1000);
      if (d.bodyKey !== bk) {
        setTexture(b, this.bakedTexture(d.shape, l.tint, k));
        d.bodyKey = bk;
      }
      b.x = x;
      b.y = y;
      if (l.glow > 0) {
        if (d.glowKey !== l.tint) {
          setTexture(g, this.bakedTexture("glow", l.tint, 1));
          d.glowKey = l.tint;
        }
        g.x = x;
        g.y = y;
      }
    } else {
      b.x = l.x;
      b.y = l.y;
      b.scaleX = b.scaleY = l.scale;
      if (b.tint !== l.tint) b.tint = l.tint;
      g.x = l.x;
      g.y = l.y;
      if (g.tint !== l.tint) g.tint = l.tint;
    }
    if (b.alpha !== 1) b.alpha = 1;
    g.alpha = l.glow;
    if (l.label && d.text) {
      if (!d.label) d.label = this.makeLabel(d.text);
      if (d.label instanceof Particle) {
        d.label.x = Math.round(l.x);
        d.label.y = Math.round(l.y) + 10 + Math.floor(d.label.texture.frame.height / 2);
        d.label.alpha = 1;
      } else {
        d.label.position.set(Math.round(l.x), Math.round(l.y) + 10);
        if (!d.label.visible) d.label.visible = true;
      }
      this.labelsShown += 1;
    } else hideLabel(d);
  }

  private makeLabel(text: string): BitmapText | Particle {
    if (this.bake) {
      const p = new Particle({ texture: Texture.EMPTY, alpha: 0 });
      setTexture(p, labelTexture(text));
      this.labelPc.addParticle(p);
      return p;
    }
    const b = new BitmapText({ text, style: { fontFamily: "monospace", fontSize: 11, fill: 0xe6edf3 } });
    b.anchor.set(0.5, 0);
    this.labelLayer.addChild(b);
    return b;
  }

  /** A tinted texture at scale `k`, baked on first use (a few dozen in a live hive). */
  private bakedTexture(shape: Shape | "glow", tint: number, k: number): Texture {
    const key = `${shape}/${tint}/${k.toFixed(3)}`;
    let t = this.baked.get(key);
    if (!t) {
      t = shape === "glow" ? glowTexture(this.renderer, tint) : shapeTexture(this.renderer, shape, k, tint);
      this.baked.set(key, t);
    }
    return t;
  }

  /** Call before a frame's set()/hide() calls. */
  begin(): void {
    this.labelsShown = 0;
  }

  /** Call after them: the label layer is skipped whole when no label shows. */
  end(): void {
    this.labelLayer.visible = this.labelPc.visible = this.labelsShown > 0;
  }

  /** Labels drawn in the last frame (for the debug hook's metrics). */
  get labels(): number {
    return this.labelsShown;
  }

  /** Baked textures made so far (bounded by tints x shapes x size steps). */
  get bakedCount(): number {
    return this.baked.size;
  }
}

function hideLabel(d: Dot): void {
  if (d.label instanceof Particle) d.label.alpha = 0;
  else if (d.label?.visible) d.label.visible = false;
}

/** A label's digits drawn once into their own small canvas (11 px monospace, the page's text colour). */
function labelTexture(text: string): Texture {
  const c = document.createElement("canvas");
  const font = "11px monospace";
  const m = c.getContext("2d") as CanvasRenderingContext2D;
  m.font = font;
  c.width = Math.max(2, Math.ceil(m.measureText(text).width) + 2);
  c.height = 14;
  const g = c.getContext("2d") as CanvasRenderingContext2D;
  g.font = font;
  g.fillStyle = "#e6edf3";
  g.textBaseline = "top";
  g.textAlign = "center";
  g.fillText(text, c.width / 2, 1);
  return Texture.from(c);
}

/** Sets a particle's texture with an anchor that lands on a whole pixel (no resampling). */
function setTexture(p: Particle, t: Texture): void {
  if (p.texture === t) return;
  p.texture = t;
  p.anchorX = Math.floor(t.frame.width / 2) / t.frame.width;
  p.anchorY = Math.floor(t.frame.height / 2) / t.frame.height;
}

/** The error tint while an error is fresh, the role's otherwise. */
export function dotTint(role: string, error: number): number {
  return error > 0.1 ? ERROR_TINT : tintOf(role);
}

function shapeTexture(renderer: Renderer, s: Shape, k: number, fill: number): Texture {
  const g = new Graphics();
  const r = 8 * k;
  if (s === "circle") g.circle(0, 0, r);
  else if (s === "square") g.rect(-r * 0.85, -r * 0.85, r * 1.7, r * 1.7);
  else if (s === "diamond") g.poly([0, -r * 1.15, r * 1.15, 0, 0, r * 1.15, -r * 1.15, 0]);
  else if (s === "triangle") g.poly([0, -r * 1.1, r * 1.05, r * 0.8, -r * 1.05, r * 0.8]);
  else g.regularPoly(0, 0, r * 1.6, 6);
  g.fill(fill).stroke({ width: 1.5 * k, color: 0x0d1117 });
  const t = renderer.generateTexture(g);
  g.destroy();
  return t;
}

function glowTexture(renderer: Renderer, fill: number): Texture {
  const g = new Graphics();
  for (let i = 6; i >= 1; i--) g.circle(0, 0, 4 * i).fill({ color: fill, alpha: 0.07 });
  const t = renderer.generateTexture(g);
  g.destroy();
  return t;
}
