// The one rule every path from any surface (console verbs, Secure9P walks, policy targets) obeys.

import { CONSOLE_PATH_MAX, NAMESPACE_COMPONENT_MAX, NAMESPACE_WALK_DEPTH } from "../generated/manifest";
import { ERR_INVALID_PATH, NsError } from "./node";

/**
 * Absolute, UTF-8 (already checked by the framing), no NUL, no empty inner component, no "."
 * or "..", at most walk_depth components of at most component_max bytes, at most path_max.
 */
export function checkPath(path: string): NsError | null {
  if (path.length == 0 || path.charCodeAt(0) != 0x2f) return ERR_INVALID_PATH;
  if (String.UTF8.byteLength(path) > CONSOLE_PATH_MAX) return ERR_INVALID_PATH;
  const parts = path.split("/");
  let depth = 0;
  for (let i = 1; i < parts.length; i++) {
    const c = parts[i];
    if (c.length == 0) {
      if (i == parts.length - 1) continue; // one trailing slash is fine
      return ERR_INVALID_PATH;
    }
    if (c == "." || c == "..") return ERR_INVALID_PATH;
    if (c.indexOf("\0") >= 0) return ERR_INVALID_PATH;
    if (String.UTF8.byteLength(c) > NAMESPACE_COMPONENT_MAX) return ERR_INVALID_PATH;
    depth++;
  }
  if (depth > NAMESPACE_WALK_DEPTH) return ERR_INVALID_PATH;
  return null;
}
