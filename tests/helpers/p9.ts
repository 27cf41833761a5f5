// A Secure9P session to a Node-hosted guest's console port, attached with a freshly minted ticket.

import { loopbackPipe } from "../../host/console/transport.js";
import { MANIFEST } from "../../host/generated/manifest.js";
import { P9Client } from "../../host/p9/client.js";
import type { Guest } from "../../host/runtime/guest.js";
import { mintTicket } from "../../host/ticket/index.js";
import { CONSOLE_PORT } from "./console.js";

export async function nineSession(
  guest: Guest,
  wallMs: bigint,
  role: keyof typeof MANIFEST.tickets = "queen",
  subject?: string,
): Promise<{ c: P9Client; root: number }> {
  const end = guest.loopback.connect(CONSOLE_PORT);
  if (!end) throw new Error("nothing listens on the console port");
  const c = new P9Client(loopbackPipe(end));
  await c.negotiate(8192);
  const t = mintTicket({ role, subject, secret: MANIFEST.tickets[role], nowMs: wallMs });
  if (!t.ok) throw new Error(t.error.message);
  const { fid } = await c.attach(role, t.value.token);
  return { c, root: fid };
}
