// ReplayFS: /replay/ctl re-applies a window of the audit journal to a scratch namespace and
// reports in /replay/status whether every outcome matches, with an FNV-1a digest of the
// replayed sequence.

import { E_INVALID_PAYLOAD, E_OUT_OF_WINDOW } from "../../generated/protocol";
import { AUDIT_REPLAY_MAX_ENTRIES } from "../../generated/manifest";
import { FNV1A_OFFSET, fnv1a } from "../../crypto/fnv1a";
import { J_INT, J_OBJECT, parseJson, unknownKey } from "../../json/json";
import { Caller, ERR_DENIED, File, MODE_QUEEN_AO, MODE_RO, NsError } from "../node";
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

export class ReplayCtl extends File {
  constructor(private j: Journal, private st: ReplayState, private factory: ScratchFactory) {
    super("ctl", MODE_QUEEN_AO);
  }
  read(): string[] {
    return [];
  }
  append(line: string, who: Caller): NsError | null {
    if (who.role != "queen") return ERR_DENIED;
    const r = parseJson(line.trim());
    if (r.value == null) return new NsError(E_INVALID_PAYLOAD, "invalid payload: " + r.error);
    const o = r.value!;
    if (o.kind != J_OBJECT || unknownKey(o, ["from"]).length > 0) return new NsError(E_INVALID_PAYLOAD, "invalid payload: expected {\"from\":<cursor>}");
    const from = o.get("from");
    if (from == null || from.kind != J_INT || from.n < 0) return new NsError(E_INVALID_PAYLOAD, "invalid payload: from must be a cursor");
    const cursor = <u64>from.n;
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

export class ReplayStatus extends File {
  constructor(private st: ReplayState) {
    super("status", MODE_RO);
  }
  read(): string[] {
    return [this.st.status];
  }
}
