// The Live Hive canvas (PixiJS 8): one dot per agent (role tint and shape, label digits),
// additive glow for heat, red tint and pulse rings for errors, clusters that collapse on
// click, flows to the queen, pollen in `detail`. Zoom/pan by wheel, drag and keys; our own
// frame loop holds the fps cap and pauses while the page is hidden or the canvas off-screen.

import "pixi.js/unsafe-eval";
import { Application, BitmapText, Container, Graphics, Sprite, Texture, type Renderer } from "pixi.js";
import type { Agent, HiveConfig, PollBatch } from "../../shared/types.js";
import { positionAt } from "./layout.js";
import { clusterRadius } from "./labels.js";
import { agentsVisible, clampZoom, frameDue, lodOf, type Lod } from "./lod.js";
import { HiveModel, POLLEN_LIFE, PULSE_LIFE, type AgentState } from "./model.js";
import { ERROR_TINT, shapeOf, tintOf, type Shape } from "./style.js";

interface Dot {
  root: Container;
  glow: Sprite;
  body: Sprite;
  label: BitmapText;
}

/** Most flows drawn per frame (the strongest). */
export const FLOWS_MAX = 48;
/** Most workers whose labels show outside `detail`. */
export const LABELS_MAX = 256;

export interface HiveMetrics {
  frames: number;
  renders: number;
  pending: number;
  lastRenderAt: number;
  lastFrameAt: number;
  renderMsTotal: number;
  lod: Lod;
  zoom: number;
  paused: boolean;
  droppedPending: number;
  renderer: string;
}

export interface HiveViewOptions {
  host: HTMLElement;
  cfg: HiveConfig;
  onSelect: (id: string | null) => void;
  onStatus: (text: string) => void;
  /** Force a renderer; by default WebGL unless it is a software rasteriser (then canvas). */
  renderer?: "webgl" | "canvas";
}

/**
 * True when WebGL would run on a software rasteriser (SwiftShader, llvmpipe): there PixiJS's
 * canvas renderer is ~10x faster (bench/swarmui), because every WebGL frame is rasterised on the
 * CPU and read back for compositing. A browser with a GPU keeps WebGL.
 */
export function softwareWebGl(): boolean {
  const c = document.createElement("canvas");
  const gl = (c.getContext("webgl2") ?? c.getContext("webgl")) as WebGLRenderingContext | null;
  if (!gl) return true;
  const ext = gl.getExtension("WEBGL_debug_renderer_info");
  const name = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
  gl.getExtension("WEBGL_lose_context")?.loseContext();
  return /swiftshader|llvmpipe|softpipe|software/i.test(name);
}

export class HiveView {
  readonly model: HiveModel;
  private app!: Application;
  private world = new Container();
  private flowG = new Graphics();
  private clusterG = new Graphics();
  private fxG = new Graphics();
  private dots = new Map<string, Dot>();
  private tex = new Map<Shape | "glow", Texture>();
  private zoom = 1;
  private pan = { x: 0, y: 0 };
  private selected: string | null = null;
  private t0 = performance.now();
  private acc = 0;
  private lastStep = 0;
  private visible = true;
  private onScreen = true;
  private done = false;
  readonly metrics: HiveMetrics = { frames: 0, renders: 0, pending: 0, lastRenderAt: 0, lastFrameAt: 0, renderMsTotal: 0, lod: "balanced", zoom: 1, paused: false, droppedPending: 0, renderer: "" };

  constructor(private readonly o: HiveViewOptions) {
    this.model = new HiveModel(o.cfg);
  }

  async init(): Promise<void> {
    this.app = new Application();
    await this.app.init({ resizeTo: this.o.host, background: 0x0d1117, antialias: true, autoStart: false, preference: this.o.renderer ?? (softwareWebGl() ? "canvas" : "webgl"), autoDensity: true, resolution: Math.min(2, window.devicePixelRatio || 1) });
    this.app.ticker.stop();
    this.metrics.renderer = this.app.renderer.name;
    const c = this.app.canvas;
    c.tabIndex = 0;
    c.setAttribute("role", "img");
    c.setAttribute("aria-label", "Live Hive: worker dots around the queen. Arrow keys select a worker, Enter opens its detail, + and - zoom, 0 resets the view, C collapses its cluster.");
    this.o.host.appendChild(c);
    for (const s of ["hexagon", "square", "diamond", "triangle", "circle"] as const) this.tex.set(s, this.shapeTexture(s));
    this.tex.set("glow", this.glowTexture());
    this.world.addChild(this.flowG, this.clusterG);
    this.app.stage.addChild(this.world);
    this.world.addChild(this.fxG);
    this.bindInput(c);
    document.addEventListener("visibilitychange", () => (this.visible = document.visibilityState === "visible"));
    new IntersectionObserver((es) => (this.onScreen = es.some((e) => e.isIntersecting)), { threshold: 0.05 }).observe(this.o.host);
    requestAnimationFrame((t) => this.frame(t));
  }

  private shapeTexture(s: Shape): Texture {
    const g = new Graphics();
    const r = 8;
    if (s === "circle") g.circle(0, 0, r);
    else if (s === "square") g.rect(-r * 0.85, -r * 0.85, r * 1.7, r * 1.7);
    else if (s === "diamond") g.poly([0, -r * 1.15, r * 1.15, 0, 0, r * 1.15, -r * 1.15, 0]);
    else if (s === "triangle") g.poly([0, -r * 1.1, r * 1.05, r * 0.8, -r * 1.05, r * 0.8]);
    else g.regularPoly(0, 0, r * 1.6, 6);
    g.fill(0xffffff).stroke({ width: 1.5, color: 0x0d1117 });
    return (this.app.renderer as Renderer).generateTexture(g);
  }

  private glowTexture(): Texture {
    const g = new Graphics();
    for (let i = 6; i >= 1; i--) g.circle(0, 0, 4 * i).fill({ color: 0xffffff, alpha: 0.07 });
    return (this.app.renderer as Renderer).generateTexture(g);
  }

  setAgents(list: Agent[]): void {
    this.model.setAgents(list);
    for (const [id, d] of this.dots) {
      if (!this.model.agents.has(id)) {
        d.root.destroy({ children: true });
        this.dots.delete(id);
        if (this.selected === id) this.select(null);
      }
    }
    for (const s of this.model.agents.values()) {
      let d = this.dots.get(s.id);
      if (!d) {
        const root = new Container();
        const glow = new Sprite(this.tex.get("glow"));
        glow.anchor.set(0.5);
        glow.blendMode = "add";
        const body = new Sprite(this.tex.get(shapeOf(s.role)));
        body.anchor.set(0.5);
        const label = new BitmapText({ text: s.label, style: { fontFamily: "monospace", fontSize: 11, fill: 0xe6edf3 } });
        label.anchor.set(0.5, 0);
        label.y = 10;
        root.addChild(glow, body, label);
        this.world.addChild(root);
        d = { root, glow, body, label };
        this.dots.set(s.id, d);
      }
      d.body.texture = this.tex.get(shapeOf(s.role)) as Texture;
      d.label.text = s.label;
      d.label.visible = s.role !== "queen";
    }
    this.world.setChildIndex(this.fxG, this.world.children.length - 1);
  }

  ingest(b: PollBatch): void {
    if (b.agents) this.setAgents(b.agents);
    this.model.pressure = b.pressure;
    this.model.enqueue(b.events);
    if (b.done) this.done = true;
  }

  restart(): void {
    this.done = false;
  }

  private frame(now: number): void {
    requestAnimationFrame((t) => this.frame(t));
    this.metrics.frames += 1;
    this.metrics.lastFrameAt = now;
    const paused = !this.visible || !this.onScreen;
    this.metrics.paused = paused;
    if (paused) {
      this.lastStep = now;
      return;
    }
    // Fixed simulation steps (each consumes at most lod_event_budget events); at most 8 per
    // frame so a long stall does not freeze the page catching up.
    const step = this.o.cfg.step_ms;
    this.acc += Math.min(now - (this.lastStep || now), step * 8);
    this.lastStep = now;
    while (this.acc >= step) {
      this.model.step(step / 1000);
      this.acc -= step;
    }
    this.metrics.pending = this.model.pendingCount;
    this.metrics.droppedPending = this.model.droppedPending;
    if (!frameDue(now, this.metrics.lastRenderAt, this.o.cfg.frame_cap_fps)) return;
    const t1 = performance.now();
    this.draw((now - this.t0) / 1000);
    this.app.render();
    this.metrics.renderMsTotal += performance.now() - t1;
    this.metrics.renders += 1;
    this.metrics.lastRenderAt = now;
  }

  private lod(): Lod {
    return lodOf(this.zoom, this.model.pressure, this.o.cfg);
  }

  /** World position of an agent now (the queen sits at the centre). */
  private pos(s: AgentState, t: number): { x: number; y: number } {
    return s.role === "queen" ? { x: 0, y: 0 } : positionAt(s.anchor, this.app.screen.width, this.app.screen.height, t);
  }

  private draw(t: number): void {
    const lod = this.lod();
    this.metrics.lod = lod;
    this.metrics.zoom = this.zoom;
    this.model.pollenOn = lod === "detail";
    const w = this.app.screen.width;
    const h = this.app.screen.height;
    this.world.position.set(w / 2 + this.pan.x, h / 2 + this.pan.y);
    this.world.scale.set(this.zoom);
    const showAgents = agentsVisible(lod);
    const clusters = this.model.clusters();
    const centre = new Map<string, { x: number; y: number; n: number }>();
    for (const [k, members] of clusters) {
      let x = 0;
      let y = 0;
      for (const m of members) {
        const p = this.pos(m, t);
        x += p.x;
        y += p.y;
      }
      centre.set(k, { x: x / members.length, y: y / members.length, n: members.length });
    }
    this.flowG.clear();
    // The strongest FLOWS_MAX flows only: at 1,024 workers in 256 shards the rest is noise.
    const flows = this.model.flows.size > FLOWS_MAX ? [...this.model.flows].sort((a, b) => b[1] - a[1]).slice(0, FLOWS_MAX) : this.model.flows;
    for (const [k, v] of flows) {
      const c = centre.get(k);
      if (!c) continue;
      // A flow: a faint line to the queen and a blob sized by its intensity halfway along it.
      this.flowG.moveTo(c.x, c.y).lineTo(0, 0).stroke({ width: 1, color: 0x76e2a8, alpha: Math.min(0.35, 0.05 + v / 20) });
      this.flowG.circle(c.x / 2, c.y / 2, 2 + v).fill({ color: 0x76e2a8, alpha: Math.min(0.5, 0.1 + v / 12) });
    }
    this.clusterG.clear();
    const drawClusters = lod === "cluster" || lod === "degraded" || this.model.collapsed.size > 0;
    if (drawClusters) {
      for (const [k, c] of centre) {
        if (!(lod === "cluster" || lod === "degraded" || this.model.collapsed.has(k))) continue;
        this.clusterG.circle(c.x, c.y, clusterRadius(c.n)).fill({ color: 0x1f6feb, alpha: 0.12 }).stroke({ width: 2, color: 0x58a6ff, alpha: 0.6 });
      }
    }
    // Above LABELS_MAX workers the digits overlap into a blur: they show in `detail` only.
    const labels = lod === "detail" || this.model.agents.size <= LABELS_MAX + 1;
    for (const s of this.model.agents.values()) {
      const d = this.dots.get(s.id);
      if (!d) continue;
      const isQueen = s.role === "queen";
      const vis = isQueen || (showAgents && !this.model.collapsed.has(s.cluster));
      d.root.visible = vis;
      if (!vis) continue;
      const p = this.pos(s, t);
      d.root.position.set(p.x, p.y);
      const sel = s.id === this.selected;
      d.body.scale.set((isQueen ? 1.4 : 0.7 + 0.6 * s.heat) * (sel ? 1.1 : 1));
      // Only assign what changed: each assignment marks the sprite for a re-upload.
      const tint = s.error > 0.1 ? ERROR_TINT : tintOf(s.role);
      if (d.body.tint !== tint) d.body.tint = tint;
      // The glow is drawn only while it shows something (heat or error); a cold dot has none.
      const glow = s.heat + 0.5 * s.error;
      d.glow.visible = glow > 0.05 || isQueen;
      if (d.glow.visible) {
        d.glow.alpha = Math.min(0.9, Math.max(0.1, glow));
        if (d.glow.tint !== tint) d.glow.tint = tint;
      }
      const lab = labels && !isQueen && lod !== "degraded";
      if (d.label.visible !== lab) d.label.visible = lab;
    }
    this.fxG.clear();
    for (const p of this.model.pulses) {
      const s = this.model.agents.get(p.agent);
      if (!s) continue;
      const q = this.pos(s, t);
      const k = p.age / PULSE_LIFE;
      this.fxG.circle(q.x, q.y, 10 + 30 * k).stroke({ width: 2, color: ERROR_TINT, alpha: 1 - k });
    }
    for (const p of this.model.pollen) {
      const s = this.model.agents.get(p.agent);
      if (!s) continue;
      const q = this.pos(s, t);
      const dist = Math.hypot(q.x, q.y) || 1;
      const f = Math.min(1, (p.age * p.speed) / dist);
      this.fxG.circle(q.x * (1 - f), q.y * (1 - f), 2).fill({ color: 0xf2cc60, alpha: 1 - p.age / POLLEN_LIFE });
    }
    if (this.selected) {
      const s = this.model.agents.get(this.selected);
      if (s && this.dots.get(s.id)?.root.visible) {
        const q = this.pos(s, t);
        this.fxG.circle(q.x, q.y, 16).stroke({ width: 2, color: 0xffffff, alpha: 0.9 });
      }
    }
    this.o.onStatus(this.done ? "Hive replay complete" : `Hive ${lod}`);
  }

  private bindInput(c: HTMLCanvasElement): void {
    let drag: { x: number; y: number; moved: boolean } | null = null;
    c.addEventListener("pointerdown", (e) => {
      drag = { x: e.clientX, y: e.clientY, moved: false };
      c.focus();
    });
    c.addEventListener("pointermove", (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      if (Math.abs(dx) + Math.abs(dy) > 4) drag.moved = true;
      if (drag.moved) {
        this.pan.x += dx;
        this.pan.y += dy;
        drag.x = e.clientX;
        drag.y = e.clientY;
      }
    });
    c.addEventListener("pointerup", (e) => {
      if (drag && !drag.moved) this.click(e.clientX, e.clientY);
      drag = null;
    });
    c.addEventListener("wheel", (e) => {
      e.preventDefault();
      this.zoom = clampZoom(this.zoom * (e.deltaY < 0 ? 1.1 : 1 / 1.1));
    }, { passive: false });
    c.addEventListener("keydown", (e) => {
      const ids = this.workerIds();
      if (e.key === "ArrowRight" || e.key === "ArrowDown" || e.key === "ArrowLeft" || e.key === "ArrowUp") {
        e.preventDefault();
        if (!ids.length) return;
        const i = this.selected ? ids.indexOf(this.selected) : -1;
        const d = e.key === "ArrowRight" || e.key === "ArrowDown" ? 1 : -1;
        this.select(ids[(i + d + ids.length) % ids.length]);
      } else if (e.key === "+" || e.key === "=") this.zoom = clampZoom(this.zoom * 1.1);
      else if (e.key === "-") this.zoom = clampZoom(this.zoom / 1.1);
      else if (e.key === "0") this.resetView();
      else if ((e.key === "c" || e.key === "C") && this.selected) {
        const s = this.model.agents.get(this.selected);
        if (s) this.model.toggleCluster(s.cluster);
      } else if (e.key === "Escape") this.select(null);
    });
  }

  private workerIds(): string[] {
    // In label order (the digits on the dots), so the keys walk the hive as it reads.
    return [...this.model.agents.values()]
      .filter((s) => s.role !== "queen")
      .sort((a, b) => Number(a.label) - Number(b.label) || a.id.localeCompare(b.id))
      .map((s) => s.id);
  }

  resetView(): void {
    this.zoom = 1;
    this.pan = { x: 0, y: 0 };
  }

  /** Screen (CSS, viewport) coordinates of every visible agent. */
  screenPositions(): Record<string, { x: number; y: number }> {
    const r = this.app.canvas.getBoundingClientRect();
    const out: Record<string, { x: number; y: number }> = {};
    for (const [id, d] of this.dots) {
      if (!d.root.visible) continue;
      const g = d.root.getGlobalPosition();
      out[id] = { x: r.left + g.x, y: r.top + g.y };
    }
    return out;
  }

  private click(cx: number, cy: number): void {
    const r = this.app.canvas.getBoundingClientRect();
    const x = cx - r.left;
    const y = cy - r.top;
    let best: string | null = null;
    let bestD = 14;
    for (const [id, d] of this.dots) {
      if (!d.root.visible || this.model.agents.get(id)?.role === "queen") continue;
      const g = d.root.getGlobalPosition();
      const dist = Math.hypot(g.x - x, g.y - y);
      if (dist < bestD) {
        best = id;
        bestD = dist;
      }
    }
    if (best) {
      this.select(best);
      return;
    }
    // Not on a dot: a click inside a cluster ring (collapsed, or in cluster LOD) toggles it.
    const wx = (x - this.world.position.x) / this.zoom;
    const wy = (y - this.world.position.y) / this.zoom;
    const t = (performance.now() - this.t0) / 1000;
    for (const [k, members] of this.model.clusters()) {
      const cxw = members.reduce((a, m) => a + this.pos(m, t).x, 0) / members.length;
      const cyw = members.reduce((a, m) => a + this.pos(m, t).y, 0) / members.length;
      if (Math.hypot(wx - cxw, wy - cyw) <= clusterRadius(members.length) && (this.lod() === "cluster" || this.model.collapsed.has(k))) {
        this.model.toggleCluster(k);
        return;
      }
    }
  }

  select(id: string | null): void {
    this.selected = id;
    this.o.onSelect(id);
  }

  get selection(): string | null {
    return this.selected;
  }
}
