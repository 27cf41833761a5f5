// A Secure9P session to a Node-hosted guest's console port, attached with a freshly minted ticket.

import { loopbackPipe } from "../../host/sdk/connect.js";
import { MANIFEST } from "../../host/generated/manifest.js";
import { P9Client } from "../../host/sdk/p9/client.js";
import type { Guest } from "../../host/runtime/guest.js";
import { CONSOLE_PORT } from "./console.js";
import { manifestTicket } from "./tickets.js";

export async function nineSession(
  guest: Guest,
  wallMs: bigint,
  role: keyof typeof MANIFEST.tickets = "queen",
  subject?: string,
  ticket?: string, // a ticket of the caller's making (default: one minted with the role's default budget)
): Promise<{ c: P9Client; root: number }> {
  const end = guest.loopback.connect(CONSOLE_PORT);
  if (!end) throw new Error("nothing listens on the console port");
  const c = new P9Client(loopbackPipe(end));
  await c.negotiate(8192);
  const { fid } = await c.attach(role, ticket ?? manifestTicket(role, subject, wallMs));
  return { c, root: fid };
}
