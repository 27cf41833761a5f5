// Hash-pinned client policies (out/cohsh_policy.toml, out/coh_policy.toml, written by coh-rtc):
// a policy file is refused unless its sha256 is the one this build was generated with, so a
// client never runs against another build's bounds. Pure: returns a Result, never throws.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "smol-toml";
import { COHSH_POLICY_SHA256 } from "../generated/manifest.js";
import type { Result } from "./ticket/index.js";

export const DEFAULT_POLICY = resolve(fileURLToPath(import.meta.url), "../../../out/cohsh_policy.toml");

export interface CohshPolicy {
  file: string;
  sha256: string;
  retry: { maxAttempts: number; backoffMs: number; ceilingMs: number; timeoutMs: number };
  heartbeatMs: number;
}

export type PolicyResult = { ok: true; policy: CohshPolicy } | { ok: false; error: string };

export interface PinnedToml {
  file: string;
  sha256: string;
  doc: Record<string, unknown>;
}

/** Reads `file`, checks its sha256 against `expected`, parses it as TOML. `hint` says how to regenerate. */
export function loadPinnedToml(file: string, expected: string, hint = "regenerate it (npm run gen)"): Result<PinnedToml, string> {
  let text: Buffer;
  try {
    text = readFileSync(file);
  } catch {
    return { ok: false, error: `policy file ${file} not found (npm run gen or npm run build writes it)` };
  }
  const sha = createHash("sha256").update(text).digest("hex");
  if (sha !== expected) return { ok: false, error: `policy file ${file} has sha256 ${sha}, but this build expects ${expected}: ${hint}` };
  try {
    return { ok: true, value: { file, sha256: sha, doc: parse(text.toString("utf8")) as Record<string, unknown> } };
  } catch (e) {
    return { ok: false, error: `policy file ${file}: ${e instanceof Error ? e.message : String(e)}` };
  }
}

/** A number at `[section] key`, or an error text. */
export function policyNumber(doc: Record<string, unknown>, section: string, key: string): number | string {
  const s = doc[section] as Record<string, unknown> | undefined;
  const v = s?.[key];
  if (typeof v !== "number" && typeof v !== "bigint") return `[${section}] ${key} is missing or not a number`;
  return Number(v);
}

export function loadPolicy(file: string = DEFAULT_POLICY, expected: string = COHSH_POLICY_SHA256): PolicyResult {
  const pinned = loadPinnedToml(file, expected, "regenerate it (npm run gen) or use the matching cohsh; --policy or COHSH_POLICY chooses another file");
  if (!pinned.ok) return { ok: false, error: pinned.error.replace("this build expects", "this cohsh was built for") };
  const { doc, sha256 } = pinned.value;
  const nums: Record<string, number> = {};
  for (const [section, key] of [["retry", "max_attempts"], ["retry", "backoff_ms"], ["retry", "ceiling_ms"], ["retry", "timeout_ms"], ["heartbeat", "interval_ms"]]) {
    const v = policyNumber(doc, section, key);
    if (typeof v === "string") return { ok: false, error: `policy file ${file}: ${v}` };
    nums[`${section}.${key}`] = v;
  }
  return {
    ok: true,
    policy: {
      file,
      sha256,
      retry: { maxAttempts: nums["retry.max_attempts"], backoffMs: nums["retry.backoff_ms"], ceilingMs: nums["retry.ceiling_ms"], timeoutMs: nums["retry.timeout_ms"] },
      heartbeatMs: nums["heartbeat.interval_ms"],
    },
  };
}
