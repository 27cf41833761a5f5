// What every control file shares: `CtlFile` (queen-only append, nothing to read), the
// `invalid-payload` refusal, and `Fields`, the one strict checker of a ctl line's JSON object:
// unknown keys refused, each field checked by kind and bound, the first error wins and nothing
// is applied unless every check passed.

import { E_INVALID_PAYLOAD } from "../generated/protocol";
import { J_INT, J_OBJECT, J_STRING, JValue, parseJson, unknownKey } from "../json/json";
import { onlyChars } from "../text/charset";
import { F_CONTROL, File, MODE_QUEEN_AO, NsError } from "./node";
import { checkPath, PATH_EXACT, PATH_GLOB } from "./path";

export function bad(why: string): NsError {
  return new NsError(E_INVALID_PAYLOAD, "invalid payload: " + why);
}

/** A queen-only control file: Namespace.append enforces the mode, so `append` sees only the queen (or the core). */
export abstract class CtlFile extends File {
  constructor(name: string, flags: i32 = F_CONTROL) {
    super(name, MODE_QUEEN_AO, flags);
  }

  /** Control files answer reads with nothing unless they keep a history. */
  read(): string[] {
    return [];
  }
}

/** The first failed check of a line, shared by a Fields and its sub-objects. */
class FirstError {
  why: string = "";
}

/** A ctl line's JSON object (or a sub-object of one) under strict checks. */
export class Fields {
  constructor(public obj: JValue, private first: FirstError) {}

  /** Parses `line`; it must be a JSON object with only `allowed` keys (`allowed` empty = any keys). */
  static of(line: string, allowed: string[], notObject: string = "expected a JSON object"): Fields {
    const r = parseJson(line.trim());
    const f = new Fields(r.value != null ? r.value! : new JValue(), new FirstError());
    if (r.value == null) return f.fail(r.error);
    if (f.obj.kind != J_OBJECT) return f.fail(notObject);
    return f.only(allowed, "");
  }

  get ok(): bool {
    return this.first.why.length == 0;
  }

  /** The refusal for the first failed check, or null. */
  error(): NsError | null {
    return this.ok ? null : bad(this.first.why);
  }

  fail(why: string): Fields {
    if (this.ok) this.first.why = why;
    return this;
  }

  has(k: string): bool {
    return this.obj.has(k);
  }

  get keys(): string[] {
    return this.obj.keys;
  }

  /** Refuses keys outside `allowed` (`prefix` names a sub-object in the message). */
  only(allowed: string[], prefix: string): Fields {
    if (allowed.length == 0) return this;
    const u = unknownKey(this.obj, allowed);
    if (u.length > 0) this.fail("unknown field " + prefix + u);
    return this;
  }

  /** A field that must be present (checked before its kind, so the message says "missing"). */
  need(k: string): Fields {
    if (!this.has(k)) this.fail("missing " + k);
    return this;
  }

  /** A sub-object with only `allowed` keys; absent = an empty one (and "missing k" when `required`). */
  object(k: string, allowed: string[], required: bool): Fields {
    const v = this.obj.get(k);
    if (v == null) {
      if (required) this.fail("missing " + k);
      return new Fields(new JValue(), this.first);
    }
    if (v.kind != J_OBJECT) {
      this.fail(k + " must be an object");
      return new Fields(new JValue(), this.first);
    }
    return new Fields(v, this.first).only(allowed, k + ".");
  }

  /** An integer in lo..hi; absent or anything else is an error. */
  int(k: string, lo: i64, hi: i64): i64 {
    const v = this.obj.get(k);
    if (v == null || v.kind != J_INT || v.n < lo || v.n > hi) {
      this.fail(k + " must be an integer in " + lo.toString() + ".." + hi.toString());
      return lo;
    }
    return v.n;
  }

  /** An integer in lo..hi, or `dflt` when absent. */
  optInt(k: string, lo: i64, hi: i64, dflt: i64): i64 {
    return this.has(k) ? this.int(k, lo, hi) : dflt;
  }

  /** Any non-empty string. */
  str(k: string): string {
    const v = this.obj.get(k);
    if (v == null || v.kind != J_STRING || v.s.length == 0) {
      this.fail(k + " must be a non-empty string");
      return "";
    }
    return v.s;
  }

  /**
   * A single token of 1..max characters of `[A-Za-z0-9]` plus `punct` (which lists `-` last, as
   * the message shows it), not "." or "..": values that end up in paths and `key=value` lines.
   */
  token(k: string, max: i32, punct: string): string {
    const v = this.obj.get(k);
    if (v == null || v.kind != J_STRING || v.s.length == 0 || v.s.length > max || v.s == "." || v.s == ".." || !onlyChars(v.s, punct)) {
      this.fail(k + " must be 1-" + max.toString() + " characters of [A-Za-z0-9" + punct + "]");
      return "";
    }
    return v.s;
  }

  /** One of `values` (the message is the caller's, e.g. "op must be open or close"). */
  oneOf(k: string, values: string[], message: string): string {
    const v = this.obj.get(k);
    if (v == null || v.kind != J_STRING || !values.includes(v.s)) {
      this.fail(message);
      return "";
    }
    return v.s;
  }

  /** A namespace path by the one path rule, whole (no trailing `/`); `glob` lets a component be `*`. */
  path(k: string, glob: bool, message: string): string {
    const v = this.obj.get(k);
    if (v == null || v.kind != J_STRING || checkPath(v.s, PATH_EXACT | (glob ? PATH_GLOB : 0)) != null) {
      this.fail(message);
      return "";
    }
    return v.s;
  }
}
