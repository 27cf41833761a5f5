// The one rule every path from any surface (console verbs, Secure9P walks, bind and policy
// targets) obeys; callers choose only the two options below.

import { CONSOLE_PATH_MAX, NAMESPACE_COMPONENT_MAX, NAMESPACE_WALK_DEPTH } from "../generated/manifest";
import { ERR_INVALID_PATH, NsError } from "./node";

/** No trailing `/`: the path names exactly one thing (bind/mount/policy targets). */
export const PATH_EXACT: i32 = 1;
/** A component may be `*` (one-component glob, policy targets). */
export const PATH_GLOB: i32 = 2;

export const COMPONENT_OK: i32 = 0;
export const COMPONENT_INVALID: i32 = 1; // empty, ".", "..", NUL or "/", or "*" where no glob is allowed
export const COMPONENT_TOO_LONG: i32 = 2; // more than namespace.component_max bytes

/** Checks one path component (a 9P walk name is one). */
export function checkComponent(c: string, opts: i32 = 0): i32 {
  if (c.length == 0 || c == "." || c == ".." || c.indexOf("\0") >= 0 || c.indexOf("/") >= 0) return COMPONENT_INVALID;
  if (c == "*" && (opts & PATH_GLOB) == 0) return COMPONENT_INVALID;
  if (String.UTF8.byteLength(c) > NAMESPACE_COMPONENT_MAX) return COMPONENT_TOO_LONG;
  return COMPONENT_OK;
}

/**
 * Absolute, UTF-8 (already checked by the framing), no NUL, no empty inner component, no "."
 * or "..", at most walk_depth components of at most component_max bytes, at most path_max;
 * one trailing slash unless PATH_EXACT.
 */
export function checkPath(path: string, opts: i32 = 0): NsError | null {
  if (path.length == 0 || path.charCodeAt(0) != 0x2f) return ERR_INVALID_PATH;
  if (String.UTF8.byteLength(path) > CONSOLE_PATH_MAX) return ERR_INVALID_PATH;
  const parts = path.split("/");
  let depth = 0;
  for (let i = 1; i < parts.length; i++) {
    const c = parts[i];
    if (c.length == 0 && i == parts.length - 1 && (opts & PATH_EXACT) == 0) continue; // one trailing slash is fine
    if (checkComponent(c, opts) != COMPONENT_OK) return ERR_INVALID_PATH;
    depth++;
  }
  if (depth > NAMESPACE_WALK_DEPTH) return ERR_INVALID_PATH;
  return null;
}
