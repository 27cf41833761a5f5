// Ticket minting for swarmui (as cohsh --mint-ticket): the secret from --ticket-secret /
// SWARMUI_TICKET_SECRET (then COHSH_*), else a --ticket-config manifest's [[tickets]], else the
// generated manifest's. Returns a Result; the ticket is printed or returned, never logged.

import { readFileSync } from "node:fs";
import { parse } from "smol-toml";
import { MANIFEST } from "../generated/manifest.js";
import { mintTicket, parseRole } from "../sdk/ticket/index.js";

export type Minted = { ok: true; ticket: string; role: string } | { ok: false; error: string };

function secretFor(role: string, secret?: string, config?: string): { ok: true; secret: string } | { ok: false; error: string } {
  if (secret !== undefined) return secret ? { ok: true, secret } : { ok: false, error: "ticket secret is empty" };
  if (config) {
    let t: { tickets?: Array<{ role?: string; secret?: string }> };
    try {
      t = parse(readFileSync(config, "utf8")) as typeof t;
    } catch (e) {
      return { ok: false, error: `${config}: ${e instanceof Error ? e.message : String(e)}` };
    }
    const hit = (t.tickets ?? []).find((x) => x.role === role);
    if (!hit?.secret) return { ok: false, error: `${config}: no [[tickets]] entry for role ${role}` };
    return { ok: true, secret: hit.secret };
  }
  return { ok: true, secret: (MANIFEST.tickets as Record<string, string>)[role] };
}

export function mint(roleText: string, subject: string | undefined, secret?: string, config?: string): Minted {
  const role = parseRole(roleText);
  if (role === null) return { ok: false, error: `unknown role '${roleText}' (expected one of ${Object.keys(MANIFEST.tickets).join(", ")})` };
  const s = secretFor(role, secret, config);
  if (!s.ok) return s;
  const t = mintTicket({ role, subject: subject || undefined, secret: s.secret });
  if (!t.ok) return { ok: false, error: t.error.message + (t.error.kind === "subject-required" ? " (--ticket-subject)" : "") };
  return { ok: true, ticket: t.value.token, role };
}
