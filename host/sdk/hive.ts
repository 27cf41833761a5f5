// What host tools that act as the queen share (host-sidecar-bridge, host-ticket-agent): secrets
// by reference and one call from their connection flags to an attached NamespaceClient — TCP
// (console or Secure9P), hive-gateway REST, or an in-process guest (--mock).

import { readFileSync } from "node:fs";
import { MANIFEST } from "../generated/manifest.js";
import { open, type Opened, type ProtocolName } from "./open.js";

/** A bad flag value: the tool prints the message and exits 2. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** A secret given as `env:NAME`, `file:/abs/path` or literally (the original's `changeme`). */
export function secretRef(ref: string | undefined, what: string): string | undefined {
  if (ref === undefined || ref === "") return undefined;
  if (ref.startsWith("env:")) {
    const v = process.env[ref.slice(4)];
    if (v === undefined) throw new UsageError(`${what} ${ref}: environment variable ${ref.slice(4)} is not set`);
    return v.trim();
  }
  if (ref.startsWith("file:")) {
    const p = ref.slice(5);
    if (!p.startsWith("/")) throw new UsageError(`${what} ${ref}: a file reference must be an absolute path`);
    try {
      return readFileSync(p, "utf8").trim();
    } catch (e) {
      throw new UsageError(`${what} ${ref}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
    }
  }
  return ref;
}

export interface HiveFlags {
  mock?: boolean;
  tcpHost?: string;
  tcpPort?: number;
  /** Console AUTH token (a reference or literal); default env COH_AUTH_TOKEN, then the manifest's. */
  authToken?: string;
  protocol?: ProtocolName;
  /** A queen ticket (reference or literal): Secure9P needs one. */
  ticket?: string;
  restUrl?: string;
  /** Gateway request token; env HIVE_GATEWAY_REQUEST_AUTH_TOKEN, COHSH_REST_AUTH_TOKEN, COH_REST_AUTH_TOKEN. */
  restAuthToken?: string;
  tool: string;
  timeoutMs?: number;
  log?: (line: string) => void;
}

/** Where every tool looks for the gateway request token when no --rest-auth-token is given, in order. */
export const REST_TOKEN_ENV = ["HIVE_GATEWAY_REQUEST_AUTH_TOKEN", "COHSH_REST_AUTH_TOKEN", "COH_REST_AUTH_TOKEN"] as const;

/** The gateway request token: the reference or literal given, else the first of REST_TOKEN_ENV set. */
export function restToken(ref: string | undefined): string | undefined {
  return secretRef(ref, "--rest-auth-token") ?? REST_TOKEN_ENV.map((n) => process.env[n]).find((v) => v !== undefined && v !== "");
}

/** Opens the hive the flags name and attaches as the queen. */
export async function openQueen(f: HiveFlags): Promise<Opened> {
  if (f.mock && (f.restUrl || f.tcpHost)) throw new UsageError("--mock runs an in-process guest; do not mix it with --tcp-host or --rest-url");
  const ticket = secretRef(f.ticket, "--ticket");
  let o: Opened;
  if (f.restUrl) {
    o = await open({ transport: "rest", restUrl: f.restUrl, restToken: restToken(f.restAuthToken), tool: f.tool, log: f.log });
  } else {
    const protocol = f.protocol ?? "console";
    if (protocol === "9p" && !ticket) throw new UsageError("--protocol 9p needs --ticket (the queen attaches with a ticket on Secure9P; mint one with `cohsh --mint-ticket --role queen`)");
    o = await open({
      transport: f.mock ? "mock" : "tcp",
      protocol,
      host: f.tcpHost ?? "127.0.0.1",
      port: f.tcpPort ?? MANIFEST.network.console_port,
      authToken: secretRef(f.authToken, "--auth-token") ?? process.env.COH_AUTH_TOKEN ?? MANIFEST.console.auth_token,
      tool: f.tool,
      log: f.log,
      timeoutMs: f.timeoutMs,
      heartbeatMs: 0,
    });
  }
  try {
    await o.ns.attach("queen", ticket);
  } catch (e) {
    await o.close().catch(() => undefined);
    throw e;
  }
  return o;
}
