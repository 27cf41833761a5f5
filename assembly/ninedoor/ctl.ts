// What every control file shares: the refusal for a bad line and the strict field checkers of
// its JSON object.

import { E_INVALID_PAYLOAD } from "../generated/protocol";
import { J_INT, J_STRING, JValue } from "../json/json";
import { onlyChars } from "../text/charset";
import { NsError } from "./node";

export function bad(why: string): NsError {
  return new NsError(E_INVALID_PAYLOAD, "invalid payload: " + why);
}

/** Values end up inside `key=value` lines under /proc, so they are single tokens. */
export function str(o: JValue, k: string, max: i32, err: string[]): string {
  const v = o.get(k);
  if (v == null || v.kind != J_STRING || v.s.length == 0 || v.s.length > max || !onlyChars(v.s, "._:/-")) {
    err.push(k + " must be 1-" + max.toString() + " characters of [A-Za-z0-9._:/-]");
    return "";
  }
  return v.s;
}

export function num(o: JValue, k: string, lo: i64, hi: i64, err: string[]): i64 {
  const v = o.get(k);
  if (v == null || v.kind != J_INT || v.n < lo || v.n > hi) {
    err.push(k + " must be an integer in " + lo.toString() + ".." + hi.toString());
    return 0;
  }
  return v.n;
}
