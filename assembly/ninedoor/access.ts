// Who may do what where: role views (reference §3.3) and, on top, a ticket's scopes and rates.
// Every surface asks here before it touches a node, so the console and Secure9P cannot differ.

import { E_DENIED, E_RATE, E_SCOPE } from "../generated/protocol";
import { ClaimsScope } from "../ticket/claims";
import { Caller, NsError } from "./node";
import { shardLabel } from "./providers/workers";

export const OP_READ: i32 = 0; // cat, tail, 9P read
export const OP_WRITE: i32 = 1; // echo, 9P write
export const OP_LIST: i32 = 2; // ls, 9P readdir
export const OP_WALK: i32 = 3; // passing through a directory on the way somewhere allowed

export const ERR_ROLE_DENIED = new NsError(E_DENIED, "EPERM");

const SCOPE_READ: u8 = 0;
const SCOPE_WRITE: u8 = 1;
const SCOPE_WINDOW_MS: u64 = 1000;

/** A session's ticket scopes with their rate windows. */
export class ScopeState {
  used: u32[] = [];
  windowStart: u64[] = [];

  constructor(public scopes: ClaimsScope[]) {
    for (let i = 0; i < scopes.length; i++) {
      this.used.push(0);
      this.windowStart.push(0);
    }
  }
}

function under(path: string, prefix: string): bool {
  if (prefix == "/") return true;
  return path == prefix || path.startsWith(prefix + "/");
}

/** True when `path` is `/`-wise a prefix of `target` (so walking it leads there). */
function leadsTo(path: string, target: string): bool {
  return path == "/" || under(target, path);
}

/** The exact files and trees a role may read, list or write, given its subject. */
class View {
  read: string[] = []; // files and trees that may be read
  list: string[] = []; // directories that may be listed themselves (not their subdirectories)
  listTree: string[] = []; // trees in which every directory may be listed
  write: string[] = [];
}

function viewOf(role: string, subject: string): View {
  const v = new View();
  if (role == "worker-heartbeat" || role == "worker-gpu") {
    v.read = ["/proc/boot", "/log/queen.log", "/host"];
    v.list = ["/proc", "/log"];
    v.listTree = ["/host"];
    const own = "/shard/" + shardLabel(subject) + "/worker/" + subject + "/telemetry";
    const legacy = "/worker/" + subject + "/telemetry";
    v.read.push(own);
    v.read.push(legacy);
    v.write.push(own);
    v.write.push(legacy);
    if (role == "worker-gpu") {
      v.read.push("/gpu/" + subject);
      v.write.push("/gpu/" + subject + "/job");
    }
  } else if (role == "worker-bus" || role == "worker-lora") {
    const root = role == "worker-bus" ? "/bus/" : "/lora/";
    v.read = ["/proc/boot", "/log/queen.log", "/host", root + subject];
    v.listTree = ["/host", root + subject];
    v.write = [root + subject];
  }
  return v;
}

/** Role rules only (no ticket scopes): may `who` do `op` on `path`? */
export function roleAllows(who: Caller, path: string, op: i32): bool {
  if (who.role == "queen") return true;
  if (who.role.length == 0) return false;
  const v = viewOf(who.role, who.subject);
  if (op == OP_WRITE) {
    for (let i = 0; i < v.write.length; i++) if (under(path, v.write[i])) return true;
    return false;
  }
  if (op == OP_LIST) {
    for (let i = 0; i < v.list.length; i++) if (path == v.list[i]) return true;
    for (let i = 0; i < v.listTree.length; i++) if (under(path, v.listTree[i])) return true;
    return false;
  }
  for (let i = 0; i < v.read.length; i++) if (under(path, v.read[i])) return true;
  if (op == OP_WALK) {
    const all = v.read.concat(v.write).concat(v.list).concat(v.listTree);
    for (let i = 0; i < all.length; i++) if (leadsTo(path, all[i])) return true;
  }
  return false;
}

/**
 * Ticket scopes: the longest scope prefix of `path` decides; its verb must cover the operation
 * and its rate window must have room. Null = allowed; otherwise the console's EPERM / ELIMIT.
 */
export function scopeCheck(st: ScopeState | null, path: string, op: i32, now: u64): NsError | null {
  if (st == null || st.scopes.length == 0) return null;
  let best = -1;
  for (let i = 0; i < st.scopes.length; i++) {
    const p = st.scopes[i].path;
    if (under(path, p) && (best < 0 || p.length > st.scopes[best].path.length)) best = i;
  }
  if (op == OP_WALK) {
    // Walking is allowed toward anything some scope reaches.
    for (let i = 0; i < st.scopes.length; i++) if (leadsTo(path, st.scopes[i].path)) return null;
  }
  if (best < 0) return new NsError(E_SCOPE, "EPERM");
  const s = st.scopes[best];
  const writing = op == OP_WRITE;
  if ((writing && s.verb == SCOPE_READ) || (!writing && s.verb == SCOPE_WRITE)) return new NsError(E_SCOPE, "EPERM");
  if (s.ratePerS > 0) {
    if (now - st.windowStart[best] >= SCOPE_WINDOW_MS) {
      st.windowStart[best] = now;
      st.used[best] = 0;
    }
    if (st.used[best] >= s.ratePerS) return new NsError(E_RATE, "ELIMIT");
    st.used[best]++;
  }
  return null;
}
