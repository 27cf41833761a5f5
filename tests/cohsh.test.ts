// cohsh: `.coh` parsing and checking, script runs against the Node-hosted guest over loopback
// and over real TCP (byte-identical transcripts), reconnection, and the CLI's exit codes.

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { expectHolds, MAX_SCRIPT_LINES, parseScript } from "../host/cohsh/script.js";
import { Session } from "../host/sdk/console/session.js";
import { Shell, spawnJson } from "../host/cohsh/shell.js";
import { chunk, envelope, escapeJson } from "../host/sdk/telemetry.js";
import { COHSH_POLICY_SHA256 } from "../host/generated/manifest.js";
import { Guest } from "../host/runtime/guest.js";
import { ROOT } from "./helpers/serial.js";
import { cohsh, loopbackConnector, runCohFile, tcpConnector } from "./helpers/cohsh.js";

const SCRIPTS = ["tests/scripts/tcp_basic.coh", "tests/scripts/log_batch.coh", "tests/scripts/negative.coh", "tests/scripts/lifecycle_basic.coh", "tests/scripts/workers.coh", "tests/scripts/telemetry_push.coh", "tests/scripts/tickets.coh", "tests/scripts/replay_journal.coh", "tests/scripts/export_window.coh"];

function tmpFile(name: string, text: string): string {
  const p = join(mkdtempSync(join(tmpdir(), "cohsh-")), name);
  writeFileSync(p, text);
  return p;
}

describe(".coh grammar", () => {
  it("parses commands, EXPECT forms, WAIT and comments", () => {
    const s = parseScript("# header\nattach queen  # trailing comment\nEXPECT OK\nEXPECT SUBSTR role=queen\nEXPECT NOT ERR\nWAIT 2000\necho a#b > /log/queen.log\n");
    expect(s.map((x) => x.kind)).toEqual(["command", "expect", "expect", "expect", "wait", "command"]);
    expect(s[5]).toMatchObject({ text: "echo a#b > /log/queen.log", line: 7 });
  });

  for (const [name, src, msg] of [
    ["WAIT over the cap", "ping\nWAIT 2001\n", "line 2: WAIT 2001 exceeds the 2000 ms cap"],
    ["WAIT not a number", "ping\nWAIT soon\n", "line 2: WAIT needs one whole number"],
    ["EXPECT first", "EXPECT OK\n", "line 1: EXPECT before any command"],
    ["unknown EXPECT", "ping\nEXPECT MAYBE\n", "line 2: unknown EXPECT form 'MAYBE'"],
    ["EXPECT SUBSTR without text", "ping\nEXPECT SUBSTR\n", "line 2: EXPECT SUBSTR needs a text"],
    ["unknown command", "ping\nfrobnicate\n", "line 2: unknown command 'frobnicate'"],
    ["too many lines", "ping\n".repeat(MAX_SCRIPT_LINES + 1), `script has ${MAX_SCRIPT_LINES + 1} lines`],
  ] as const) {
    it(`refuses ${name}`, () => {
      expect(() => parseScript(src)).toThrow(msg);
    });
  }

  it("accepts exactly 256 lines", () => {
    expect(parseScript("ping\n".repeat(MAX_SCRIPT_LINES))).toHaveLength(MAX_SCRIPT_LINES);
  });

  it("EXPECT semantics", () => {
    expect(expectHolds("OK", "", "OK PING reply=pong")).toBe(true);
    expect(expectHolds("OK", "", "ERR PING reason=policy")).toBe(false);
    expect(expectHolds("ERR", "", "ERR X reason=policy")).toBe(true);
    expect(expectHolds("SUBSTR", "a|b", "OK CAT data=a|b")).toBe(true);
    expect(expectHolds("NOT", "ERR", "OK CAT")).toBe(true);
    expect(expectHolds("NOT", "OK", "OK CAT")).toBe(false);
  });

  it("telemetry push chunks records to fit one console ECHO and escapes only what the guest reads", () => {
    const pieces = chunk("a".repeat(300), "text/plain", 128);
    expect(pieces.join("")).toBe("a".repeat(300));
    pieces.forEach((p, i) => expect(Buffer.byteLength(envelope(i + 1, "text/plain", p))).toBeLessThanOrEqual(128));
    expect(escapeJson('q"\\\n')).toBe('q\\"\\\\\\n');
    expect(() => escapeJson("\u0001")).toThrow("control character 0x1");
  });

  it("spawn arguments become the /queen/ctl JSON of the original", () => {
    expect(spawnJson(["heartbeat", "ticks=100"])).toBe('{"spawn":"heartbeat","ticks":100}');
    expect(spawnJson(["heartbeat", "ticks=5", "ttl_s=60", "ops=3"])).toBe('{"spawn":"heartbeat","ticks":5,"budget":{"ttl_s":60,"ops":3}}');
    expect(spawnJson(["gpu", "gpu_id=GPU-0", "mem_mb=4096", "streams=2", "ttl_s=120"])).toBe(
      '{"spawn":"gpu","lease":{"gpu_id":"GPU-0","mem_mb":4096,"streams":2,"ttl_s":120}}',
    );
    expect(() => spawnJson(["heartbeat", "ticks=-1"])).toThrow("ticks must be a non-negative integer");
    expect(() => spawnJson(["heartbeat", "ticks=1", "ticks=2"])).toThrow("given twice");
    expect(() => spawnJson(["gpu", "gpu_id=GPU-0"])).toThrow("missing mem_mb=");
    expect(() => spawnJson(["rocket"])).toThrow("spawn needs 'heartbeat' or 'gpu'");
  });
});

describe("scripts against the Node-hosted guest", () => {
  let loop: Guest;
  let tcp: Guest;
  beforeEach(async () => {
    loop = await Guest.start();
    tcp = await Guest.start({ net: "sockets", sockets: { portMap: { 31337: 0, 31338: 0, 31339: 0 } } });
  });
  afterEach(async () => {
    await loop.stop();
    await tcp.stop();
  });

  for (const file of SCRIPTS) {
    it(`${file}: passes, and loopback and real TCP give byte-identical transcripts`, async () => {
      const a = await runCohFile(file, loopbackConnector(loop));
      const b = await runCohFile(file, tcpConnector(tcp.sockets.bound.get(31337) as number));
      expect(a.result).toMatchObject({ ok: true });
      expect(b.result).toMatchObject({ ok: true });
      expect(a.transcript.length).toBeGreaterThan(50);
      expect(b.transcript).toBe(a.transcript);
    });
  }

  it("a failing EXPECT stops the run and names its line", async () => {
    const f = tmpFile("fail.coh", "attach queen\nping\nEXPECT SUBSTR nope\nls /\n");
    const r = await runCohFile(f, loopbackConnector(loop));
    expect(r.result).toEqual({ ok: false, commands: 2, failure: { line: 3, text: "EXPECT SUBSTR nope", reason: "response was 'OK PING reply=pong'" } });
    expect(r.transcript).not.toContain("OK LS");
  });

  it("an ERR not followed by EXPECT fails the run", async () => {
    const r = await runCohFile(tmpFile("err.coh", "ls /\nping\n"), loopbackConnector(loop));
    expect(r.result.ok).toBe(false);
    expect(r.result.failure).toMatchObject({ line: 1, reason: "command failed: ERR LS reason=policy detail=unauthenticated" });
  });

  it("after the server drops the connection, the next command reconnects and silently re-attaches", async () => {
    const session = new Session({ connector: loopbackConnector(loop), authToken: "changeme", heartbeatMs: 0, retry: { maxAttempts: 3, backoffMs: 10, ceilingMs: 20 } });
    const shell = new Shell(session);
    expect((await shell.run("attach queen")).response).toBe("OK ATTACH role=queen");
    // The server closes this session (QUIT on the wire, bypassing the shell's own quit).
    expect((await session.request("QUIT")).ack).toBe("OK QUIT");
    await new Promise((r) => setTimeout(r, 20));
    expect(session.isConnected).toBe(false);
    const r = await shell.run("log");
    expect(r.response).toBe("OK TAIL path=/log/queen.log");
    // Two attaches in the log: the operator's and the silent re-attach; no second banner or ack shown.
    expect(r.lines.filter((l) => l === "console attach outcome=allow role=queen ticket=-")).toHaveLength(2);
    session.close();
  });

  it("a wrong token is final: no retry loop, a clear error", async () => {
    const session = new Session({ connector: loopbackConnector(loop), authToken: "wrong", heartbeatMs: 0 });
    await expect(session.connect()).rejects.toThrow("authentication refused: ERR AUTH reason=invalid-token");
    session.close();
  });

  it("an idle session sends silent PING keepalives that never reach the output", async () => {
    const session = new Session({ connector: loopbackConnector(loop), authToken: "changeme", heartbeatMs: 50 });
    const shell = new Shell(session);
    await shell.run("attach queen");
    await new Promise((r) => setTimeout(r, 1300));
    const stats = await shell.run("ping");
    expect(stats.lines).toEqual(["PONG", "OK PING reply=pong"]);
    const net = await session.request("NETSTATS");
    // AUTH + ATTACH + keepalive PINGs + ping + NETSTATS: more frames in than the shell sent.
    const framesIn = Number(/frames_in=(\d+)/.exec(net.lines.join(" "))?.[1]);
    expect(framesIn).toBeGreaterThan(4);
    session.close();
  });
});

describe("cohsh CLI", () => {
  it("--check accepts a good script and rejects a bad one with the line", async () => {
    const good = await cohsh(["--check", "tests/scripts/tcp_basic.coh"]);
    expect(good.code).toBe(0);
    expect(good.stdout).toContain("OK (");
    const bad = await cohsh(["--check", tmpFile("bad.coh", "ping\nWAIT 5000\n")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("line 2: WAIT 5000 exceeds the 2000 ms cap");
  });

  it("--transport mock --script runs and exits 0; a failing script exits 1 naming the line", async () => {
    const ok = await cohsh(["--transport", "mock", "--script", "tests/scripts/tcp_basic.coh"]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("OK ATTACH role=queen");
    const fail = await cohsh(["--transport", "mock", "--script", tmpFile("f.coh", "attach queen\ncat /nope\nEXPECT OK\n")]);
    expect(fail.code).toBe(1);
    expect(fail.stderr).toContain("FAIL at line 3 (EXPECT OK): response was 'ERR CAT reason=policy detail=invalid-path path=/nope error=invalid path'");
  });

  it("piped stdin with --role: attaches first, then runs the lines as a script (no banner, no prompt)", async () => {
    const r = await cohsh(["--transport", "mock", "--role", "queen"], "ping\nquit\n");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("OK ATTACH role=queen\nPONG\nOK PING reply=pong\nOK QUIT\nclosing session\n");
  });

  it("pool bench: several sessions at once, every record observed, a failure injected and retried", async () => {
    const r = await cohsh(["--transport", "mock", "--script", "tests/scripts/session_pool.coh"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^pool bench pooled ops=64 sessions=3 /m);
    expect(r.stdout).toContain("pool bench result OK retries=1 pool_exhausted=1 failures=0 expected=64 observed=64");
    const bad = await cohsh(["--transport", "mock", "--script", tmpFile("p.coh", "attach queen\npool bench ops=65\nEXPECT ERR\npool bench nope=1\nEXPECT SUBSTR unknown key 'nope'\n")]);
    expect(bad.code).toBe(0);
  });

  it("test: the guest's three self-tests pass, in the seeds' --json schema; --no-mutate and the timeout cap", async () => {
    const input = "attach queen\ntest --mode quick --json\ntest --mode full --json\ntest --mode negative --json\ntest --mode full --no-mutate\ntest --timeout 121\nEXPECT ERR\nquit\n";
    const r = await cohsh(["--transport", "mock"], input);
    expect(r.code).toBe(0);
    const reports = r.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { ok: boolean; mode: string; elapsed_ms: number; checks: Array<{ name: string; ok: boolean; detail: string }>; version: string });
    expect(reports.map((x) => [x.mode, x.ok, x.version])).toEqual([
      ["quick", true, "1"],
      ["full", true, "1"],
      ["negative", true, "1"],
    ]);
    for (const x of reports) {
      expect(x.checks[0]).toEqual({ name: "preflight/ping", ok: true, detail: "OK PING reply=pong" });
      expect(typeof x.elapsed_ms).toBe("number");
    }
    expect(reports[1].checks.some((c) => c.name.includes("spawn heartbeat"))).toBe(true);
    expect(r.stdout).toMatch(/test full: PASS \(\d+ checks/);
    expect(r.stdout).toContain("ERR TEST reason=policy detail=--timeout is capped at 120 s");
  });

  it("refuses a policy file whose hash is not the one it was built with, naming file and hashes", async () => {
    const bad = tmpFile("cohsh_policy.toml", readFileSync(join(ROOT, "out/cohsh_policy.toml"), "utf8").replace("backoff_ms = 200", "backoff_ms = 1"));
    const r = await cohsh(["--transport", "mock", "--policy", bad, "--script", "tests/scripts/tcp_basic.coh"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`policy file ${bad} has sha256 `);
    expect(r.stderr).toContain(`but this cohsh was built for ${COHSH_POLICY_SHA256}`);
    const missing = await cohsh(["--transport", "mock", "--policy", "/nonexistent/p.toml", "--script", "tests/scripts/tcp_basic.coh"]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("policy file /nonexistent/p.toml not found");
  });

  it("connection refused is a clear error and exit 1", async () => {
    const r = await cohsh(["--tcp-port", "1", "--retry-max-attempts", "1", "--script", "tests/scripts/tcp_basic.coh"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cannot connect to 127.0.0.1:1");
  });
});
