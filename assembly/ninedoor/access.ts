// Who may do what where: role views (reference §3.3), declared by the providers, and on top a
// ticket's scopes and rates. Every surface asks here (through session.ts) before it touches a
// node, so the console and Secure9P cannot differ.

import { E_DENIED, E_RATE, E_SCOPE } from "../generated/protocol";
import { TICKET_ROLES } from "../generated/manifest";
import { ClaimsScope } from "../ticket/claims";
import { Caller, NsError } from "./node";

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

// Role views are declared by the providers that own the paths (Dirtab's perm column): each
// grants some roles reading, writing or listing of a file or tree. `{s}` in a path is the
// caller's subject (the worker id or scope its ticket names), `{shard}` that subject's shard label.
export const VIEW_READ: i32 = 0; // the file or tree may be read
export const VIEW_WRITE: i32 = 1; // the file or tree may be appended to
export const VIEW_LIST: i32 = 2; // the directory itself may be listed (not its subdirectories)
export const VIEW_LIST_TREE: i32 = 3; // every directory in the tree may be listed

/** The bit of each named role, OR-ed (a view entry's `roles`). */
export function roleBits(names: string[]): u32 {
  let m: u32 = 0;
  for (let i = 0; i < names.length; i++) {
    const r = TICKET_ROLES.indexOf(names[i]);
    if (r >= 0) m |= (<u32>1) << <u32>r;
  }
  return m;
}

/** A `{name}` in a view path whose value depends on the subject (the GPU a worker leases); "" = none. */
export abstract class ViewVar {
  constructor(public key: string) {}
  abstract value(subject: string): string;
}

class ViewEntry {
  constructor(public roles: u32, public kind: i32, public path: string) {}
}

function noShard(id: string): string {
  return "";
}

/** The role views of one namespace: the queen sees everything; every other role what some entry grants it. */
export class RoleViews {
  entries: ViewEntry[] = [];
  /** Expands `{shard}` (set by the provider that owns shard labels). */
  shardOf: (id: string) => string = noShard;
  /** Further `{name}`s, declared by the providers that own them. */
  vars: ViewVar[] = [];

  grant(roles: string[], kind: i32, path: string): void {
    this.entries.push(new ViewEntry(roleBits(roles), kind, path));
  }

  private expand(path: string, subject: string): string {
    if (path.indexOf("{") < 0) return path;
    let p = path.replaceAll("{s}", subject);
    if (p.indexOf("{shard}") >= 0) p = p.replaceAll("{shard}", this.shardOf(subject));
    for (let i = 0; i < this.vars.length; i++) {
      const v = this.vars[i];
      if (p.indexOf(v.key) < 0) continue;
      const value = v.value(subject);
      if (value.length == 0) return ""; // the subject has none: the entry grants nothing
      p = p.replaceAll(v.key, value);
    }
    return p;
  }

  /** Role rules only (no ticket scopes): may `who` do `op` on `path`? */
  allows(who: Caller, path: string, op: i32): bool {
    if (who.role == "queen") return true;
    const r = TICKET_ROLES.indexOf(who.role);
    if (r < 0) return false;
    const bit = (<u32>1) << <u32>r;
    for (let i = 0; i < this.entries.length; i++) {
      const e = this.entries[i];
      if ((e.roles & bit) == 0) continue;
      const p = this.expand(e.path, who.subject);
      if (p.length == 0) continue;
      if (op == OP_WRITE) {
        if (e.kind == VIEW_WRITE && under(path, p)) return true;
      } else if (op == OP_LIST) {
        if ((e.kind == VIEW_LIST && path == p) || (e.kind == VIEW_LIST_TREE && under(path, p))) return true;
      } else {
        if (e.kind == VIEW_READ && under(path, p)) return true;
        if (op == OP_WALK && leadsTo(path, p)) return true;
      }
    }
    return false;
  }
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
