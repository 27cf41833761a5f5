// Session bar: role, subject, ticket, Connect, Offline/Online, Mint ticket, snapshot key with
// Save/Start/Stop. The ticket field is the only credential the page holds (one the operator typed
// or minted), never the console token.

import { api } from "../api.js";
import { byId } from "../dom.js";

export interface SessionHooks {
  reload: () => Promise<void>;
  start: () => void;
  stop: () => void;
  note: (text: string) => void;
}

export function sessionBar(h: SessionHooks): void {
  const role = byId<HTMLSelectElement>("role");
  const subject = byId<HTMLInputElement>("subject");
  const ticket = byId<HTMLInputElement>("ticket");
  const mode = byId<HTMLButtonElement>("mode-toggle");
  const mintStatus = byId("mint-status");
  const key = byId<HTMLInputElement>("snapshot-key");
  byId("connect").addEventListener("click", async () => {
    const r = await api.connect(role.value, ticket.value || undefined);
    h.note(r.ok ? `Connected as ${r.value.role}` : `Connect failed: ${r.error}`);
    if (r.ok) await h.reload();
  });
  mode.addEventListener("click", async () => {
    const goOffline = mode.dataset.mode !== "offline";
    const r = await api.mode(goOffline, key.value || "demo");
    if (!r.ok) {
      h.note(`${goOffline ? "Offline" : "Online"} failed: ${r.error}`);
      return;
    }
    setMode(r.value.mode);
    await h.reload();
  });
  byId("mint").addEventListener("click", async () => {
    mintStatus.textContent = "Minting...";
    const r = await api.mint(role.value, subject.value || undefined);
    if (r.ok) {
      ticket.value = r.value.ticket;
      mintStatus.textContent = "Ticket minted";
    } else mintStatus.textContent = `Mint failed: ${r.error}`;
  });
  byId("snapshot-save").addEventListener("click", async () => {
    const r = await api.snapshot(key.value || "demo");
    h.note(r.ok ? `Snapshot hive:${key.value || "demo"} saved (${r.value.events} events, ${r.value.bytes} bytes)` : `Snapshot failed: ${r.error}`);
  });
  byId("hive-start").addEventListener("click", () => h.start());
  byId("hive-stop").addEventListener("click", () => h.stop());
}

export function setMode(m: string): void {
  const mode = byId<HTMLButtonElement>("mode-toggle");
  mode.dataset.mode = m;
  mode.textContent = m === "offline" ? "Online mode" : "Offline mode";
  byId("mode-label").textContent = m.toUpperCase();
}
