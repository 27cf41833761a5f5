// coh evidence (host/coh/evidence/): packs from a live hive are redacted, sealed and byte-identical
// for the same state; verify and the Python CI kit find a one-byte tamper; the timeline orders the
// journal, decisions and host tickets offline; the CLI works through a real hive-gateway process
// (REST), with a deterministic tar.

import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildPack, writePackDir } from "../host/coh/evidence/capture.js";
import { redact, redactJsonl } from "../host/coh/evidence/redact.js";
import { verifyPack } from "../host/coh/evidence/seal.js";
import { eventsOf, order } from "../host/coh/evidence/timeline.js";
import { MANIFEST } from "../host/generated/manifest.js";
import { mockTransport, type Transport } from "../host/sdk/connect.js";
import type { NamespaceClient } from "../host/sdk/ns.js";
import { clientOn } from "../host/sdk/open.js";
import { spawnGateway, TOKEN, type GatewayProcess } from "./helpers/gateway.js";
import { manifestTicket } from "./helpers/tickets.js";
import { runCmd, type Ran } from "./helpers/run.js";

const ROOT = resolve(import.meta.dirname, "..");
const tmp = mkdtempSync(join(tmpdir(), "evidence-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> => runCmd(cmd, args, { env, timeoutMs: 120_000 });
const coh = (args: string[], env: NodeJS.ProcessEnv = {}) => run(join(ROOT, "bin/coh"), args, env);

const SPEC = (id: string): string => JSON.stringify({ schema: "host-ticket/v1", id, idempotency_key: `${id}.k`, action: "docker.status-check" });

describe("redaction (reference §3.4)", () => {
  it("hashes tickets, blanks secret-looking keys and words, recurses into JSON strings; refuses non-JSON lines", () => {
    expect(redact({ ticket: "abc", nested: { api_key: "k", Authorization: "Bearer x" }, note: "token=abc", ok: "fine" })).toEqual({
      ticket: "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
      nested: { api_key: "<redacted>", Authorization: "<redacted>" },
      note: "<redacted>",
      ok: "fine",
    });
    expect(redact({ ticket: "none", t: "-", payload: '{"password":"p","x":1}' })).toEqual({ ticket: "none", t: "-", payload: '{"password":"<redacted>","x":1}' });
    expect(redact({ ticket: "0123456789abcdef" })).toEqual({ ticket: "0123456789abcdef" }); // the journal's tag stays
    expect(redactJsonl(['{"a":1}', "not json"], "/audit/journal")).toEqual({ ok: false, error: "/audit/journal line 2 is not JSON; refusing to export it unsanitised" });
  });
});

describe("packs from a live hive (in-process core, console)", () => {
  let t: Transport;
  let ns: NamespaceClient;
  beforeAll(async () => {
    t = await mockTransport();
    ns = clientOn(t, { protocol: "console", authToken: MANIFEST.console.auth_token, heartbeatMs: 0 });
    await ns.attach("queen");
    await ns.append("/queen/ctl", '{"spawn":"heartbeat","ticks":0}');
    await ns.append("/host/tickets/spec", SPEC("ev-1"));
    await ns.append("/host/tickets/spec", SPEC("ev-2"));
    await ns.append("/log/queen.log", "operator note before the pack");
  }, 60_000);
  afterAll(async () => {
    await ns?.close();
    await t?.stop();
  });

  it("two packs of the same state are byte-identical, sealed, and carry no raw ticket or token", async () => {
    const a = await buildPack(ns, { withTelemetry: false });
    const b = await buildPack(ns, { withTelemetry: false });
    expect([...a.files.keys()]).toEqual([...b.files.keys()]);
    for (const [k, v] of a.files) expect(Buffer.from(b.files.get(k)!).equals(Buffer.from(v)), k).toBe(true);
    expect(a.digest).toBe(b.digest);
    const dir = join(tmp, "p1");
    writePackDir(dir, a.files);
    expect(verifyPack(dir)).toMatchObject({ ok: true, digest: a.digest });
    expect(readFileSync(join(dir, "pack.sha256"), "utf8")).toBe(a.digest + "\n");
    expect(readFileSync(join(dir, "host/tickets/spec"), "utf8").trim().split("\n")).toEqual([SPEC("ev-1"), SPEC("ev-2")]);
    const all = [...a.files.values()].map((v) => Buffer.from(v).toString("utf8")).join("\n");
    expect(all).not.toContain(MANIFEST.console.auth_token === "changeme" ? "AUTH changeme" : MANIFEST.console.auth_token);
    expect(all).not.toContain(manifestTicket("queen"));
    expect(all).not.toMatch(/cohesix-ticket-/);
    const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as { items: { saved_as: string; status: string }[] };
    expect(summary.items.map((i) => i.saved_as)).toEqual([...summary.items.map((i) => i.saved_as)].sort());
    expect(summary.items.find((i) => i.saved_as === "proc/lease/preemptions")?.status).toBe("missing");
    expect(() => writePackDir(dir, a.files)).toThrow(/exists and is not empty/);
  });

  it("one tampered byte is found by verify (first mismatch named) and by the Python CI kit (exit 2)", async () => {
    const p = await buildPack(ns, { withTelemetry: false });
    const dir = join(tmp, "p2");
    writePackDir(dir, p.files);
    const ok = await run("python3", ["tools/cohesix-py/examples/ci_evidence_pack.py", "--pack", dir]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const f = join(dir, "host/tickets/spec");
    const bytes = readFileSync(f);
    bytes[10] ^= 0x01;
    writeFileSync(f, bytes);
    expect(verifyPack(dir)).toMatchObject({ ok: false, firstMismatch: "host/tickets/spec: changed" });
    writeFileSync(join(dir, "extra.txt"), "planted");
    expect(verifyPack(dir).problems).toEqual(["extra.txt: extra", "host/tickets/spec: changed"]);
    const bad = await run("python3", ["tools/cohesix-py/examples/ci_evidence_pack.py", "--pack", dir]);
    expect(bad.code).toBe(2);
    expect((JSON.parse(bad.stdout) as { errors: string[] }).errors).toEqual(["extra.txt: not in checksums.json", "host/tickets/spec: checksum mismatch"]);
  });

  it("the timeline orders journal entries by seq and links host tickets by correlation key", async () => {
    const p = await buildPack(ns, { withTelemetry: false });
    const text = (k: string): string[] => Buffer.from(p.files.get(k)!).toString("utf8").split("\n");
    const events = order([...eventsOf("host/tickets/spec", text("host/tickets/spec")), ...eventsOf("audit/journal", text("audit/journal"))]);
    const journal = events.filter((e) => e.source === "audit/journal");
    expect(journal.length).toBeGreaterThanOrEqual(1);
    expect(journal.map((e) => e.seq)).toEqual([...journal.map((e) => e.seq)].sort((x, y) => Number(x) - Number(y)));
    expect(journal[0]).toMatchObject({ kind: "write", path: "/queen/ctl", outcome: "ok", role: "queen", ticket: "-" });
    const specs = events.filter((e) => e.kind === "host-ticket.spec");
    expect(specs.map((e) => e.correlation_key)).toEqual(["ev-1:ev-1.k", "ev-2:ev-2.k"]);
    // Events with a seq come first; spec lines (no seq) after, by correlation key.
    expect(events.indexOf(specs[0])).toBeGreaterThan(events.indexOf(journal.at(-1)!));
  });
});

describe("the CLI through hive-gateway (REST)", () => {
  let gw: GatewayProcess;
  const env = { HIVE_GATEWAY_REQUEST_AUTH_TOKEN: TOKEN };
  beforeAll(async () => {
    gw = await spawnGateway(["--mock", "--bind", "127.0.0.1:0"], env);
    const r = await fetch(`${gw.url}/v1/fs/echo`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" }, body: JSON.stringify({ path: "/host/tickets/spec", line: SPEC("rest-1") }) });
    expect(r.status, await r.text()).toBe(200);
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
  });

  it("pack + tar twice: same digest, byte-identical tars; timeline re-seals; verify catches a tamper", async () => {
    const outs = ["c1", "c2"].map((n) => join(tmp, n));
    const digests: string[] = [];
    for (const o of outs) {
      const r = await coh(["--rest-url", gw.url, "evidence", "pack", "--out", o, "--tar", `${o}.tar`, "--json"], env);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const doc = JSON.parse(r.stdout) as { ok: boolean; result: { packSha256: string; errors: number } };
      expect(doc.ok).toBe(true);
      expect(doc.result.errors).toBe(0);
      digests.push(doc.result.packSha256);
    }
    expect(digests[0]).toBe(digests[1]);
    expect(readFileSync(`${outs[0]}.tar`).equals(readFileSync(`${outs[1]}.tar`))).toBe(true);
    expect(JSON.parse(readFileSync(join(outs[0], "bounds.json"), "utf8"))).toHaveProperty("gateway"); // the gateway's own bounds
    const tl = await coh(["evidence", "timeline", "--in", outs[0]]);
    expect(tl.code, tl.stdout + tl.stderr).toBe(0);
    expect(tl.stdout).toMatch(/^OK EVIDENCE timeline=\S+ events=\d+ pack_sha256=[0-9a-f]{64}\n$/);
    expect(readFileSync(join(outs[0], "timeline.md"), "utf8")).toContain("- ticket=rest-1:rest-1.k action=docker.status-check state=queued");
    expect((await coh(["evidence", "verify", "--in", outs[0]])).code).toBe(0); // re-sealed with the timeline in it
    writeFileSync(join(outs[0], "log/queen.log"), "forged\n");
    const v = await coh(["evidence", "verify", "--in", outs[0]]);
    expect(v.code).toBe(1);
    expect(v.stdout).toContain('first_mismatch="log/queen.log: changed"');
    // A tampered pack is not read into a timeline.
    const t2 = await coh(["evidence", "timeline", "--in", outs[0]]);
    expect(t2.code).toBe(1);
    expect(t2.stdout).toMatch(/^ERR EVIDENCE reason=.*does not match its seal \(log\/queen\.log: changed\)/);
    expect(existsSync(`${outs[0]}.tmp-${process.pid}`)).toBe(false);
  }, 120_000);

  it("a non-empty --out is refused (exit 1), nothing changed", async () => {
    const o = join(tmp, "c1");
    const before = readFileSync(join(o, "pack.sha256"), "utf8");
    const r = await coh(["--rest-url", gw.url, "evidence", "pack", "--out", o], env);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ERR EVIDENCE reason=.*exists and is not empty/);
    expect(readFileSync(join(o, "pack.sha256"), "utf8")).toBe(before);
  }, 60_000);
});
