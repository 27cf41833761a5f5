// cohsh's client policy (out/cohsh_policy.toml, written by coh-rtc): refused unless its sha256 is
// the one this cohsh was generated with, so a client never runs against another build's bounds.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse } from "smol-toml";
import { COHSH_POLICY_SHA256 } from "../generated/manifest.js";

export const DEFAULT_POLICY = resolve(fileURLToPath(import.meta.url), "../../../out/cohsh_policy.toml");

export interface CohshPolicy {
  file: string;
  sha256: string;
  retry: { maxAttempts: number; backoffMs: number; ceilingMs: number; timeoutMs: number };
  heartbeatMs: number;
}

export type PolicyResult = { ok: true; policy: CohshPolicy } | { ok: false; error: string };

function num(t: Record<string, unknown>, section: string, key: string): number {
  const s = t[section] as Record<string, unknown> | undefined;
  const v = s?.[key];
  if (typeof v !== "number" && typeof v !== "bigint") throw new Error(`[${section}] ${key} is missing or not a number`);
  return Number(v);
}

export function loadPolicy(file: string = DEFAULT_POLICY, expected: string = COHSH_POLICY_SHA256): PolicyResult {
  let text: Buffer;
  try {
    text = readFileSync(file);
  } catch {
    return { ok: false, error: `policy file ${file} not found (npm run gen or npm run build writes it; --policy or COHSH_POLICY chooses another)` };
  }
  const sha = createHash("sha256").update(text).digest("hex");
  if (sha !== expected) {
    return { ok: false, error: `policy file ${file} has sha256 ${sha}, but this cohsh was built for ${expected}: regenerate it (npm run gen) or use the matching cohsh` };
  }
  try {
    const t = parse(text.toString("utf8")) as Record<string, unknown>;
    return {
      ok: true,
      policy: {
        file,
        sha256: sha,
        retry: {
          maxAttempts: num(t, "retry", "max_attempts"),
          backoffMs: num(t, "retry", "backoff_ms"),
          ceilingMs: num(t, "retry", "ceiling_ms"),
          timeoutMs: num(t, "retry", "timeout_ms"),
        },
        heartbeatMs: num(t, "heartbeat", "interval_ms"),
      },
    };
  } catch (e) {
    return { ok: false, error: `policy file ${file}: ${e instanceof Error ? e.message : String(e)}` };
  }
}
