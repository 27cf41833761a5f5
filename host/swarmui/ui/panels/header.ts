// Status header (reference §5.2): hive badge, ROOT OK / CUT <reason>, sessions, pressure with
// backlog and dropped, and the busy/quota/cut/policy chips (each chip says its count in words,
// so colour is not the only signal).

import type { PollBatch } from "../../shared/types.js";
import { byId } from "../dom.js";

export class Header {
  private readonly status = byId("hive-status");
  private readonly root = byId("root-badge");
  private readonly sessions = byId("sessions");
  private readonly pressure = byId("pressure");
  private readonly chips = byId("pressure-chips");

  setStatus(text: string): void {
    if (this.status.textContent !== text) this.status.textContent = text;
  }

  update(b: PollBatch, mode: string): void {
    if (b.root) {
      const cut = !b.root.reachable;
      this.root.textContent = cut ? `CUT ${b.root.cut_reason ?? "unknown"}` : "ROOT OK";
      this.root.dataset.state = cut ? "cut" : "ok";
    } else if (mode !== "live") {
      this.root.textContent = "ROOT ?";
      this.root.dataset.state = "unknown";
    }
    if (b.sessions) this.sessions.textContent = `Sessions ${b.sessions.active} · draining ${b.sessions.draining}`;
    this.pressure.textContent = `Pressure ${Math.round(b.pressure * 100)}% · backlog ${b.backlog} · dropped ${b.dropped}`;
    if (b.pressure_counters) {
      const c = b.pressure_counters;
      this.chips.replaceChildren(
        ...(["busy", "quota", "cut", "policy"] as const).map((k) => {
          const s = document.createElement("span");
          s.className = "chip";
          s.dataset.active = c[k] > 0 ? "yes" : "no";
          s.textContent = `${k} ${c[k]}`;
          s.title = `${k} refusals: ${c[k]}`;
          return s;
        }),
      );
    }
  }
}
