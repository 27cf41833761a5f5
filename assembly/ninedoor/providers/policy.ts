// PolicyFS: writes to targets named by the manifest's [[policy_rules]] need an approval queued
// in /actions/queue; one approval allows exactly one write, a deny or a replay is refused. Every
// gate decision is recorded in /audit/decisions.

import { E_BUFFER_FULL } from "../../generated/protocol";
import { POLICY_CTL_MAX_BYTES, POLICY_QUEUE_MAX_ENTRIES, POLICY_REVISIONS_MAX, POLICY_RULE_IDS, POLICY_RULE_TARGETS, POLICY_RULES_MAX } from "../../generated/manifest";
import { sha256Hex } from "../../crypto/sha256";
import { jsonString } from "../../json/string";
import { DecisionLog } from "./audit";
import { Caller, Dir, File, MODE_RO, Node, NsError, ViewFile } from "../node";
import { RoleViews } from "../access";
import { bad, CtlFile, Fields } from "../ctl";
import { dirAt, Provider } from "../devtab";
import { onlyChars } from "../../text/charset";

export class Approval {
  state: string = "queued"; // queued | consumed
  constructor(public id: string, public target: string, public decision: string) {}

  json(): string {
    return '{"id":' + jsonString(this.id) + ',"target":' + jsonString(this.target) + ',"decision":"' + this.decision + '","state":"' + this.state + '"}';
  }
}

/** The answer for paths no rule names. */
export const NOT_GATED = new Approval("-", "-", "approve");

/** `*` matches exactly one path component. */
export function globMatch(pattern: string, path: string): bool {
  const p = pattern.split("/");
  const q = path.split("/");
  if (p.length != q.length) return false;
  for (let i = 0; i < p.length; i++) if (p[i] != "*" && p[i] != q[i]) return false;
  return true;
}

export class Rule {
  constructor(public id: string, public target: string) {}
}

/** The canonical text a rule set's sha256 is taken over: exactly the "rules" array /policy/rules shows. */
export function rulesJson(rules: Rule[]): string {
  let out = "[";
  for (let i = 0; i < rules.length; i++) out += (i > 0 ? "," : "") + '{"id":' + jsonString(rules[i].id) + ',"target":' + jsonString(rules[i].target) + "}";
  return out + "]";
}

/** A named rule set; the bottom of the stack is always the manifest's own ("manifest"). */
export class Revision {
  sha256: string;
  /** `sha256` when the caller has already hashed `rules` (it must be their digest). */
  constructor(public id: string, public rules: Rule[], sha256: string = "") {
    this.sha256 = sha256.length > 0 ? sha256 : sha256Hex(rulesJson(rules));
  }
}

export const MANIFEST_REVISION = "manifest";

function manifestRules(): Rule[] {
  const out: Rule[] = [];
  for (let i = 0; i < POLICY_RULE_IDS.length; i++) out.push(new Rule(POLICY_RULE_IDS[i], POLICY_RULE_TARGETS[i]));
  return out;
}

export class Policy {
  approvals: Approval[] = [];
  decisions: DecisionLog = new DecisionLog();
  /** Revisions for rollback, oldest first; the last one is enforced. Never empty. */
  stack: Revision[] = [new Revision(MANIFEST_REVISION, manifestRules())];

  active(): Revision {
    return this.stack[this.stack.length - 1];
  }

  /** The id of the first rule of the active revision that gates `path`, or "". */
  ruleFor(path: string): string {
    const rules = this.active().rules;
    for (let i = 0; i < rules.length; i++) if (globMatch(rules[i].target, path)) return rules[i].id;
    return "";
  }

  /**
   * For a gated path: the approval that lets this write go ahead, or null (refused: EPERM). For an
   * ungated path: `NOT_GATED`. The caller consumes the approval only if the write succeeds, so
   * a write refused for another reason (a lifecycle gate, bad JSON) does not use it up.
   */
  gate(path: string, who: Caller): Approval | null {
    const rule = this.ruleFor(path);
    if (rule.length == 0) return NOT_GATED;
    let found: Approval | null = null;
    for (let i = 0; i < this.approvals.length; i++) {
      const a = this.approvals[i];
      if (a.state == "queued" && a.target == path) {
        found = a;
        break;
      }
    }
    if (found == null) {
      this.decide("policy-gate", "deny", rule, path, "-", who);
      return null;
    }
    if (found.decision != "approve") {
      found.state = "consumed"; // a deny answers exactly this write
      this.decide("policy-gate", "deny", rule, path, found.id, who);
      return null;
    }
    return found;
  }

  /** The approved write happened: the approval is used up and the decision recorded. */
  consume(a: Approval, path: string, who: Caller): void {
    if (a === NOT_GATED) return;
    a.state = "consumed";
    this.decide("policy-gate", "allow", this.ruleFor(path), path, a.id, who);
  }

  decide(kind: string, outcome: string, rule: string, target: string, action: string, who: Caller): void {
    this.decisions.add(
      '"kind":"' + kind + '","outcome":"' + outcome + '","rule":' + jsonString(rule) +
        ',"target":' + jsonString(target) + ',"action":' + jsonString(action) + ',"role":' + jsonString(who.role) + ',"ticket":' + jsonString(who.ticket),
    );
  }
}

/** /actions/queue: `{"id","target","decision":"approve|deny"}`, strict, unique ids. */
export class ActionQueue extends CtlFile {
  constructor(private p: Policy) {
    super("queue");
  }

  read(): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.p.approvals.length; i++) out.push(this.p.approvals[i].json());
    return out;
  }

  append(line: string, who: Caller): NsError | null {
    const f = Fields.of(line, ["id", "target", "decision"]);
    const id = f.token("id", 64, "._-");
    if (id == "queue") f.fail("id must be 1-64 characters of [A-Za-z0-9._-]"); // the queue's own name
    const target = f.path("target", true, "target must be an absolute path");
    const decision = f.oneOf("decision", ["approve", "deny"], "decision must be approve or deny");
    if (!f.ok) return f.error();
    for (let i = 0; i < this.p.approvals.length; i++) if (this.p.approvals[i].id == id) return bad("id " + id + " already used");
    // Bounded: consumed approvals make room first; a queue full of pending ones refuses.
    if (this.p.approvals.length >= POLICY_QUEUE_MAX_ENTRIES) {
      let dropped = false;
      for (let i = 0; i < this.p.approvals.length; i++) {
        if (this.p.approvals[i].state == "consumed") {
          this.p.approvals.splice(i, 1);
          dropped = true;
          break;
        }
      }
      if (!dropped) return new NsError(E_BUFFER_FULL, "approval queue full");
    }
    this.p.approvals.push(new Approval(id, target, decision));
    this.p.decide("policy-action", decision == "approve" ? "allow" : "deny", this.p.ruleFor(target), target, id, who);
    return null;
  }
}

export function plainId(s: string): bool {
  return onlyChars(s, "._-") && s != "." && s != ".." && s != "queue";
}

class StatusFile extends File {
  constructor(private a: Approval) {
    super("status", MODE_RO);
  }
  read(): string[] {
    return [this.a.json()];
  }
}

class ActionDir extends Dir {
  constructor(a: Approval) {
    super(a.id);
    this.children.push(new StatusFile(a));
  }
}

/** /actions: the queue plus one directory per approval. */
export class ActionsDir extends Dir {
  private queue: ActionQueue;
  constructor(private p: Policy) {
    super("actions");
    this.queue = new ActionQueue(p);
  }
  entries(): Node[] {
    const ids: string[] = [];
    for (let i = 0; i < this.p.approvals.length; i++) ids.push(this.p.approvals[i].id);
    ids.push("queue");
    ids.sort();
    const out: Node[] = [];
    for (let i = 0; i < ids.length; i++) out.push(this.find(ids[i])!);
    return out;
  }
  find(name: string): Node | null {
    if (name == "queue") return this.queue;
    for (let i = 0; i < this.p.approvals.length; i++) if (this.p.approvals[i].id == name) return new ActionDir(this.p.approvals[i]);
    return null;
  }
}

/** /policy/rules: the enforced revision's rules as JSON, with the sha256 /policy/ctl names them by. */
function rulesLines(p: Policy): string[] {
  const r = p.active();
  const limits =
    '{"queue_max_entries":' + POLICY_QUEUE_MAX_ENTRIES.toString() + ',"ctl_max_bytes":' + POLICY_CTL_MAX_BYTES.toString() +
    ',"rules_max":' + POLICY_RULES_MAX.toString() + ',"revisions_max":' + POLICY_REVISIONS_MAX.toString() + "}";
  return [
    '{"enabled":' + (r.rules.length > 0 ? "true" : "false") + ',"revision":' + jsonString(r.id) + ',"sha256":"' + r.sha256 + '","limits":' + limits + ',"rules":' + rulesJson(r.rules) + "}",
  ];
}

/** /policy/rules, /actions (the queue and one directory per approval), /audit/decisions. */
export class PolicyProvider extends Provider {
  constructor(private p: Policy) {
    super();
  }

  mount(root: Dir, views: RoleViews): void {
    dirAt(root, "/policy").add(new ViewFile<Policy>("rules", this.p, rulesLines));
    root.add(new ActionsDir(this.p));
    dirAt(root, "/audit").add(new ViewFile<Policy>("decisions", this.p, (p: Policy): string[] => p.decisions.lines));
  }
}
