// `cohsh --mint-ticket --role R [--ticket-subject S] [--ticket-secret X | --ticket-config FILE]`
// (docs/TICKETS.md). Prints the token on stdout. The secret comes from the first of:
//   --ticket-secret, COHSH_TICKET_SECRET, [[tickets]] in --ticket-config,
//   [[tickets]] in the file named by COHSH_TICKET_CONFIG, the built-in manifest's [[tickets]].
// Exit status: 0 minted, 2 bad arguments, 1 a secret source that cannot be used.

import { readFileSync } from "node:fs";
import { parse, type TomlValue } from "smol-toml";
import { MANIFEST } from "../generated/manifest.js";
import { mintTicket, parseRole, type Result, type TicketRole } from "../sdk/ticket/index.js";

export interface MintArgv {
  role?: string;
  ticketSubject?: string;
  ticketSecret?: string;
  ticketConfig?: string;
}

export interface MintCliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export type SecretSource = "--ticket-secret" | "COHSH_TICKET_SECRET" | "--ticket-config" | "COHSH_TICKET_CONFIG" | "manifest";

export interface ResolvedSecret {
  secret: string;
  source: SecretSource;
}

function isTable(v: TomlValue | undefined): v is { [key: string]: TomlValue } {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

/** The secret for `role` from the `[[tickets]]` array of a manifest-style TOML file. */
export function secretFromConfig(file: string, role: TicketRole): Result<string, string> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    return { ok: false, error: `${file}: cannot read: ${e instanceof Error ? e.message : String(e)}` };
  }
  let doc: { [key: string]: TomlValue };
  try {
    doc = parse(text);
  } catch (e) {
    return { ok: false, error: `${file}: invalid TOML: ${e instanceof Error ? e.message.split("\n")[0] : String(e)}` };
  }
  const tickets = doc.tickets;
  if (tickets === undefined) return { ok: false, error: `${file}: no [[tickets]] entries` };
  if (!Array.isArray(tickets)) return { ok: false, error: `${file}: tickets must be an array of tables ([[tickets]])` };
  for (const [i, entry] of tickets.entries()) {
    if (!isTable(entry) || typeof entry.role !== "string" || typeof entry.secret !== "string") {
      return { ok: false, error: `${file}: tickets[${i}] needs string fields role and secret` };
    }
    if (parseRole(entry.role) === role) {
      if (entry.secret.length === 0) return { ok: false, error: `${file}: the secret for ${role} is empty` };
      return { ok: true, value: entry.secret };
    }
  }
  return { ok: false, error: `${file}: no [[tickets]] entry for role ${role}` };
}

/** Applies the documented source order; a named config file that fails is an error, not a fall-through. */
export function resolveTicketSecret(role: TicketRole, argv: MintArgv, env: NodeJS.ProcessEnv): Result<ResolvedSecret, string> {
  if (argv.ticketSecret !== undefined) {
    if (argv.ticketSecret.length === 0) return { ok: false, error: "--ticket-secret is empty" };
    return { ok: true, value: { secret: argv.ticketSecret, source: "--ticket-secret" } };
  }
  const envSecret = env.COHSH_TICKET_SECRET;
  if (envSecret !== undefined && envSecret.length > 0) return { ok: true, value: { secret: envSecret, source: "COHSH_TICKET_SECRET" } };
  const configs: [string | undefined, SecretSource][] = [
    [argv.ticketConfig, "--ticket-config"],
    [env.COHSH_TICKET_CONFIG !== "" ? env.COHSH_TICKET_CONFIG : undefined, "COHSH_TICKET_CONFIG"],
  ];
  for (const [file, source] of configs) {
    if (file === undefined) continue;
    const s = secretFromConfig(file, role);
    if (!s.ok) return s;
    return { ok: true, value: { secret: s.value, source } };
  }
  return { ok: true, value: { secret: MANIFEST.tickets[role], source: "manifest" } };
}

/** The whole of `cohsh --mint-ticket`: never throws, never touches the process's streams. */
export function mintTicketCli(argv: MintArgv, env: NodeJS.ProcessEnv = process.env, nowMs?: bigint): MintCliResult {
  const fail = (code: number, msg: string): MintCliResult => ({ code, stdout: "", stderr: `cohsh: ${msg}\n` });
  if (argv.role === undefined || argv.role === "") return fail(2, "--mint-ticket needs --role");
  const role = parseRole(argv.role);
  if (role === null) return fail(2, `unknown role '${argv.role}' (expected one of ${Object.keys(MANIFEST.tickets).join(", ")})`);
  const secret = resolveTicketSecret(role, argv, env);
  if (!secret.ok) return fail(argv.ticketSecret === "" ? 2 : 1, secret.error);
  const minted = mintTicket({ role, subject: argv.ticketSubject, secret: secret.value.secret, nowMs });
  if (!minted.ok) {
    const hint = minted.error.kind === "subject-required" ? " (--ticket-subject)" : "";
    return fail(2, minted.error.message + hint);
  }
  return { code: 0, stdout: minted.value.token + "\n", stderr: "" };
}
