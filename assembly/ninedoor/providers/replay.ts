// ReplayFS: /replay/ctl re-applies a window of the audit journal to a scratch namespace and
// reports in /replay/status whether every outcome matches, with an FNV-1a digest of the
// replayed sequence.

import { E_OUT_OF_WINDOW } from "../../generated/protocol";
import { AUDIT_REPLAY_MAX_ENTRIES } from "../../generated/manifest";
import { FNV1A_OFFSET, fnv1a } from "../../crypto/fnv1a";
import { J_INT, unknownKey } from "../../json/json";
import { Caller, Dir, F_TRACED, NsError, ViewFile } from "../node";
import { RoleViews } from "../access";
import { CtlFile, Fields } from "../ctl";
import { dirAt, Provider } from "../devtab";
import { Journal } from "./audit";

/** Something that can build a fresh namespace and apply one write to it (the scratch state). */
export abstract class Scratch {
  abstract apply(path: string, payload: string, who: Caller): NsError | null;
}

export abstract class ScratchFactory {
  abstract make(): Scratch;
}

export class ReplayState {
  status: string = '{"state":"idle"}';
}

/** Replay requests are traced but not journalled: a replay is never itself replayed. */
export class ReplayCtl extends CtlFile {
  constructor(private j: Journal, private st: ReplayState, private factory: ScratchFactory) {
    super("ctl", F_TRACED);
  }
  append(line: string, who: Caller): NsError | null {
    const f = Fields.of(line, [], 'expected {"from":<cursor>}');
    if (f.ok && unknownKey(f.obj, ["from"]).length > 0) f.fail('expected {"from":<cursor>}');
    const from = f.obj.get("from");
    if (f.ok && (from == null || from.kind != J_INT || from.n < 0)) f.fail("from must be a cursor");
    if (!f.ok) return f.error();
    const cursor = <u64>from!.n;
    if (cursor < this.j.base || cursor > this.j.next) {
      return new NsError(E_OUT_OF_WINDOW, "cursor " + cursor.toString() + " outside [" + this.j.base.toString() + "," + this.j.next.toString() + "]");
    }
    // Re-apply from a fresh scratch namespace, in order; every outcome must match the journal.
    const scratch = this.factory.make();
    let h: u64 = FNV1A_OFFSET;
    let n: i32 = 0;
    let match = true;
    let to = cursor;
    for (let i = 0; i < this.j.entries.length && n < AUDIT_REPLAY_MAX_ENTRIES; i++) {
      const e = this.j.entries[i];
      if (e.seq < cursor) continue;
      const got = scratch.apply(e.path, e.payload, new Caller(e.role, e.subject, e.ticket));
      if ((got == null) != (e.outcome == "ok")) match = false;
      h = fnv1a(h, e.path + "\n" + e.payload + "\n" + e.outcome + "\n");
      n++;
      to = e.seq + 1;
    }
    let hex = h.toString(16);
    while (hex.length < 16) hex = "0" + hex;
    this.st.status =
      '{"state":"ok","from":' + cursor.toString() + ',"to":' + to.toString() + ',"entries":' + n.toString() + ',"match":' +
      (match ? "true" : "false") + ',"sequence_fnv1a":"' + hex + '"}';
    return null;
  }
}

/** /replay/ctl and /replay/status. */
export class ReplayProvider extends Provider {
  private st: ReplayState = new ReplayState();

  constructor(private j: Journal, private factory: ScratchFactory) {
    super();
  }

  mount(root: Dir, views: RoleViews): void {
    const d = dirAt(root, "/replay");
    d.add(new ReplayCtl(this.j, this.st, this.factory));
    d.add(new ViewFile<ReplayState>("status", this.st, (st: ReplayState): string[] => [st.status]));
  }
}
