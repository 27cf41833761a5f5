// Writing a string as a JSON string literal, for the JSONL lines the core emits (journal,
// decisions, trace events, policy rules). The reader is json.ts, which also holds the linear writer.

import { jsonQuote } from "./json";

/** `s` quoted: `"` and `\` escaped, LF as `\n`, any other control character as a space. */
export function jsonString(s: string): string {
  return jsonQuote(s); // linear: two passes, one allocation of the exact size (issue 10, finding 2)
}
