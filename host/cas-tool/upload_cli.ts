// The `upload` command's wiring: secrets by reference, the SDK's open(), error → exit code.

import { readFileSync } from "node:fs";
import { MANIFEST } from "../generated/manifest.js";
import { RestUnavailableError } from "../sdk/connect.js";
import { REST_TOKEN_ENV, restToken } from "../sdk/hive.js";
import { NsClosed, NsRefusal } from "../sdk/ns.js";
import { open, type ProtocolName, type TransportName } from "../sdk/open.js";
import { ConnectError } from "../sdk/pipe.js";
import { loadBundle } from "./bundle.js";
import { CasToolError, EXIT_REFUSED, EXIT_TRANSPORT, EXIT_USAGE } from "./errors.js";
import { DEFAULT_LIMITS } from "./limits.js";
import { uploadBundle, type UploadResult } from "./upload.js";

/** A secret given as `env:NAME`, `file:/abs/path` or (for the original's `--auth-token changeme`) literally. */
export function secret(ref: string | undefined, what: string): string | undefined {
  if (ref === undefined) return undefined;
  if (ref.startsWith("env:")) {
    const v = process.env[ref.slice(4)];
    if (v === undefined) throw new CasToolError(`${what} ${ref}: environment variable ${ref.slice(4)} is not set`, EXIT_USAGE);
    return v.trim();
  }
  if (ref.startsWith("file:")) {
    try {
      return readFileSync(ref.slice(5), "utf8").trim();
    } catch (e) {
      throw new CasToolError(`${what} ${ref}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, EXIT_USAGE);
    }
  }
  return ref;
}

export interface UploadArgs {
  bundle: string;
  transport: TransportName;
  protocol: ProtocolName;
  host: string;
  port: number;
  authToken?: string;
  ticket?: string;
  restUrl?: string;
  restAuthToken?: string;
  recordBytes?: number;
  timeoutMs?: number;
  onProgress?: (sent: number, total: number) => void;
}

export async function uploadCommand(a: UploadArgs): Promise<UploadResult> {
  // Every chunk's length and hash are checked before any I/O (the original's order).
  const b = loadBundle(a.bundle, DEFAULT_LIMITS);
  const transport: TransportName = a.restUrl ? "rest" : a.transport;
  const ticket = secret(a.ticket, "--ticket");
  if (transport !== "rest" && a.protocol === "9p" && !ticket) {
    throw new CasToolError("--protocol 9p needs --ticket (the queen attaches with a ticket on Secure9P; mint one with `cohsh --mint-ticket --role queen`)", EXIT_USAGE);
  }
  let opened;
  try {
    opened = await open({
      transport,
      protocol: a.protocol,
      host: a.host,
      port: a.port,
      authToken: secret(a.authToken, "--auth-token") ?? process.env.COH_AUTH_TOKEN ?? MANIFEST.console.auth_token,
      restUrl: a.restUrl,
      // The seed's `cas-tool upload --rest-url …` names no token: the SDK's env fallbacks apply.
      restToken: secret(a.restAuthToken, "--rest-auth-token") ?? restToken(undefined),
      tool: "cas-tool",
      // The manifest's last record waits for an Ed25519 verify and the payload hash in the guest:
      // far longer than a console round trip on an emulated or loaded machine.
      timeoutMs: a.timeoutMs ?? 30_000,
    });
  } catch (e) {
    if (e instanceof RestUnavailableError) throw new CasToolError(`--rest-url: ${e.message}`, EXIT_USAGE);
    throw transportError(e);
  }
  try {
    await opened.ns.attach("queen", ticket);
    const maxRecord = a.recordBytes ?? (a.protocol === "9p" ? MANIFEST.telemetry_ingest.max_record_bytes : MANIFEST.console.echo_max);
    return await uploadBundle(opened.ns, b, { maxRecord, onProgress: a.onProgress });
  } catch (e) {
    if (e instanceof CasToolError) throw e;
    if (e instanceof NsRefusal) {
      // The gateway's 401 names the header; the user of this tool needs the flag or the variable.
      const hint = transport === "rest" && e.httpStatus === 401 ? ` (pass --rest-auth-token env:NAME|file:/abs/path, or set ${REST_TOKEN_ENV.join(", ")})` : "";
      throw new CasToolError(`refused: ${e.message}${e.line ? ` — ${e.line}` : ""}${hint}`, EXIT_REFUSED);
    }
    throw transportError(e);
  } finally {
    await opened.close().catch(() => undefined);
  }
}

function transportError(e: unknown): CasToolError {
  if (e instanceof NsClosed || e instanceof ConnectError) return new CasToolError(`connection: ${e.message} (re-run to resume)`, EXIT_TRANSPORT);
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === "string") return new CasToolError(`connection: ${err.code} ${err.message} (re-run to resume)`, EXIT_TRANSPORT);
  return new CasToolError(e instanceof Error ? e.message : String(e), 1);
}
