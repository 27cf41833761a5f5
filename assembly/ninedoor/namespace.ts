// The namespace: one tree of providers and the path rules every surface (console verbs now,
// Secure9P later) goes through. Lookups validate the whole path before walking it.

import {
  CONSOLE_PATH_MAX,
  MANIFEST_SHA256,
  NAMESPACE_COMPONENT_MAX,
  NAMESPACE_CTL_JOURNAL_LINES,
  NAMESPACE_QUEEN_LOG_LINES,
  NAMESPACE_WALK_DEPTH,
  PROFILE_NAME,
  ROOT_TASK_SCHEMA,
} from "../generated/manifest";
import { LogFile, QueenCtl, StaticFile } from "./files";
import { Caller, Dir, ERR_DENIED, ERR_INVALID_PATH, ERR_IS_DIR, File, MODE_RO, Node, NsError } from "./node";

/** Result of a lookup: exactly one of `node` / `error` is set. */
export class Lookup {
  constructor(public node: Node | null, public error: NsError | null) {}
}

export class Namespace {
  root: Dir = new Dir("");
  queenLog: LogFile = new LogFile("queen.log", NAMESPACE_QUEEN_LOG_LINES);

  constructor(bootLines: string[]) {
    const proc = this.root.add(new Dir("proc"));
    const lines = ["Cohesix boot: root-task online", "manifest.schema=" + ROOT_TASK_SCHEMA, "manifest.sha256=" + MANIFEST_SHA256, "profile=" + PROFILE_NAME];
    for (let i = 0; i < bootLines.length; i++) lines.push(bootLines[i]);
    proc.add(new StaticFile("boot", lines));
    const log = this.root.add(new Dir("log"));
    log.add(this.queenLog);
    const queen = this.root.add(new Dir("queen"));
    queen.add(new QueenCtl(this.queenLog, NAMESPACE_CTL_JOURNAL_LINES));
  }

  lookup(path: string): Lookup {
    const err = checkPath(path);
    if (err != null) return new Lookup(null, err);
    let node: Node = this.root;
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const name = parts[i];
      if (name.length == 0) continue; // the trailing slash of "/proc/"
      if (!node.isDir()) return new Lookup(null, ERR_INVALID_PATH);
      const next = (node as Dir).find(name);
      if (next == null) return new Lookup(null, ERR_INVALID_PATH);
      node = next;
    }
    return new Lookup(node, null);
  }

  lookupFile(path: string): Lookup {
    const l = this.lookup(path);
    if (l.node != null && l.node!.isDir()) return new Lookup(null, ERR_IS_DIR);
    return l;
  }

  /** Appends one record to a file, enforcing its mode. */
  append(path: string, payload: string, who: Caller): NsError | null {
    const l = this.lookupFile(path);
    if (l.error != null) return l.error;
    const f = l.node as File;
    if (f.mode == MODE_RO) return ERR_DENIED;
    return f.append(payload, who);
  }
}

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
