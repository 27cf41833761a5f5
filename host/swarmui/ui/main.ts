// SwarmUI in the browser: bootstrap, the Live Hive view, the panels, and the batch stream
// (server-sent events; Stop closes it). window.__SWARMUI_HIVE_DEBUG exposes the view to tests.

import "./style.css";
import { api } from "./api.js";
import { byId, el, lines } from "./dom.js";
import { HiveView } from "./hive/view.js";
import { consolePanel } from "./panels/console.js";
import { Header } from "./panels/header.js";
import { readPanels } from "./panels/reads.js";
import { sessionBar, setMode } from "./panels/session.js";
import { updateTables } from "./panels/tables.js";
import type { Bootstrap, PollBatch } from "../shared/types.js";

declare global {
  interface Window {
    __SWARMUI_HIVE_DEBUG?: unknown;
  }
}

const header = new Header();
const note = (t: string): void => {
  byId("notice").textContent = t;
};

async function main(): Promise<void> {
  const boot = await api.bootstrap();
  if (!boot.ok) {
    header.setStatus(`Hive failed (${boot.error})`);
    return;
  }
  let b: Bootstrap = boot.value;
  setMode(b.mode);
  byId("session-info").textContent = `${b.session.role} over ${b.session.transport}`;
  const asked = new URLSearchParams(location.search).get("renderer");
  const renderer = asked === "canvas" || asked === "webgl" ? asked : undefined;
  const detailTitle = byId("hive-detail-title");
  const detailBody = byId("hive-detail");
  const showDetail = (): void => {
    const id = view.selection;
    if (!id) {
      detailTitle.textContent = "Select worker";
      detailBody.replaceChildren();
      return;
    }
    const s = view.model.agents.get(id);
    detailTitle.textContent = s ? `${id} · ${s.role} · #${s.label}` : id;
    lines(detailBody, view.model.linesOf(id, b.hive.detail_lines));
  };
  const view = new HiveView({
    host: byId("hive-canvas"),
    cfg: b.hive,
    renderer,
    onStatus: (t) => header.setStatus(t),
    onSelect: (id) => {
      showDetail();
      if (id) void api.detail(id).then((r) => {
        if (r.ok && view.selection === id && r.value.lines.length) {
          view.model.seedLines(id, r.value.lines);
          showDetail();
        }
      });
    },
  });
  await view.init();
  view.setAgents(b.agents);
  header.setStatus("Hive idle");
  const overlays = new Map<string, string[]>();
  let gotEvents = false;
  const onBatch = (batch: PollBatch): void => {
    view.ingest(batch);
    header.update(batch, b.mode);
    updateTables(batch);
    if (batch.events.length) gotEvents = true;
    for (const o of batch.overlays) {
      overlays.delete(o.agent);
      overlays.set(o.agent, o.lines);
    }
    while (overlays.size > 8) overlays.delete(overlays.keys().next().value as string);
    const list = byId("hive-overlays");
    if (!overlays.size) lines(list, [gotEvents ? "" : "No telemetry yet"]);
    else list.replaceChildren(...[...overlays].reverse().map(([a, ls]) => el("li", `${a}: ${ls.join(" | ")}`)));
    if (view.selection && batch.events.some((e) => e.agent === view.selection)) showDetail();
  };
  let es: EventSource | null = null;
  const start = (): void => {
    if (es) return;
    view.restart();
    es = api.events(onBatch, () => note("live stream interrupted; the browser retries"));
  };
  const stop = (): void => {
    es?.close();
    es = null;
    header.setStatus("Hive stopped");
  };
  sessionBar({
    note,
    start: () => {
      if (b.replay) void api.reset();
      start();
    },
    stop,
    reload: async () => {
      stop();
      const r = await api.bootstrap();
      if (r.ok) {
        b = r.value;
        setMode(b.mode);
        byId("session-info").textContent = `${b.session.role} over ${b.session.transport}`;
        view.setAgents(b.agents);
        start();
      }
    },
  });
  byId("hive-reset-view").addEventListener("click", () => view.resetView());
  consolePanel();
  readPanels(b.namespace_roots);
  window.__SWARMUI_HIVE_DEBUG = {
    getAgentScreenPositions: () => view.screenPositions(),
    getAgentStates: () => Object.fromEntries([...view.model.agents.values()].map((s) => [s.id, { role: s.role, heat: s.heat, error: s.error, events: s.events, cluster: s.cluster, namespace: s.namespace }])),
    getAgentLabels: () => Object.fromEntries([...view.model.agents.values()].filter((s) => s.role !== "queen").map((s) => [s.id, s.label])),
    getMetrics: () => ({ ...view.metrics, pending: view.model.pendingCount, agents: view.model.agents.size, consumed: view.model.consumed }),
    selectAgent: (id: string) => view.select(id),
  };
  start();
}

void main();
