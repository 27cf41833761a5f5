// What every coh subcommand shares: the global flags turned into a connection (TCP console,
// hive-gateway REST, or --mock = the core in this process), the hash-pinned policy whose bounds
// the subcommands obey, and the output: audit lines (`OK LS path=…`) and result lines on stdout,
// or one JSON document with --json; a failure ends with `ERR <VERB> reason=<text>` and exit 1.

import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { COH_POLICY_SHA256, MANIFEST, MANIFEST_SHA256 } from "../generated/manifest.js";
import type { NamespaceClient } from "../sdk/ns.js";
import { open, type Opened } from "../sdk/open.js";
import { loadPinnedToml } from "../sdk/policy.js";
import { resolveSecret, secretFromEnv } from "../sdk/secret.js";

export const DEFAULT_COH_POLICY = resolve(fileURLToPath(import.meta.url), "../../../out/coh_policy.toml");
export const AUTH_ENV = ["COH_AUTH_TOKEN", "COHSH_AUTH_TOKEN"] as const;
export const REST_URL_ENV = ["COH_REST_URL", "HIVE_GATEWAY_URL"] as const;
export const REST_AUTH_ENV = ["COH_REST_AUTH_TOKEN", "COHSH_REST_AUTH_TOKEN", "HIVE_GATEWAY_REQUEST_AUTH_TOKEN"] as const;

/** A failure of one subcommand: printed as `ERR <verb> reason=<message>`. */
export class CohError extends Error {
  override readonly name = "CohError";
}

export interface GlobalArgs {
  role: string;
  ticket?: string;
  policy?: string;
  host: string;
  port: number;
  "rest-url"?: string;
  "rest-auth-token"?: string;
  "auth-token"?: string;
  mock: boolean;
  json: boolean;
}

export type Policy = Record<string, Record<string, unknown>>;

/** `[section] key` of the pinned policy as a number (the policy is generated, so absence is a build error). */
export function bound(p: Policy, section: string, key: string): number {
  const v = p[section]?.[key];
  if (typeof v !== "number" && typeof v !== "bigint") throw new CohError(`policy [${section}] ${key} is missing`);
  return Number(v);
}

export function policyString(p: Policy, section: string, key: string): string {
  const v = p[section]?.[key];
  if (typeof v !== "string") throw new CohError(`policy [${section}] ${key} is missing`);
  return v;
}

/** Lines of one run: printed as they come (text) or gathered into the --json document. */
export class Out {
  readonly lines: string[] = [];
  constructor(private readonly json: boolean) {}

  line(l: string): void {
    this.lines.push(l);
    if (!this.json) process.stdout.write(l + "\n");
  }
}

export class Ctx {
  private opened: Opened | null = null;
  readonly policy: Policy;
  readonly policyFile: string;
  readonly out: Out;

  /** Why the policy did not load (only with policyOptional: coh doctor reports it as a check). */
  readonly policyError?: string;

  constructor(readonly args: GlobalArgs, readonly verb: string, opts: { policyOptional?: boolean } = {}) {
    this.out = new Out(args.json);
    this.policyFile = args.policy ?? process.env.COH_POLICY ?? DEFAULT_COH_POLICY;
    const pinned = loadPinnedToml(this.policyFile, COH_POLICY_SHA256, "regenerate it (npm run gen); --policy or COH_POLICY chooses another file");
    if (!pinned.ok && !opts.policyOptional) throw new CohError(pinned.error);
    this.policy = pinned.ok ? (pinned.value.doc as Policy) : {};
    if (!pinned.ok) this.policyError = pinned.error;
  }

  get manifestSha256(): string {
    return MANIFEST_SHA256;
  }

  /** The namespace, connected and attached on first use. */
  async ns(): Promise<NamespaceClient> {
    if (this.opened) return this.opened.ns;
    const a = this.args;
    const ticket = resolveSecret("--ticket", a.ticket);
    const restUrl = a["rest-url"] ?? REST_URL_ENV.map((n) => process.env[n]).find((v) => v);
    let o: Opened;
    if (a.mock) {
      o = await open({ transport: "mock", tool: "coh" });
    } else if (restUrl) {
      if (a.role !== "queen") throw new CohError("rest transport supports queen role only");
      const token = a["rest-auth-token"] !== undefined ? resolveSecret("--rest-auth-token", a["rest-auth-token"]) : secretFromEnv("--rest-auth-token", REST_AUTH_ENV);
      o = await open({ transport: "rest", restUrl, restToken: token, tool: "coh" });
    } else {
      const authToken = a["auth-token"] !== undefined ? resolveSecret("--auth-token", a["auth-token"]) : secretFromEnv("--auth-token", AUTH_ENV);
      o = await open({ transport: "tcp", host: a.host, port: a.port, authToken: authToken ?? MANIFEST.console.auth_token, tool: "coh" });
    }
    try {
      await o.ns.attach(a.role, ticket);
    } catch (e) {
      await o.close().catch(() => undefined);
      throw e;
    }
    this.opened = o;
    return o.ns;
  }

  async ls(path: string): Promise<string[]> {
    const names = await (await this.ns()).ls(path);
    this.out.line(`OK LS path=${path}`);
    return names;
  }

  /** A file's lines, refused past `max` bytes (the policy's bound for it). */
  async cat(path: string, max: number): Promise<string[]> {
    const lines = await (await this.ns()).read(path);
    const n = lines.reduce((a, l) => a + Buffer.byteLength(l) + 1, 0);
    if (n > max) throw new CohError(`${path}: ${n} bytes exceeds max bytes ${max}`);
    this.out.line(`OK CAT path=${path}`);
    return lines;
  }

  async catBytes(path: string, max: number): Promise<Uint8Array> {
    const b = await (await this.ns()).readBytes(path);
    if (b.length > max) throw new CohError(`${path}: ${b.length} bytes exceeds max bytes ${max}`);
    this.out.line(`OK CAT path=${path}`);
    return b;
  }

  async echo(path: string, record: string): Promise<string> {
    const r = await (await this.ns()).append(path, record);
    const line = `OK ECHO path=${path} bytes=${r.bytes}`;
    this.out.line(line);
    return line;
  }

  async close(): Promise<void> {
    const o = this.opened;
    this.opened = null;
    await o?.close().catch(() => undefined);
  }
}
