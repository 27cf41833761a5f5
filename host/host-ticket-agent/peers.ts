// Peer gateways for the relay: `--relay-peer HIVE=URL` and `--relay-peer-token HIVE=REF` (a secret
// reference, never a literal in logs), one queen-attached REST client per peer, dialled on first
// use and again after a failure (a peer that was down is retried next pass).

import { MANIFEST } from "../generated/manifest.js";
import { restToken, secretRef } from "../sdk/hive.js";
import type { NamespaceClient } from "../sdk/ns.js";
import { RestNamespaceClient } from "../sdk/rest/client.js";

export class RelayConfigError extends Error {
  override readonly name = "RelayConfigError";
}

function pairs(list: string[], flag: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const p of list) {
    const i = p.indexOf("=");
    if (i <= 0) throw new RelayConfigError(`${flag} ${p}: give HIVE=VALUE`);
    m.set(p.slice(0, i), p.slice(i + 1));
  }
  return m;
}

export function peerDialer(peerFlags: string[], tokenFlags: string[]): { dial: (hive: string) => Promise<NamespaceClient | null>; close: () => Promise<void> } {
  const urls = pairs(peerFlags, "--relay-peer");
  const tokens = pairs(tokenFlags, "--relay-peer-token");
  for (const h of tokens.keys()) if (!urls.has(h)) throw new RelayConfigError(`--relay-peer-token ${h}=…: no --relay-peer ${h}=URL`);
  const live = new Map<string, RestNamespaceClient>();
  return {
    async dial(hive) {
      const url = urls.get(hive);
      if (!url) return null;
      const have = live.get(hive);
      if (have?.role) return have;
      const ref = tokens.get(hive);
      const token = ref !== undefined ? secretRef(ref, `--relay-peer-token ${hive}`) : restToken(undefined);
      const c = new RestNamespaceClient({ url, token: token ?? "", timeoutMs: MANIFEST.federation.peer_timeout_ms });
      await c.attach("queen");
      live.set(hive, c);
      return c;
    },
    async close() {
      for (const c of live.values()) await c.close().catch(() => undefined);
      live.clear();
    },
  };
}
