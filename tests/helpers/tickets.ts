// A ticket for `role` signed with the manifest's secret for it, as `cohsh --mint-ticket` mints them.

import { MANIFEST } from "../../host/generated/manifest.js";
import { mintTicket } from "../../host/sdk/ticket/index.js";

export type TicketRole = keyof typeof MANIFEST.tickets;

export function manifestTicket(role: TicketRole, subject?: string, nowMs?: bigint): string {
  const r = mintTicket({ role, subject, secret: MANIFEST.tickets[role], nowMs });
  if (!r.ok) throw new Error(r.error.message);
  return r.value.token;
}
