// /policy/ctl revisions (apply / rollback, named by sha256), /policy/revisions and
// /policy/preflight/{req,diff}: on the default core (nothing gated) and on the regression core
// (which gates /policy/ctl itself). Long apply lines go over Secure9P, as an operator's would.

import { createHash } from "node:crypto";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import type { ConsoleClient } from "../host/sdk/console/client.js";
import { MANIFEST } from "../host/generated/manifest.js";
import { O_RDONLY, P9Client, P9Error } from "../host/sdk/p9/client.js";
import { Guest } from "../host/runtime/guest.js";
import { authed, queen } from "./helpers/console.js";
import { type CborValue, decodeCbor, fromB64Lines } from "./helpers/cbor.js";
import { nineSession } from "./helpers/p9.js";
import { buildRegressionCore } from "./helpers/regression_core.js";
import { manifestTicket } from "./helpers/tickets.js";

interface Rule {
  id: string;
  target: string;
}
const sha = (rules: Rule[]): string => createHash("sha256").update(JSON.stringify(rules)).digest("hex");
const wall = 1_800_000_000_000n;
const LIFECYCLE_RULE: Rule[] = [{ id: "lifecycle", target: "/queen/lifecycle/ctl" }];

let guest: Guest | null = null;
afterEach(async () => {
  await guest?.stop();
  guest = null;
});

async function boot(wasm?: string): Promise<ConsoleClient> {
  guest = await Guest.start({ manualClock: true, wallMs: () => wall, wasm });
  return queen(guest);
}

const nine = (): Promise<{ c: P9Client; root: number }> => nineSession(guest!, wall);

/** Rlerror carries only an errno; the reason is in the journal entry the write left. */
async function errOf(q: ConsoleClient, p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof P9Error)) throw e;
    const last = JSON.parse((await q.request("CAT /audit/journal")).lines.at(-1) ?? "{}");
    return `${e.code} ${last.error?.message ?? ""}`;
  }
  return "ok";
}

const rulesOf = async (q: ConsoleClient): Promise<{ revision: string; sha256: string; enabled: boolean; rules: Rule[] }> =>
  JSON.parse((await q.request("CAT /policy/rules")).lines[0]);
const snapshot = async (q: ConsoleClient): Promise<string> =>
  JSON.stringify([(await q.request("CAT /policy/rules")).lines, (await q.request("CAT /policy/revisions")).lines]);

describe("policy revisions (default manifest: nothing gated)", () => {
  it("the manifest revision is named by the sha256 of its canonical rules", async () => {
    const q = await boot();
    const r = await rulesOf(q);
    expect(r).toMatchObject({ revision: "manifest", enabled: false, rules: [], sha256: sha([]) });
    expect((await q.request("CAT /policy/revisions")).lines).toEqual([`revision id=manifest rules=0 sha256=${sha([])} active=yes`]);
  });

  it("apply tightens: a new rule gates its target until rollback", async () => {
    const q = await boot();
    const { c, root } = await nine();
    const line = JSON.stringify({ op: "apply", id: "rev-1", sha256: sha(LIFECYCLE_RULE), rules: LIFECYCLE_RULE });
    expect(line.length).toBeGreaterThan(MANIFEST.console.echo_max); // why 9P: the console's echo bound
    await c.append(root, "/policy/ctl", line + "\n");
    expect(await rulesOf(q)).toMatchObject({ revision: "rev-1", enabled: true, rules: LIFECYCLE_RULE, sha256: sha(LIFECYCLE_RULE) });
    expect((await q.request("CAT /policy/revisions")).lines).toEqual([
      `revision id=manifest rules=0 sha256=${sha([])} active=no`,
      `revision id=rev-1 rules=1 sha256=${sha(LIFECYCLE_RULE)} active=yes`,
    ]);
    expect((await q.request("ECHO /queen/lifecycle/ctl cordon")).ack).toContain("error=EPERM");
    expect((await q.request('ECHO /actions/queue {"id":"ok-1","target":"/queen/lifecycle/ctl","decision":"approve"}')).ok).toBe(true);
    expect((await q.request("ECHO /queen/lifecycle/ctl cordon")).ok).toBe(true);
    expect((await q.request("ECHO /queen/lifecycle/ctl resume")).ack).toContain("error=EPERM");
    expect((await q.request('ECHO /policy/ctl {"op":"rollback","id":"rev-1"}')).ok).toBe(true);
    expect(await rulesOf(q)).toMatchObject({ revision: "manifest", rules: [] });
    expect((await q.request("ECHO /queen/lifecycle/ctl resume")).ok).toBe(true);
    const log = (await q.request("TAIL /log/queen.log")).lines;
    expect(log).toContain(`policy apply id=rev-1 rules=1 sha256=${sha(LIFECYCLE_RULE).slice(0, 16)}`);
    expect(log).toContain("policy rollback id=rev-1 active=manifest");
  });

  it("apply without rules re-activates a held rule set by its digest (fits the console)", async () => {
    const q = await boot();
    const { c, root } = await nine();
    await c.append(root, "/policy/ctl", JSON.stringify({ op: "apply", id: "rev-1", sha256: sha(LIFECYCLE_RULE), rules: LIFECYCLE_RULE }));
    expect((await q.request(`ECHO /policy/ctl {"op":"apply","id":"base","sha256":"${sha([])}"}`)).ok).toBe(true);
    expect(await rulesOf(q)).toMatchObject({ revision: "base", rules: [] });
    expect((await q.request(`ECHO /policy/ctl {"op":"apply","id":"again","sha256":"${sha(LIFECYCLE_RULE)}"}`)).ok).toBe(true);
    expect(await rulesOf(q)).toMatchObject({ revision: "again", rules: LIFECYCLE_RULE });
  });

  it("refuses bad lines with a clear error and leaves the policy unchanged", async () => {
    const q = await boot();
    const { c, root } = await nine();
    await c.append(root, "/policy/ctl", JSON.stringify({ op: "apply", id: "rev-1", sha256: sha(LIFECYCLE_RULE), rules: LIFECYCLE_RULE }));
    const before = await snapshot(q);
    const consoleCases: [string, string][] = [
      ["{", "invalid payload"],
      ["[]", "expected a JSON object"],
      ['{"op":"delete","id":"x"}', "op must be apply or rollback"],
      ['{"op":7}', "op must be apply or rollback"],
      ['{"id":"x"}', "op must be apply or rollback"],
      [`{"op":"apply","id":"x","sha256":"${sha([])}","extra":1}`, "unknown field extra"],
      [`{"op":"apply","id":7,"sha256":"${sha([])}"}`, "id must be"],
      [`{"op":"apply","id":"manifest","sha256":"${sha([])}"}`, "id must be"],
      [`{"op":"apply","id":"a b","sha256":"${sha([])}"}`, "id must be"],
      [`{"op":"apply","id":"rev-1","sha256":"${sha([])}"}`, "revision rev-1 is already held"],
      ['{"op":"apply","id":"x","sha256":"ABC"}', "sha256 must be 64 lower-case hex digits"],
      [`{"op":"apply","id":"x","sha256":"${sha([]).toUpperCase()}"}`, "sha256 must be 64 lower-case hex digits"],
      [`{"op":"apply","id":"x","sha256":"${"0".repeat(64)}"}`, "no held revision has sha256 0000000000000000"],
      ['{"op":"rollback","id":"manifest"}', "is not the active revision (rev-1)"],
      ['{"op":"rollback","id":"rev-2"}', "is not the active revision (rev-1)"],
      ['{"op":"rollback","id":"rev-1","why":"x"}', "unknown field why"],
      ['{"op":"rollback"}', "id must be"],
    ];
    for (const [line, want] of consoleCases) {
      const r = await q.request(`ECHO /policy/ctl ${line}`);
      expect(r.ack, line).toMatch(/^ERR ECHO reason=policy detail=invalid-payload path=\/policy\/ctl error=/);
      expect(r.ack, line).toContain(want);
    }
    const long = "r".repeat(65);
    const rule = (id: string, target: string): Rule => ({ id, target });
    const nineCases: [unknown, string][] = [
      [{ op: "apply", id: long, sha256: sha([]) }, "id must be"],
      [{ op: "apply", id: "x", sha256: sha([]), rules: {} }, "rules must be an array"],
      [{ op: "apply", id: "x", sha256: sha([]), rules: [7] }, "rules[0] must be an object"],
      [{ op: "apply", id: "x", sha256: sha([]), rules: [{ id: "a", target: "/x", z: 1 }] }, "rules[0] unknown field z"],
      [{ op: "apply", id: "x", sha256: sha([]), rules: [rule("A", "/x")] }, "rules[0].id must be"],
      [{ op: "apply", id: "x", sha256: sha([]), rules: [rule("-a", "/x")] }, "rules[0].id must be"],
      [{ op: "apply", id: "x", sha256: sha([]), rules: [rule(long.toLowerCase(), "/x")] }, "rules[0].id must be"],
      [{ op: "apply", id: "x", sha256: sha([]), rules: [rule("a", "x")] }, "rules[0].target must be"],
      [{ op: "apply", id: "x", sha256: sha([]), rules: [rule("a", "/x/../y")] }, "rules[0].target must be"],
      [{ op: "apply", id: "x", sha256: sha([]), rules: [rule("a", "/x//y")] }, "rules[0].target must be"],
      [{ op: "apply", id: "x", sha256: sha([]), rules: [rule("a", "/x y")] }, "rules[0].target must be"],
      [{ op: "apply", id: "x", sha256: sha([]), rules: [rule("a", "/" + "p".repeat(MANIFEST.namespace.component_max + 1))] }, "rules[0].target must be"],
      [{ op: "apply", id: "x", sha256: sha([]), rules: [rule("a", "/x"), rule("a", "/y")] }, "rules[1] repeats rule a"],
      [{ op: "apply", id: "x", sha256: sha([]), rules: [rule("a", "/x"), rule("b", "/x")] }, "rules[1] repeats rule a"],
      [{ op: "apply", id: "x", sha256: sha([]), rules: LIFECYCLE_RULE }, `sha256 mismatch: the rules hash to ${sha(LIFECYCLE_RULE)}`],
    ];
    const many = Array.from({ length: MANIFEST.policy.rules_max + 1 }, (_, i) => rule(`r${i}`, `/queen/r${i}`));
    nineCases.push([{ op: "apply", id: "x", sha256: sha(many), rules: many }, `at most ${MANIFEST.policy.rules_max} rules`]);
    for (const [obj, want] of nineCases) {
      const e = await errOf(q, c.append(root, "/policy/ctl", JSON.stringify(obj)));
      expect(e, JSON.stringify(obj)).toContain(want);
    }
    // Past the line bound: refused whole, even though the JSON would be valid.
    const pad = JSON.stringify({ op: "apply", id: "x", sha256: sha([]) }).length;
    const overLong = JSON.stringify({ op: "apply", id: "x", sha256: sha([]) }) + " ".repeat(MANIFEST.policy.ctl_max_bytes - pad + 1);
    expect(await errOf(q, c.append(root, "/policy/ctl", overLong))).toContain(`line exceeds ${MANIFEST.policy.ctl_max_bytes} bytes`);
    expect(await snapshot(q)).toBe(before);
    // At the rules bound: taken.
    const max = many.slice(0, MANIFEST.policy.rules_max);
    expect(await errOf(q, c.append(root, "/policy/ctl", JSON.stringify({ op: "apply", id: "full", sha256: sha(max), rules: max })))).toBe("ok");
    expect((await rulesOf(q)).rules).toHaveLength(MANIFEST.policy.rules_max);
  });

  it("keeps at most revisions_max revisions: the oldest applied one retires, the manifest's stays", async () => {
    const q = await boot();
    const max = MANIFEST.policy.revisions_max;
    for (let i = 1; i <= max; i++) {
      expect((await q.request(`ECHO /policy/ctl {"op":"apply","id":"r${i}","sha256":"${sha([])}"}`)).ok).toBe(true);
    }
    const ids = (await q.request("CAT /policy/revisions")).lines.map((l) => l.split(" ")[1]);
    expect(ids).toHaveLength(max);
    expect(ids[0]).toBe("id=manifest");
    expect(ids[1]).toBe("id=r2"); // r1 retired when r8 came
    expect(ids[max - 1]).toBe(`id=r${max}`);
    expect((await q.request("TAIL /log/queen.log")).lines).toContain("policy retire id=r1 reason=history-full");
    // Rolling all the way back ends at the manifest, and no further.
    for (let i = max; i >= 2; i--) expect((await q.request(`ECHO /policy/ctl {"op":"rollback","id":"r${i}"}`)).ok).toBe(true);
    expect((await rulesOf(q)).revision).toBe("manifest");
    expect((await q.request('ECHO /policy/ctl {"op":"rollback","id":"manifest"}')).ack).toContain("nothing to roll back");
  });

  it("only the queen may write /policy/ctl", async () => {
    const q = await boot();
    expect((await q.request('ECHO /queen/ctl {"spawn":"heartbeat","ticks":0}')).ok).toBe(true);
    const w = await authed(guest!);
    expect((await w.request(`ATTACH worker-heartbeat ${manifestTicket("worker-heartbeat", "worker-1", wall)}`)).ok).toBe(true);
    expect((await w.request(`ECHO /policy/ctl {"op":"apply","id":"x","sha256":"${sha([])}"}`)).ack).toContain("ERR ECHO reason=policy detail=denied");
    expect((await w.request("CAT /policy/rules")).ok).toBe(false);
    expect((await rulesOf(q)).revision).toBe("manifest");
  });

  it("apply and rollback are journalled and replay to the same state", async () => {
    const q = await boot();
    expect((await q.request(`ECHO /policy/ctl {"op":"apply","id":"r1","sha256":"${sha([])}"}`)).ok).toBe(true);
    expect((await q.request(`ECHO /policy/ctl {"op":"apply","id":"r1","sha256":"${sha([])}"}`)).ok).toBe(false);
    expect((await q.request('ECHO /policy/ctl {"op":"rollback","id":"r1"}')).ok).toBe(true);
    const journal = (await q.request("CAT /audit/journal")).lines.map((l) => JSON.parse(l));
    expect(journal.map((j) => [j.path, j.outcome])).toEqual([
      ["/policy/ctl", "ok"],
      ["/policy/ctl", "err"],
      ["/policy/ctl", "ok"],
    ]);
    expect((await q.request('ECHO /replay/ctl {"from":0}')).ok).toBe(true);
    expect(JSON.parse((await q.request("CAT /replay/status")).lines[0])).toMatchObject({ state: "ok", entries: 3, match: true });
  });
});

describe("policy revisions and preflight (regression manifest)", () => {
  let wasm = "";
  beforeAll(() => {
    wasm = buildRegressionCore("policy-ctl");
  }, 60_000);
  const base: Rule[] = [
    { id: "queen-ctl", target: "/queen/ctl" },
    { id: "systemd-restart", target: "/host/systemd/*/restart" },
    { id: "policy-ctl", target: "/policy/ctl" },
  ];

  it("changing the policy needs an approval, and a revision must keep every manifest rule", async () => {
    const q = await boot(wasm);
    const { c, root } = await nine();
    const tighter = [...base, ...LIFECYCLE_RULE];
    const line = JSON.stringify({ op: "apply", id: "rev-1", sha256: sha(tighter), rules: tighter });
    expect(await errOf(q, c.append(root, "/policy/ctl", line))).toContain("EACCES");
    expect((await q.request('ECHO /actions/queue {"id":"p1","target":"/policy/ctl","decision":"approve"}')).ok).toBe(true);
    const looser = base.slice(0, 2);
    expect(await errOf(q, c.append(root, "/policy/ctl", JSON.stringify({ op: "apply", id: "rev-0", sha256: sha(looser), rules: looser })))).toContain(
      "a revision must keep manifest rule policy-ctl",
    );
    expect((await q.request("CAT /actions/p1/status")).lines[0]).toContain('"state":"queued"'); // the refused write did not use it
    expect(await errOf(q, c.append(root, "/policy/ctl", line))).toBe("ok");
    expect(await rulesOf(q)).toMatchObject({ revision: "rev-1", rules: tighter });
    expect((await q.request('ECHO /policy/ctl {"op":"rollback","id":"rev-1"}')).ack).toContain("error=EPERM");
  });

  it("preflight counts approvals per rule and the ones no rule matches", async () => {
    const q = await boot(wasm);
    expect((await q.request("CAT /policy/preflight/req")).lines).toEqual(["req total=0 queued=0 consumed=0"]);
    await q.request('ECHO /actions/queue {"id":"a1","target":"/queen/ctl","decision":"approve"}');
    await q.request('ECHO /actions/queue {"id":"a2","target":"/queen/ctl","decision":"deny"}');
    await q.request('ECHO /actions/queue {"id":"a3","target":"/nowhere","decision":"approve"}');
    expect((await q.request("ECHO /queen/lifecycle/ctl resume")).ok).toBe(true);
    expect((await q.request('ECHO /queen/ctl {"spawn":"heartbeat","ticks":0}')).ok).toBe(true); // uses a1
    expect((await q.request("CAT /policy/preflight/req")).lines).toEqual([
      "req total=3 queued=2 consumed=1",
      "req id=a1 target=/queen/ctl decision=allow state=consumed",
      "req id=a2 target=/queen/ctl decision=deny state=queued",
      "req id=a3 target=/nowhere decision=allow state=queued",
    ]);
    expect((await q.request("CAT /policy/preflight/diff")).lines).toEqual([
      "diff rules=3 actions=3 unmatched=1",
      "rule id=queen-ctl target=/queen/ctl queued=1 consumed=1",
      "rule id=systemd-restart target=/host/systemd/*/restart queued=0 consumed=0",
      "rule id=policy-ctl target=/policy/ctl queued=0 consumed=0",
    ]);
    expect((await q.request("ECHO /policy/preflight/req x")).ack).toContain("detail=denied");
    // The CBOR views carry the same figures (reference field order; b64 lines on the console).
    const asMap = (v: CborValue): Record<string, unknown> =>
      Object.fromEntries([...(v as Map<string, CborValue>)].map(([k, x]) => [k, Array.isArray(x) ? x.map((e) => asMap(e)) : x]));
    const req = decodeCbor(fromB64Lines((await q.request("CAT /policy/preflight/req.cbor")).lines));
    expect(req.nonShortest).toEqual([]);
    expect(asMap(req.value)).toEqual({
      total: 3,
      queued: 2,
      consumed: 1,
      actions: [
        { id: "a1", target: "/queen/ctl", decision: "allow", state: "consumed" },
        { id: "a2", target: "/queen/ctl", decision: "deny", state: "queued" },
        { id: "a3", target: "/nowhere", decision: "allow", state: "queued" },
      ],
    });
    const diffBytes = fromB64Lines((await q.request("CAT /policy/preflight/diff.cbor")).lines);
    const diff = decodeCbor(diffBytes);
    expect(asMap(diff.value)).toEqual({
      rules: 3,
      actions: 3,
      unmatched: 1,
      entries: [
        { id: "queen-ctl", target: "/queen/ctl", queued: 1, consumed: 1 },
        { id: "systemd-restart", target: "/host/systemd/*/restart", queued: 0, consumed: 0 },
        { id: "policy-ctl", target: "/policy/ctl", queued: 0, consumed: 0 },
      ],
    });
    // Secure9P serves the same bytes raw.
    const { c, root } = await nine();
    const { fid } = await c.walkPath(root, "/policy/preflight/diff.cbor");
    await c.open(fid, O_RDONLY);
    expect(Buffer.from(await c.read(fid, 0, 8192))).toEqual(Buffer.from(diffBytes));
  });
});
