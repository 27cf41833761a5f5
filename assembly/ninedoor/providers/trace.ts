// /trace: ctl (the queen sets the ring's level and categories), events (the ring as JSON lines)
// and status. The ring itself is trace/trace.ts, below the namespace.

import { CAT_SUMMARY_MAX } from "../../generated/protocol";
import { J_ARRAY, J_OBJECT, J_STRING, parseJson, unknownKey } from "../../json/json";
import { CATS, LEVELS, Trace } from "../../trace/trace";
import { bad, CtlFile } from "../ctl";
import { Caller, Dir, File, MODE_RO, NsError, ViewFile } from "../node";
import { RoleViews } from "../access";
import { dirAt, Provider } from "../devtab";

/** `{"set":{"level":…,"cats":[…]}}`: validated whole, then applied whole, or not at all. */
export function configureTrace(t: Trace, line: string): NsError | null {
  const r = parseJson(line.trim());
  if (r.value == null) return bad(r.error);
  const o = r.value!;
  if (o.kind != J_OBJECT) return bad('expected {"set":{...}}');
  const u = unknownKey(o, ["set"]);
  if (u.length > 0) return bad("unknown field " + u);
  const set = o.get("set");
  if (set == null || set.kind != J_OBJECT) return bad('expected {"set":{...}}');
  const v = set;
  const su = unknownKey(v, ["level", "cats"]);
  if (su.length > 0) return bad("unknown field set." + su);
  if (v.keys.length == 0) return bad("set must name level and/or cats");
  let level = t.level;
  let mask = t.mask;
  const lv = v.get("level");
  if (lv != null) {
    level = lv.kind == J_STRING ? LEVELS.indexOf(lv.s) : -1;
    if (level < 0) return bad("level must be one of error,warn,info,debug");
  }
  const cv = v.get("cats");
  if (cv != null) {
    if (cv.kind != J_ARRAY) return bad("cats must be an array of category names");
    if (cv.vals.length > CATS.length) return bad("cats lists at most " + CATS.length.toString() + " categories");
    mask = 0;
    for (let i = 0; i < cv.vals.length; i++) {
      const item = cv.vals[i];
      // Names are not echoed back: a client's bytes never reach the reply.
      const c = item.kind == J_STRING ? CATS.indexOf(item.s) : -1;
      if (c < 0) return bad("cats[" + i.toString() + "] is not one of " + CATS.join(","));
      const bit = (<u32>1) << <u32>c;
      if ((mask & bit) != 0) return bad("cats[" + i.toString() + "] repeats a category");
      mask |= bit;
    }
  }
  t.level = level;
  t.mask = mask;
  return null;
}

/** The first lines joined with `|`, stopping once CAT's one-line `data=` is surely full. */
export function headSummary(lines: string[]): string {
  let s = "";
  for (let i = 0; i < lines.length && s.length < CAT_SUMMARY_MAX; i++) s += (i > 0 ? "|" : "") + lines[i];
  return s;
}

export class TraceCtl extends CtlFile {
  constructor(private t: Trace) {
    super("ctl");
  }
  append(line: string, who: Caller): NsError | null {
    return configureTrace(this.t, line);
  }
}

export class TraceEvents extends File {
  constructor(private t: Trace) {
    super("events", MODE_RO);
  }
  read(): string[] {
    return this.t.lines();
  }
  summary(): string {
    return headSummary(this.read());
  }
}

/** /trace/{ctl,events,status} over the namespace's trace ring. */
export class TraceProvider extends Provider {
  constructor(private t: Trace) {
    super();
  }

  mount(root: Dir, views: RoleViews): void {
    const d = dirAt(root, "/trace");
    d.add(new TraceCtl(this.t));
    d.add(new TraceEvents(this.t));
    d.add(new ViewFile<Trace>("status", this.t, (t: Trace): string[] => [t.status()]));
  }
}
