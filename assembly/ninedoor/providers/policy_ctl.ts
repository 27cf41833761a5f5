// /policy/ctl (apply / rollback revisions), /policy/revisions and /policy/preflight/{req,diff}(.cbor).
//
// Authority stays with the manifest: a revision may add rules but must keep every rule the
// manifest declares, so runtime policy can only tighten what the image was built with. A rule
// set is named by the sha256 of its canonical JSON (what /policy/rules prints as "rules"), so an
// operator applies exactly the text they reviewed, and a damaged or edited line is refused.

import { POLICY_CTL_MAX_BYTES, POLICY_REVISIONS_MAX, POLICY_RULES_MAX } from "../../generated/manifest";
import { J_ARRAY, J_OBJECT, J_STRING, JValue, unknownKey } from "../../json/json";
import { LogFile } from "../files";
import { BinaryFile, Caller, Dir, File, MODE_RO, NsError, ViewFile } from "../node";
import { RoleViews } from "../access";
import { bad, CtlFile, Fields } from "../ctl";
import { dirAt, Provider } from "../devtab";
import { Approval, MANIFEST_REVISION, plainId, Policy, Revision, Rule, rulesJson } from "./policy";
import { CborWriter } from "../../cbor/cbor";
import { sha256Hex } from "../../crypto/sha256";
import { noBlanks, onlyChars } from "../../text/charset";
import { isLowerHex } from "../../text/hex";
import { checkPath, PATH_EXACT, PATH_GLOB } from "../path";

/** Rule ids follow the manifest's own rule: 1-64 of [a-z0-9-], starting with a letter or digit. */
function ruleId(s: string): bool {
  return s.length > 0 && s.length <= 64 && s.charCodeAt(0) != 0x2d && onlyChars(s, "-", true);
}

/** A target is a namespace path (same bounds as any path, no trailing slash) whose components may be `*`. */
function ruleTarget(s: string): bool {
  return checkPath(s, PATH_EXACT | PATH_GLOB) == null && noBlanks(s);
}

/** Parses the optional "rules" array; sets `error` and returns null on the first bad entry. */
class RulesParse {
  error: string = "";
  rules: Rule[] = [];
}

function parseRules(v: JValue): RulesParse {
  const out = new RulesParse();
  if (v.kind != J_ARRAY) {
    out.error = "rules must be an array";
    return out;
  }
  if (v.vals.length > POLICY_RULES_MAX) {
    out.error = "at most " + POLICY_RULES_MAX.toString() + " rules";
    return out;
  }
  for (let i = 0; i < v.vals.length; i++) {
    const r = v.vals[i];
    const at = "rules[" + i.toString() + "]";
    if (r.kind != J_OBJECT) {
      out.error = at + " must be an object";
      return out;
    }
    const u = unknownKey(r, ["id", "target"]);
    if (u.length > 0) {
      out.error = at + " unknown field " + u;
      return out;
    }
    const id = r.get("id");
    const target = r.get("target");
    if (id == null || id.kind != J_STRING || !ruleId(id.s)) {
      out.error = at + ".id must be 1-64 characters of [a-z0-9-]";
      return out;
    }
    if (target == null || target.kind != J_STRING || !ruleTarget(target.s)) {
      out.error = at + ".target must be an absolute path (a component may be *)";
      return out;
    }
    for (let j = 0; j < out.rules.length; j++) {
      if (out.rules[j].id == id.s || out.rules[j].target == target.s) {
        out.error = at + " repeats rule " + out.rules[j].id;
        return out;
      }
    }
    out.rules.push(new Rule(id.s, target.s));
  }
  return out;
}

/** /policy/ctl: `{"op":"apply","id","sha256"[,"rules"]}` and `{"op":"rollback","id"}`. */
export class PolicyCtl extends CtlFile {
  constructor(private p: Policy, private log: LogFile) {
    super("ctl");
  }

  append(line: string, who: Caller): NsError | null {
    if (String.UTF8.byteLength(line) > POLICY_CTL_MAX_BYTES) return bad("line exceeds " + POLICY_CTL_MAX_BYTES.toString() + " bytes");
    const f = Fields.of(line, []);
    if (!f.ok) return f.error();
    const o = f.obj;
    const op = o.get("op");
    if (op == null || op.kind != J_STRING) return bad("op must be apply or rollback");
    if (op.s == "apply") return this.apply(o);
    if (op.s == "rollback") return this.rollback(o);
    return bad("op must be apply or rollback");
  }

  private apply(o: JValue): NsError | null {
    const u = unknownKey(o, ["op", "id", "sha256", "rules"]);
    if (u.length > 0) return bad("unknown field " + u);
    const id = o.get("id");
    const sha = o.get("sha256");
    if (id == null || id.kind != J_STRING || id.s.length == 0 || id.s.length > 64 || !plainId(id.s) || id.s == MANIFEST_REVISION) {
      return bad("id must be 1-64 characters of [A-Za-z0-9._-] (not manifest)");
    }
    if (sha == null || sha.kind != J_STRING || !isLowerHex(sha.s, 64)) return bad("sha256 must be 64 lower-case hex digits");
    for (let i = 0; i < this.p.stack.length; i++) if (this.p.stack[i].id == id.s) return bad("revision " + id.s + " is already held");

    let rules: Rule[] = [];
    let digest = "";
    const rv = o.get("rules");
    if (rv != null) {
      const pr = parseRules(rv);
      if (pr.error.length > 0) return bad(pr.error);
      digest = sha256Hex(rulesJson(pr.rules));
      if (digest != sha.s) return bad("sha256 mismatch: the rules hash to " + digest);
      rules = pr.rules;
    } else {
      // No rules sent: re-activate a rule set the guest already holds, named by its digest.
      let known: Revision | null = null;
      for (let i = 0; i < this.p.stack.length; i++) if (this.p.stack[i].sha256 == sha.s) known = this.p.stack[i];
      if (known == null) return bad("no held revision has sha256 " + sha.s.substring(0, 16) + "...; send the rules");
      rules = known.rules;
      digest = known.sha256;
    }
    const base = this.p.stack[0].rules;
    for (let i = 0; i < base.length; i++) {
      let kept = false;
      for (let j = 0; j < rules.length; j++) if (rules[j].id == base[i].id && rules[j].target == base[i].target) kept = true;
      if (!kept) return bad("a revision must keep manifest rule " + base[i].id);
    }

    const rev = new Revision(id.s, rules, digest);
    if (this.p.stack.length >= POLICY_REVISIONS_MAX) {
      // Bounded history: the oldest applied revision leaves; the manifest's stays at the bottom.
      const gone = this.p.stack[1];
      for (let i = 1; i < this.p.stack.length - 1; i++) this.p.stack[i] = this.p.stack[i + 1];
      this.p.stack.pop();
      this.log.system("policy retire id=" + gone.id + " reason=history-full");
    }
    this.p.stack.push(rev);
    this.log.system("policy apply id=" + rev.id + " rules=" + rules.length.toString() + " sha256=" + rev.sha256.substring(0, 16));
    return null;
  }

  private rollback(o: JValue): NsError | null {
    const u = unknownKey(o, ["op", "id"]);
    if (u.length > 0) return bad("unknown field " + u);
    const id = o.get("id");
    if (id == null || id.kind != J_STRING || id.s.length == 0 || id.s.length > 64) return bad("id must be 1-64 characters");
    const cur = this.p.active();
    if (cur.id == MANIFEST_REVISION) return bad("nothing to roll back: the manifest's rules are enforced");
    if (cur.id != id.s) return bad("revision " + id.s + " is not the active revision (" + cur.id + ")");
    this.p.stack.pop();
    this.log.system("policy rollback id=" + id.s + " active=" + this.p.active().id);
    return null;
  }
}

/** /policy/revisions: the rollback stack, oldest first. */
function revisionLines(p: Policy): string[] {
  const out: string[] = [];
  const top = p.stack.length - 1;
  for (let i = 0; i <= top; i++) {
    const r = p.stack[i];
    out.push("revision id=" + r.id + " rules=" + r.rules.length.toString() + " sha256=" + r.sha256 + " active=" + (i == top ? "yes" : "no"));
  }
  return out;
}

/** /policy/preflight/req(.cbor): what the approval queue holds, before anything is written. */
class PreflightReq extends File {
  constructor(private p: Policy) {
    super("req", MODE_RO);
  }
  read(): string[] {
    const a = this.p.approvals;
    const out = ["req total=" + a.length.toString() + " queued=" + countState(a, "queued").toString() + " consumed=" + countState(a, "consumed").toString()];
    for (let i = 0; i < a.length; i++) out.push("req id=" + a[i].id + " target=" + a[i].target + " decision=" + verdict(a[i]) + " state=" + a[i].state);
    return out;
  }
}

/** The same as a CBOR map: total, queued, consumed, actions[{id, target, decision, state}]. */
class PreflightReqCbor extends BinaryFile {
  constructor(private p: Policy) {
    super("req.cbor");
  }
  bytes(): Uint8Array {
    const a = this.p.approvals;
    const w = new CborWriter();
    w.map(4).text("total").uint(<u64>a.length).text("queued").uint(<u64>countState(a, "queued")).text("consumed").uint(<u64>countState(a, "consumed"));
    w.text("actions").array(a.length);
    for (let i = 0; i < a.length; i++) w.map(4).text("id").text(a[i].id).text("target").text(a[i].target).text("decision").text(verdict(a[i])).text("state").text(a[i].state);
    return w.buf.slice(0, w.len);
  }
}

/** Per enforced rule, the approvals it gates; `unmatched` approvals match no rule (they approve nothing). */
class RuleTally {
  queued: i32 = 0;
  consumed: i32 = 0;
  constructor(public rule: Rule) {}
}

function tally(p: Policy): RuleTally[] {
  const rules = p.active().rules;
  const out: RuleTally[] = [];
  for (let r = 0; r < rules.length; r++) {
    const t = new RuleTally(rules[r]);
    for (let i = 0; i < p.approvals.length; i++) {
      const a = p.approvals[i];
      if (p.ruleFor(a.target) != rules[r].id) continue;
      if (a.state == "queued") t.queued++;
      else t.consumed++;
    }
    out.push(t);
  }
  return out;
}

function unmatched(p: Policy, t: RuleTally[]): i32 {
  let n = p.approvals.length;
  for (let i = 0; i < t.length; i++) n -= t[i].queued + t[i].consumed;
  return n;
}

/** /policy/preflight/diff(.cbor): approvals against the enforced rules. */
class PreflightDiff extends File {
  constructor(private p: Policy) {
    super("diff", MODE_RO);
  }
  read(): string[] {
    const t = tally(this.p);
    const out = ["diff rules=" + t.length.toString() + " actions=" + this.p.approvals.length.toString() + " unmatched=" + unmatched(this.p, t).toString()];
    for (let i = 0; i < t.length; i++) {
      out.push("rule id=" + t[i].rule.id + " target=" + t[i].rule.target + " queued=" + t[i].queued.toString() + " consumed=" + t[i].consumed.toString());
    }
    return out;
  }
}

/** The same as a CBOR map: rules, actions, unmatched, entries[{id, target, queued, consumed}]. */
class PreflightDiffCbor extends BinaryFile {
  constructor(private p: Policy) {
    super("diff.cbor");
  }
  bytes(): Uint8Array {
    const t = tally(this.p);
    const w = new CborWriter();
    w.map(4).text("rules").uint(<u64>t.length).text("actions").uint(<u64>this.p.approvals.length).text("unmatched").uint(<u64>unmatched(this.p, t));
    w.text("entries").array(t.length);
    for (let i = 0; i < t.length; i++) {
      w.map(4).text("id").text(t[i].rule.id).text("target").text(t[i].rule.target).text("queued").uint(<u64>t[i].queued).text("consumed").uint(<u64>t[i].consumed);
    }
    return w.buf.slice(0, w.len);
  }
}

function countState(a: Approval[], state: string): i32 {
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i].state == state) n++;
  return n;
}

function verdict(a: Approval): string {
  return a.decision == "approve" ? "allow" : "deny";
}

export class PreflightDir extends Dir {
  constructor(p: Policy) {
    super("preflight");
    this.add(new PreflightDiff(p));
    this.add(new PreflightDiffCbor(p));
    this.add(new PreflightReq(p));
    this.add(new PreflightReqCbor(p));
  }
}

/** /policy/ctl, /policy/revisions and /policy/preflight/. */
export class PolicyCtlProvider extends Provider {
  constructor(private p: Policy, private log: LogFile) {
    super();
  }

  mount(root: Dir, views: RoleViews): void {
    const d = dirAt(root, "/policy");
    d.add(new PolicyCtl(this.p, this.log));
    d.add(new ViewFile<Policy>("revisions", this.p, revisionLines));
    d.add(new PreflightDir(this.p));
  }
}
