// Console clients against a Node-hosted guest on the loopback network.

import { ConsoleClient } from "../../host/sdk/console/client.js";
import { loopbackPipe } from "../../host/sdk/connect.js";
import { tcpPipe } from "../../host/sdk/pipe.js";
import { MANIFEST } from "../../host/generated/manifest.js";
import type { Guest } from "../../host/runtime/guest.js";

export const CONSOLE_PORT = 31337;

export function dial(guest: Guest): ConsoleClient {
  const end = guest.loopback.connect(CONSOLE_PORT);
  if (!end) throw new Error("nothing listens on the console port");
  return new ConsoleClient(loopbackPipe(end));
}

/** Raw access for framing tests: write arbitrary bytes, read frames back. */
export function dialRaw(guest: Guest): { client: ConsoleClient; raw: (b: Uint8Array) => void; end: () => void } {
  const end = guest.loopback.connect(CONSOLE_PORT);
  if (!end) throw new Error("nothing listens on the console port");
  const client = new ConsoleClient(loopbackPipe(end));
  return { client, raw: (b) => end.write(b), end: () => end.end() };
}

export async function authed(guest: Guest, token = "changeme"): Promise<ConsoleClient> {
  const c = dial(guest);
  const r = await c.request("AUTH " + token);
  if (r.ack !== "OK AUTH") throw new Error(`AUTH failed: ${r.ack}`);
  return c;
}

export async function queen(guest: Guest): Promise<ConsoleClient> {
  const c = await authed(guest);
  const r = await c.request("ATTACH queen");
  if (r.ack !== "OK ATTACH role=queen") throw new Error(`ATTACH failed: ${r.ack}`);
  return c;
}

/** A queen console session over real TCP (a QEMU guest's forwarded port): AUTH with the manifest's token, ATTACH queen. */
export async function queenAt(port: number, host = "127.0.0.1"): Promise<ConsoleClient> {
  const c = new ConsoleClient(await tcpPipe(host, port));
  const a = await c.request("AUTH " + MANIFEST.console.auth_token);
  if (a.ack !== "OK AUTH") throw new Error(`AUTH failed: ${a.ack}`);
  const r = await c.request("ATTACH queen");
  if (r.ack !== "OK ATTACH role=queen") throw new Error(`ATTACH failed: ${r.ack}`);
  return c;
}

/** Lets deferred loopback deliveries run. */
export function settle(): Promise<void> {
  return new Promise((res) => setImmediate(() => setImmediate(res)));
}

export async function waitClosed(c: ConsoleClient, timeoutMs = 2000): Promise<string> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => {
    t = setTimeout(() => rej(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([c.whenClosed(), timeout]);
  } finally {
    clearTimeout(t);
  }
}

export function frameOfLength(declared: number, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  const b = Buffer.alloc(4 + body.length);
  b.writeUInt32LE(declared >>> 0, 0);
  Buffer.from(body).copy(b, 4);
  return b;
}
