// Redaction for evidence packs (reference §3.4): tickets become `sha256:<hex>`, keys that look
// like secrets and strings that carry a secret-looking word become `<redacted>`; JSON nested in a
// string is redacted and re-serialised. Pure: the same input always gives the same bytes.

import { createHash } from "node:crypto";

const SENSITIVE = ["token", "authorization", "secret", "password", "signing_key", "api_key", "credential", "private_key"];
const SENSITIVE_EXACT = ["auth_ref", "auth", "ticket"];
/** Already a hash: ours (`sha256:<64 hex>`) or the audit journal's 16-hex ticket tag. */
const HASHED = /^(?:sha256:[0-9a-f]{64}|[0-9a-f]{16})$/;

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

export const sha256Hex = (s: string | Uint8Array): string => createHash("sha256").update(s).digest("hex");

function sensitiveKey(k: string): boolean {
  const low = k.toLowerCase();
  return SENSITIVE_EXACT.includes(low) || SENSITIVE.some((s) => low.includes(s));
}

export function redact(v: Json): Json {
  if (Array.isArray(v)) return v.map(redact);
  if (v !== null && typeof v === "object") {
    const out: { [k: string]: Json } = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === "ticket" && typeof x === "string") out[k] = x === "none" || x === "-" || HASHED.test(x) ? x : `sha256:${sha256Hex(x)}`;
      else if (sensitiveKey(k)) out[k] = "<redacted>";
      else out[k] = redact(x);
    }
    return out;
  }
  if (typeof v === "string") {
    const s = v.trim();
    if (s.startsWith("{") || s.startsWith("[")) {
      try {
        return JSON.stringify(redact(JSON.parse(s) as Json));
      } catch {
        // not JSON: checked as words below
      }
    }
    if (v.split(/[\s=:"']+/).some((w) => w !== "" && (sensitiveKey(w) || w.startsWith("cohesix-ticket-")))) return "<redacted>";
  }
  return v;
}

/** A JSONL surface, each line redacted; a line that is not JSON refuses the export (no raw copy). */
export function redactJsonl(lines: string[], path: string): { ok: true; lines: string[] } | { ok: false; error: string } {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    try {
      out.push(JSON.stringify(redact(JSON.parse(lines[i]) as Json)));
    } catch {
      return { ok: false, error: `${path} line ${i + 1} is not JSON; refusing to export it unsanitised` };
    }
  }
  return { ok: true, lines: out };
}
