// Writing a string as a JSON string literal, for the JSONL lines the core emits (journal,
// decisions, trace events, policy rules). The reader is json.ts; the two share no state.

/** `s` quoted: `"` and `\` escaped, LF as `\n`, any other control character as a space. */
export function jsonString(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c == 0x22) out += '\\"';
    else if (c == 0x5c) out += "\\\\";
    else if (c == 0x0a) out += "\\n";
    else if (c < 0x20) out += " ";
    else out += String.fromCharCode(c);
  }
  return out + '"';
}
