// The read-only panels: Telemetry Rings (tail one worker), Fleet Map (/proc/ingest + workers),
// Namespace Browser (ls/cat inside the roots), GPU panel (/gpu info, leases, breadcrumbs).

import { api } from "../api.js";
import { byId, el, lines } from "../dom.js";

export function readPanels(roots: string[]): void {
  const ringId = byId<HTMLInputElement>("ring-worker");
  byId("ring-tail").addEventListener("click", async () => {
    const r = await api.telemetry(ringId.value.trim());
    lines(byId("ring-output"), r.ok ? r.value.lines : [`ERR TAIL ${r.error}`]);
  });
  byId("fleet-refresh").addEventListener("click", async () => {
    const r = await api.fleet();
    lines(byId("fleet-output"), r.ok ? r.value.lines : [`ERR FLEET ${r.error}`]);
  });
  const sel = byId<HTMLSelectElement>("ns-root");
  sel.replaceChildren(...roots.map((r) => el("option", r)));
  const list = byId("ns-list");
  const show = byId("ns-file");
  const path = byId("ns-path");
  const browse = async (p: string): Promise<void> => {
    path.textContent = p;
    const r = await api.ls(p);
    if (!r.ok) {
      // Not a directory (or refused): try it as a file.
      const c = await api.cat(p);
      lines(show, c.ok ? c.value.lines : [`ERR ${r.error}`]);
      return;
    }
    list.replaceChildren(
      ...(p !== sel.value ? [entry("..", p.replace(/\/[^/]+$/, "") || sel.value)] : []),
      ...r.value.entries.map((n) => entry(n, `${p}/${n}`)),
    );
  };
  const entry = (name: string, to: string): HTMLElement => {
    const li = el("li");
    const b = el("button", name, "link");
    b.type = "button";
    b.addEventListener("click", () => void browse(to));
    li.appendChild(b);
    return li;
  };
  sel.addEventListener("change", () => void browse(sel.value));
  byId("ns-refresh").addEventListener("click", () => void browse(path.textContent || sel.value));
  byId("gpu-refresh").addEventListener("click", async () => {
    const r = await api.gpu();
    const out = byId("gpu-output");
    if (!r.ok) {
      lines(out, [`ERR GPU ${r.error}`]);
      return;
    }
    const ls: string[] = [`bridge ${r.value.bridge ?? "(no /gpu/bridge)"}`];
    for (const g of r.value.gpus) {
      ls.push(`${g.id}: ${g.info.replace(/\s+/g, " ")}`);
      for (const l of g.lease) ls.push(`  lease ${l}`);
      for (const l of g.status) ls.push(`  status ${l}`);
    }
    if (!r.value.gpus.length) ls.push("no GPUs published (gpu-bridge-host --publish)");
    lines(out, ls);
  });
}
