// The embedded console: each line goes to the server's read-only command subset; output is
// echoed as `coh> <line>` then the reply lines. Stop prints the stream-stopped marker.

import { api } from "../api.js";
import { byId, el } from "../dom.js";

export function consolePanel(): void {
  const input = byId<HTMLInputElement>("console-input");
  const out = byId("console-output");
  const add = (t: string, cls = "console-line"): void => {
    out.appendChild(el("div", t, cls));
    while (out.childElementCount > 500) out.firstElementChild?.remove();
    out.scrollTop = out.scrollHeight;
  };
  input.addEventListener("keydown", async (e) => {
    if (e.key !== "Enter") return;
    const line = input.value;
    input.value = "";
    add(`coh> ${line}`);
    const r = await api.console(line);
    if (r.ok) for (const l of r.value.lines) add(l);
    // Past swarmui.console_commands_per_s the server's detail is the console line itself.
    else if (r.status === 429 && r.detail) add(r.detail);
    else add(`ERR CONSOLE reason=unreachable detail=${r.error}`);
  });
  byId("console-clear").addEventListener("click", () => out.replaceChildren());
  byId("console-stop").addEventListener("click", () => add("... stream stopped ..."));
}
