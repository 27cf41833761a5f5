// The Live Hive canvas (PixiJS 8): one dot per agent (role tint and shape, label digits),
// additive glow for heat, red tint and pulse rings for errors, clusters that collapse on
// click, flows to the queen, pollen in `detail`. Zoom/pan by wheel, drag and keys; our own
// frame loop holds the fps cap and pauses while the page is hidden or the canvas off-screen.

import "pixi.js/unsafe-eval";
import { Application, Container, Graphics, type Renderer } from "pixi.js";
import type { Agent, HiveConfig, PollBatch } from "../../shared/types.js";
import { positionAt } from "./layout.js";
import { clusterRadius } from "./labels.js";
import { agentsVisible, clampZoom, FramePacer, labelsShown, lodOf, type Lod } from "./lod.js";
import { HiveModel, POLLEN_LIFE, PULSE_LIFE, type AgentState } from "./model.js";
import { DotLayers, dotTint } from "./dots.js";
import { ERROR_TINT } from "./style.js";

/** Most flows drawn per frame (the strongest). */
export const FLOWS_MAX = 48;
/**
 * Most glows drawn per frame (the warmest): a glow is the largest sprite, and past a few
 * hundred workers they overlap into one wash anyway.
 */
export const GLOW_MAX = 256;
/** A scroll pauses drawing until this long after its last event (the reference's debounce). */
export const SCROLL_PAUSE_MS = 180;

interface Pos {
  x: number;
  y: number;
  /** Drawn in the last frame (not collapsed, not hidden by the LOD). */
  shown: boolean;
}

export interface HiveMetrics {
  /** Animation frames run (none while paused: the loop stops). */
  frames: number;
  renders: number;
  pending: number;
  lastRenderAt: number;
  lastFrameAt: number;
  /** Milliseconds in draw + render, summed over renders (JavaScript and the renderer's calls). */
  renderMsTotal: number;
  /** Of which: updating the scene (positions, particles, graphics). */
  drawMsTotal: number;
  /** Milliseconds in the fixed simulation steps, summed. */
  stepMsTotal: number;
  lod: Lod;
  zoom: number;
  paused: boolean;
  /** Why: the page is hidden, the canvas is off-screen, or the page is scrolling. */
  pausedBy: "hidden" | "offscreen" | "scroll" | null;
  droppedPending: number;
  renderer: string;
  /** Dots and labels drawn in the last render. */
  dotsDrawn: number;
  labelsDrawn: number;
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
  private dots!: DotLayers;
  /** Each agent's position in the last frame, reused objects (hit tests and the debug hook read them). */
  private pos = new Map<string, Pos>();
  /** Clusters and their centres, rebuilt only when the agent set changes (model.version). */
  private clusterCache: { version: number; members: Map<string, AgentState[]>; centre: Map<string, { x: number; y: number; n: number }> } = { version: -1, members: new Map(), centre: new Map() };
  private zoom = 1;
  private pan = { x: 0, y: 0 };
  private selected: string | null = null;
  private t0 = performance.now();
  private acc = 0;
  private lastStep = 0;
  private visible = true;
  private onScreen = true;
  private scrollUntil = 0;
  private raf = 0;
  private glowScratch = new Float64Array(0);
  private readonly pacer: FramePacer;
  private done = false;
  readonly metrics: HiveMetrics = { frames: 0, renders: 0, pending: 0, lastRenderAt: 0, lastFrameAt: 0, renderMsTotal: 0, drawMsTotal: 0, stepMsTotal: 0, lod: "balanced", zoom: 1, paused: false, pausedBy: null, droppedPending: 0, renderer: "", dotsDrawn: 0, labelsDrawn: 0 };

  constructor(private readonly o: HiveViewOptions) {
    this.model = new HiveModel(o.cfg);
    this.pacer = new FramePacer(o.cfg.frame_cap_fps);
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
    this.dots = new DotLayers(this.app.renderer as Renderer, this.app.renderer.name === "canvas");
    this.world.addChild(this.flowG, this.clusterG, this.dots.root, this.fxG);
    this.app.stage.addChild(this.world);
    this.bindInput(c);
    // Paused while hidden or off-screen: the animation loop stops (no frame, no step, no
    // render) and starts again on return; events keep queuing (pending_event_cap bounds them).
    document.addEventListener("visibilitychange", () => {
      this.visible = document.visibilityState === "visible";
      this.wake();
    });
    new IntersectionObserver((es) => {
      this.onScreen = es[es.length - 1]?.isIntersecting ?? this.onScreen;
      this.wake();
    }, { threshold: 0.05 }).observe(this.o.host);
    // While the page scrolls the loop runs but draws nothing (scrolling stays smooth).
    window.addEventListener("scroll", () => (this.scrollUntil = performance.now() + SCROLL_PAUSE_MS), { passive: true, capture: true });
    this.wake();
  }

  /** Starts the loop unless paused; a paused loop ends itself at its next frame. */
  private wake(): void {
    const by = !this.visible ? "hidden" : !this.onScreen ? "offscreen" : null;
    this.metrics.pausedBy = by;
    this.metrics.paused = by !== null;
    if (by === null && this.raf === 0) this.raf = requestAnimationFrame((t) => this.frame(t));
  }

  setAgents(list: Agent[]): void {
    this.model.setAgents(list);
    for (const id of [...this.pos.keys()]) {
      if (!this.model.agents.has(id)) {
        this.dots.remove(id);
        this.pos.delete(id);
        if (this.selected === id) this.select(null);
      }
    }
    for (const s of this.model.agents.values()) {
      this.dots.upsert(s.id, s.role, s.role === "queen" ? "" : s.label);
      if (!this.pos.has(s.id)) this.pos.set(s.id, { x: 0, y: 0, shown: false });
    }
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
    this.raf = 0;
    if (this.metrics.paused) {
      this.lastStep = 0; // no catch-up burst on return
      return;
    }
    this.raf = requestAnimationFrame((t) => this.frame(t));
    this.metrics.frames += 1;
    this.metrics.lastFrameAt = now;
    // Fixed simulation steps (each consumes at most lod_event_budget events); at most 8 per
    // frame so a long stall does not freeze the page catching up.
    const t0 = performance.now();
    const step = this.o.cfg.step_ms;
    this.acc += Math.min(now - (this.lastStep || now), step * 8);
    this.lastStep = now;
    while (this.acc >= step) {
      this.model.step(step / 1000);
      this.acc -= step;
    }
    this.metrics.stepMsTotal += performance.now() - t0;
    this.metrics.pending = this.model.pendingCount;
    this.metrics.droppedPending = this.model.droppedPending;
    const scrolling = now < this.scrollUntil;
    this.metrics.pausedBy = scrolling ? "scroll" : null;
    if (scrolling || !this.pacer.due(now)) return;
    const t1 = performance.now();
    this.draw((now - this.t0) / 1000);
    const t2 = performance.now();
    this.app.render();
    this.metrics.drawMsTotal += t2 - t1;
    this.metrics.renderMsTotal += performance.now() - t1;
    this.metrics.renders += 1;
    this.metrics.lastRenderAt = now;
  }

  /** The GLOW_MAX-th warmest worker's glow (0 with at most GLOW_MAX workers): the glow budget. */
  private glowFloor(): number {
    const n = this.model.agents.size;
    if (n <= GLOW_MAX) return 0;
    if (this.glowScratch.length < n) this.glowScratch = new Float64Array(n * 2);
    let i = 0;
    for (const s of this.model.agents.values()) this.glowScratch[i++] = s.role === "queen" ? -1 : s.heat + 0.5 * s.error;
    const v = this.glowScratch.subarray(0, i).sort();
    return Math.max(1e-9, v[i - GLOW_MAX]);
  }

  private lod(): Lod {
    return lodOf(this.zoom, this.model.pressure, this.o.cfg);
  }

  private clusters(): { members: Map<string, AgentState[]>; centre: Map<string, { x: number; y: number; n: number }> } {
    if (this.clusterCache.version !== this.model.version) {
      const members = this.model.clusters();
      const centre = new Map<string, { x: number; y: number; n: number }>();
      for (const [k, m] of members) centre.set(k, { x: 0, y: 0, n: m.length });
      this.clusterCache = { version: this.model.version, members, centre };
    }
    return this.clusterCache;
  }

  private draw(t: number): void {
    const lod = this.lod();
    this.metrics.lod = lod;
    this.metrics.zoom = this.zoom;
    this.model.pollenOn = lod === "detail";
    const w = this.app.screen.width;
    const h = this.app.screen.height;
    // Whole pixels: the canvas renderer's 1:1 copies stay unresampled (see dots.ts).
    const ox = Math.round(w / 2 + this.pan.x);
    const oy = Math.round(h / 2 + this.pan.y);
    this.world.position.set(ox, oy);
    this.world.scale.set(this.zoom);
    // Positions once per frame, into reused objects; everything below reads them.
    for (const s of this.model.agents.values()) {
      const p = this.pos.get(s.id);
      if (!p) continue;
      if (s.role === "queen") p.x = p.y = 0;
      else {
        const q = positionAt(s.anchor, w, h, t);
        p.x = q.x;
        p.y = q.y;
      }
    }
    const { members, centre } = this.clusters();
    for (const [k, list] of members) {
      const c = centre.get(k);
      if (!c) continue;
      let x = 0;
      let y = 0;
      for (const m of list) {
        const p = this.pos.get(m.id);
        x += p?.x ?? 0;
        y += p?.y ?? 0;
      }
      c.x = x / list.length;
      c.y = y / list.length;
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
    const allClusters = lod === "cluster" || lod === "degraded";
    if (allClusters || this.model.collapsed.size > 0) {
      for (const [k, c] of centre) {
        if (!(allClusters || this.model.collapsed.has(k))) continue;
        this.clusterG.circle(c.x, c.y, clusterRadius(c.n)).fill({ color: 0x1f6feb, alpha: 0.12 }).stroke({ width: 2, color: 0x58a6ff, alpha: 0.6 });
      }
    }
    const showAgents = agentsVisible(lod);
    const labels = labelsShown(lod, this.model.agents.size - 1);
    const glowFloor = this.glowFloor();
    // What lies outside the canvas is not drawn (at high zoom most of the hive), 20 px margin.
    const m = 20 / this.zoom;
    const x0 = -ox / this.zoom - m;
    const x1 = (w - ox) / this.zoom + m;
    const y0 = -oy / this.zoom - m;
    const y1 = (h - oy) / this.zoom + m;
    let drawn = 0;
    this.dots.begin();
    for (const s of this.model.agents.values()) {
      const p = this.pos.get(s.id);
      if (!p) continue;
      const isQueen = s.role === "queen";
      p.shown = isQueen || (showAgents && !this.model.collapsed.has(s.cluster));
      if (!p.shown || p.x < x0 || p.x > x1 || p.y < y0 || p.y > y1) {
        this.dots.hide(s.id);
        continue;
      }
      drawn += 1;
      const sel = s.id === this.selected;
      const g = s.heat + 0.5 * s.error;
      this.dots.set(s.id, {
        x: p.x,
        y: p.y,
        scale: (isQueen ? 1.4 : 0.7 + 0.6 * s.heat) * (sel ? 1.1 : 1),
        tint: dotTint(s.role, s.error),
        // The glow is drawn only while it shows something (heat or error), and past GLOW_MAX
        // workers only on the warmest GLOW_MAX: a cold dot has none.
        glow: isQueen || (g > 0.05 && g >= glowFloor) ? Math.min(0.9, Math.max(0.1, g)) : 0,
        label: labels && !isQueen,
      });
    }
    this.dots.end();
    this.metrics.dotsDrawn = drawn;
    this.metrics.labelsDrawn = this.dots.labels;
    this.fxG.clear();
    for (const pu of this.model.pulses) {
      const q = this.pos.get(pu.agent);
      if (!q) continue;
      const k = pu.age / PULSE_LIFE;
      this.fxG.circle(q.x, q.y, 10 + 30 * k).stroke({ width: 2, color: ERROR_TINT, alpha: 1 - k });
    }
    for (const pl of this.model.pollen) {
      const q = this.pos.get(pl.agent);
      if (!q) continue;
      const dist = Math.hypot(q.x, q.y) || 1;
      const f = Math.min(1, (pl.age * pl.speed) / dist);
      this.fxG.circle(q.x * (1 - f), q.y * (1 - f), 2).fill({ color: 0xf2cc60, alpha: 1 - pl.age / POLLEN_LIFE });
    }
    if (this.selected) {
      const q = this.pos.get(this.selected);
      if (q?.shown) this.fxG.circle(q.x, q.y, 16).stroke({ width: 2, color: 0xffffff, alpha: 0.9 });
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
    for (const [id, p] of this.pos) {
      if (!p.shown) continue;
      const g = this.toScreen(p);
      out[id] = { x: r.left + g.x, y: r.top + g.y };
    }
    return out;
  }

  /** Canvas coordinates of a world position, by the last frame's transform. */
  private toScreen(p: { x: number; y: number }): { x: number; y: number } {
    return { x: this.world.position.x + p.x * this.zoom, y: this.world.position.y + p.y * this.zoom };
  }

  private click(cx: number, cy: number): void {
    const r = this.app.canvas.getBoundingClientRect();
    const x = cx - r.left;
    const y = cy - r.top;
    let best: string | null = null;
    let bestD = 14;
    for (const [id, p] of this.pos) {
      if (!p.shown || this.model.agents.get(id)?.role === "queen") continue;
      const g = this.toScreen(p);
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
    const { centre } = this.clusters();
    for (const [k, c] of centre) {
      if (Math.hypot(wx - c.x, wy - c.y) <= clusterRadius(c.n) && (this.lod() === "cluster" || this.model.collapsed.has(k))) {
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
