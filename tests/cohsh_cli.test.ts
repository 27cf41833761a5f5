// cohsh's command line as a new user meets it (issue 12): short option errors, piped stdin as a
// script, the seeds' flags and env names, --protocol over the mock, record/replay, the console
// lock, and the seed details (ping, log N, mount, cat of the queen log, pool bench options).

import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { lockPath } from "../host/cohsh/lock.js";
import { TRACE_MAX_BYTES } from "../host/cohsh/trace.js";
import { Guest } from "../host/runtime/guest.js";
import { cohsh } from "./helpers/cohsh.js";
import { ROOT } from "./helpers/serial.js";

const dir = mkdtempSync(join(tmpdir(), "cohsh-cli-"));
function tmpFile(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
const mock = (args: string[], input = "", env?: NodeJS.ProcessEnv) => cohsh(["--transport", "mock", ...args], input, 30_000, env);

describe("option errors come first and short", () => {
  const cases: Array<[string[], string]> = [
    [["--rest-urlx", "x"], "cohsh: unknown option --rest-urlx (see cohsh --help)"],
    [["--tcpPort", "5"], "cohsh: unknown option --tcpPort (see cohsh --help)"],
    [["--tcp-port", "abc"], "cohsh: --tcp-port must be a whole number 1..65535, got 'abc'"],
    [["--tcp-port", "70000"], "cohsh: --tcp-port must be 1..65535, got 70000"],
    [["--retry-max-attempts", "-1"], "cohsh: --retry-max-attempts must be a whole number 1..100, got '-1'"],
    [["--retry-max-attempts", "0"], "cohsh: --retry-max-attempts must be 1..100, got 0"],
    [["--role"], "cohsh: --role needs a value (see cohsh --help)"],
    [["--role", "--script", "x.coh"], "cohsh: --role needs a value (see cohsh --help)"],
    [["--role", "king"], "cohsh: --role: unknown role 'king' (queen, worker-heartbeat, worker, worker-gpu, worker-bus, worker-lora)"],
    [["--transport", "udp"], "cohsh: --transport must be one of tcp, mock, qemu, rest, got 'udp'"],
    [["--protocol", "http"], "cohsh: --protocol must be console or 9p, got 'http'"],
    [["--transport", "rest"], "cohsh: --transport rest needs --rest-url (or COHSH_REST_URL, COH_REST_URL, HIVE_GATEWAY_URL)"],
    [["--record-trace", "t.json"], "cohsh: --record-trace needs --transport mock"],
    [["--qemu-bin", "/bin/false"], "cohsh: --qemu-bin needs --transport qemu"],
    [["--pool-control-sessions", "9"], "cohsh: --pool-control-sessions must be 1..3, got 9"],
  ];
  for (const [args, msg] of cases) {
    it(`${args.join(" ")} → ${msg}`, async () => {
      const r = await cohsh(args, "");
      expect(r.code).toBe(2);
      expect(r.stderr.trim()).toBe(msg);
      expect(r.stdout).toBe("");
    });
  }

  it("an env value is checked like its flag and named in the error", async () => {
    const r = await cohsh([], "", 30_000, { ...process.env, COHSH_TCP_PORT: "abc" });
    expect(r.stderr.trim()).toBe("cohsh: COHSH_TCP_PORT must be a whole number 1..65535, got 'abc'");
    expect(r.code).toBe(2);
  });

  it("--help lists each option once, with no camelCase duplicates, and names the seeds' env variables", async () => {
    const r = await cohsh(["--help"]);
    expect(r.code).toBe(0);
    const flags = [...r.stdout.matchAll(/^\s+(--[a-z0-9-]+)/gm)].map((m) => m[1]);
    expect(new Set(flags).size).toBe(flags.length);
    expect(r.stdout).not.toMatch(/--[a-z]+[A-Z]/);
    for (const f of ["--transport", "--protocol", "--rest-url", "--rest-auth-token", "--record-trace", "--replay-trace", "--qemu-bin", "--qemu-out-dir", "--qemu-arg", "--pool-control-sessions", "--pool-telemetry-sessions"]) expect(flags).toContain(f);
    for (const e of ["COHSH_REST_URL", "COH_REST_URL", "HIVE_GATEWAY_URL", "COHSH_REST_AUTH_TOKEN", "COH_REST_AUTH_TOKEN", "HIVE_GATEWAY_REQUEST_AUTH_TOKEN", "COHSH_POOL_CONTROL_SESSIONS", "COHSH_POOL_TELEMETRY_SESSIONS"]) expect(r.stdout.replace(/\s+/g, "")).toContain(e);
  });
});

describe("piped stdin is a script", () => {
  it("comments and blank lines are ignored, nothing is prompted, the output is the commands'", async () => {
    const r = await mock([], "# a heredoc as in seed 000\n\nattach queen\n   \nping  # liveness\n");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("OK ATTACH role=queen\nPONG\nOK PING reply=pong\n");
    expect(r.stderr).toBe("");
  });

  it("a failing command exits 1 and names the line; later lines never run", async () => {
    const r = await mock([], "attach queen\ncat /nope\necho never > /log/queen.log\n");
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("cohsh: <stdin>: FAIL at line 2 (cat /nope)");
    expect(r.stdout).not.toContain("OK ECHO");
  });

  it("a syntax error exits 2 before anything is sent", async () => {
    const r = await mock([], "attach queen\nfrobnicate\n");
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("line 2: unknown command 'frobnicate'");
    expect(r.stdout).toBe("");
  });
});

describe("seed details", () => {
  it("ping errors when detached or given arguments", async () => {
    const r = await mock([], "ping\nEXPECT SUBSTR detail=not-attached\nattach queen\nping now\nEXPECT SUBSTR takes no arguments\nping\nEXPECT OK\n");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("ERR PING reason=policy detail=not-attached (run 'attach <role>' first)");
    expect(r.stdout).toContain("ERR PING reason=policy detail=ping takes no arguments");
  });

  it("log N shows the newest N records; log 0 and log x are refused", async () => {
    const r = await mock([], "attach queen\necho one > /log/queen.log\necho two > /log/queen.log\necho three > /log/queen.log\nlog 2\nlog 0\nEXPECT ERR\nlog x\nEXPECT ERR\n");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("OK TAIL path=/log/queen.log\ntwo\nthree\nEND\n");
    expect(r.stdout).toContain("ERR LOG reason=policy detail=N must be at least 1");
  });

  it("mount of a service the hive does not serve is refused before /queen/ctl sees it", async () => {
    const r = await mock([], "attach queen\nmount nosuch /x\nEXPECT SUBSTR unknown service 'nosuch'\nmount proc /mnt/proc\nEXPECT OK\n");
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/ERR MOUNT reason=policy detail=unknown service 'nosuch' \(the hive serves: .*proc.*\)/);
  });

  it("cat /log/queen.log keeps the ack's data= summary and shows the records (audit lines included)", async () => {
    const r = await mock([], "attach queen\necho rec-1 > /log/queen.log\nlifecycle cordon\ncat /log/queen.log\n");
    expect(r.code).toBe(0);
    const cat = r.stdout.slice(r.stdout.indexOf("OK CAT path=/log/queen.log"));
    expect(cat.split("\n")[0]).toBe("OK CAT path=/log/queen.log data=rec-1");
    expect(cat).toContain("\nconsole attach outcome=allow role=queen ticket=-\n");
    expect(cat).toContain("\nrec-1\n");
    expect(cat).toContain("\nlifecycle transition old=ONLINE new=DRAINING reason=cordon\nEND\n");
  });

  it("pool bench honours payload, delay_ms and inject_bytes, and refuses values it cannot honour", async () => {
    const ok = await mock([], "attach queen\npool bench ops=8 batch=4 payload=hello payload_bytes=40 delay_ms=5 inject_failures=2 inject_bytes=129\ntail /log/queen.log\n");
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("pool bench result OK retries=2 pool_exhausted=0 failures=0 expected=8 observed=8");
    const recs = ok.stdout.split("\n").filter((l) => /^pb\w+p-\d{4}-hello/.test(l));
    expect(recs).toHaveLength(8);
    for (const l of recs) expect(l).toHaveLength(40);
    const bad = await mock([], "attach queen\npool bench inject_bytes=100\nEXPECT SUBSTR inject_bytes must be 129..\npool bench delay_ms=5000\nEXPECT SUBSTR delay_ms must be 0..1000\npool bench payload=a|b\nEXPECT SUBSTR payload must be\npool bench ops=2 ops=3\nEXPECT SUBSTR given twice\n");
    expect(bad.code).toBe(0);
  });

  it("--pool-control-sessions and COHSH_POOL_TELEMETRY_SESSIONS size the pools", async () => {
    const a = await mock(["--pool-control-sessions", "1"], "attach queen\npool bench ops=4 kind=control\n");
    expect(a.stdout).toMatch(/^pool bench pooled ops=4 sessions=1 /m);
    const b = await mock([], "attach queen\npool bench ops=4 kind=telemetry\n", { ...process.env, COHSH_POOL_TELEMETRY_SESSIONS: "2" });
    expect(b.stdout).toMatch(/^pool bench pooled ops=4 sessions=2 /m);
  });

  it("test --mode full passes twice on the same hive (no hard-coded worker) and removes what it spawned", async () => {
    const r = await mock([], "attach queen\nspawn heartbeat ticks=50\ntest --mode full --json\ntest --mode full --json\nls /worker\n");
    expect(r.code).toBe(0);
    const reports = r.stdout.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as { ok: boolean; checks: Array<{ name: string; detail: string }> });
    expect(reports.map((x) => x.ok)).toEqual([true, true]);
    // The second run's worker is a new one; each run's kill names its own.
    const kills = reports.map((x) => x.checks.find((c) => c.name.includes(": kill "))?.name.split("kill ")[1]);
    expect(kills[0]).toMatch(/^worker-\d+$/);
    expect(kills[1]).not.toBe(kills[0]);
    expect(kills).not.toContain("worker-1"); // worker-1 is the operator's, spawned before the tests
    const ls = r.stdout.slice(r.stdout.lastIndexOf("OK LS path=/worker"));
    expect(ls).toContain("\nworker-1\n");
    for (const k of kills) expect(ls).not.toContain(`\n${k}\n`);
  });

  it("test --mode smp on this single-core guest says so and passes the checks that apply", async () => {
    const r = await mock([], "attach queen\ntest --mode smp --json\n");
    expect(r.code).toBe(0);
    const rep = JSON.parse(r.stdout.split("\n").find((l) => l.startsWith("{")) ?? "{}") as { ok: boolean; mode: string; checks: Array<{ name: string; ok: boolean; detail: string }> };
    expect(rep.ok).toBe(true);
    expect(rep.mode).toBe("smp");
    expect(rep.checks.find((c) => c.name === "preflight/smp")?.detail).toMatch(/^single-core guest/);
    expect(rep.checks.some((c) => c.name.includes("pool bench"))).toBe(true);
  });

  it("the operator walkthrough says first that it needs a fresh boot when the hive was used", async () => {
    const walk = readFileSync(join(ROOT, "tests/scripts/operator_walkthrough.coh"), "utf8");
    const fresh = await mock(["--script", "tests/scripts/operator_walkthrough.coh"]);
    expect(fresh.code).toBe(0);
    const used = await mock([], "attach queen\nlifecycle cordon\nlifecycle resume\ndetach\n" + walk.replace("attach queen\nEXPECT OK\n", "attach queen\n"));
    expect(used.code).toBe(1);
    expect(used.stderr).toMatch(/FAIL at line \d+ \(EXPECT SUBSTR reason=boot-complete\): .* — needs a fresh boot \(restart \.\/qemu\/run\.sh\)/);
  });
});

describe("--protocol 9p over the mock (reachable now), same transcripts", () => {
  const nine = ["--protocol", "9p", "--ticket-config", "configs/root_task.toml"];
  // Lines the guest itself writes differently per surface: its attach audit line names it.
  const normalise = (s: string): string => s.replace(/^(console|9p) attach outcome=allow role=(\S+) ticket=\S+$/gm, "<attach audit> role=$2");
  for (const f of ["lifecycle_basic", "workers"]) {
    it(`${f}.coh: byte-identical over console and 9P`, async () => {
      const a = await mock(["--script", `tests/scripts/${f}.coh`]);
      const b = await mock([...nine, "--script", `tests/scripts/${f}.coh`]);
      expect(a.code).toBe(0);
      expect(b.code).toBe(0);
      expect(b.stdout).toBe(a.stdout);
    });
  }
  for (const f of ["tcp_basic", "log_batch"]) {
    it(`${f}.coh: identical over console and 9P except the guest's own attach audit line`, async () => {
      const a = await mock(["--script", `tests/scripts/${f}.coh`]);
      const b = await mock([...nine, "--script", `tests/scripts/${f}.coh`]);
      expect([a.code, b.code]).toEqual([0, 0]);
      expect(b.stdout).not.toBe(a.stdout);
      expect(normalise(b.stdout)).toBe(normalise(a.stdout));
    });
  }

  it("a binary file reads as the console's b64 lines over 9P too", async () => {
    const s = 'attach queen\necho {"op":"open","id":"export-1","ttl_s":900} > /queen/export/ctl\ncat /queen/export/lora_jobs/export-1/telemetry.cbor\n';
    const a = await mock([], s);
    const b = await mock(nine, s);
    expect(a.stdout).toContain("data=bytes=1 encoding=b64\nb64:gA==\nEND");
    expect(b.stdout).toBe(a.stdout);
  });

  it("without a ticket the queen's 9P attach is refused (the console needs none)", async () => {
    const r = await mock(["--protocol", "9p"], "attach queen\n");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^ERR ATTACH reason=policy error=E[A-Z]+$/m);
  });
});

describe("--record-trace / --replay-trace", () => {
  const script = "attach queen\nls /proc\ncat /proc/lifecycle/state\necho traced > /log/queen.log\n";

  it("a replay prints exactly what the recording printed, with no guest; the trace holds no token or ticket", async () => {
    const trace = join(dir, "ok.trace");
    const rec = await mock(["--record-trace", trace], script);
    expect(rec.code).toBe(0);
    const rep = await mock(["--replay-trace", trace], script);
    expect(rep.code).toBe(0);
    expect(rep.stdout).toBe(rec.stdout);
    expect(readFileSync(trace, "utf8")).not.toContain("changeme");
    expect(readFileSync(trace, "utf8")).not.toContain(Buffer.from("AUTH changeme").toString("base64").slice(0, 12));
  });

  it("a tampered trace is refused; a different session diverges with the first differing command named", async () => {
    const trace = join(dir, "t.trace");
    await mock(["--record-trace", trace], script);
    // Change one byte the guest sent (the last rx event), leaving the file well-formed.
    const lines = readFileSync(trace, "utf8").trimEnd().split("\n");
    const i = lines.map((l, n) => [l, n] as const).filter(([l]) => l.includes('"d":"rx"')).at(-1)?.[1] ?? -1;
    const ev = JSON.parse(lines[i]) as { b: string };
    const bytes = Buffer.from(ev.b, "base64");
    bytes[bytes.length - 1] ^= 1;
    lines[i] = JSON.stringify({ ...ev, b: bytes.toString("base64") });
    const bad = tmpFile("bad.trace", lines.join("\n") + "\n");
    const r = await mock(["--replay-trace", bad], script);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("was modified after it was recorded");
    const other = await mock(["--replay-trace", trace], "attach queen\nls /queen\n");
    expect(other.code).toBe(1);
    expect(other.stderr).toContain("replay diverged on connection 1: the session sent LS");
  });

  it("a recording is bounded by trace.max_bytes (nothing written past it); a bigger file is refused", async () => {
    const trace = join(dir, "big.trace");
    // 64 records of 128 bytes: each TAIL answers ~8 KiB (~11 KiB as base64); 240 pass 1 MiB.
    const r = await mock(["--record-trace", trace], "attach queen\npool bench ops=64 batch=8 payload_bytes=128\n" + "tail /log/queen.log\n".repeat(240));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`the trace would exceed trace.max_bytes (${TRACE_MAX_BYTES} bytes); nothing was written`);
    expect(readdirSync(dir)).not.toContain("big.trace");
    const huge = tmpFile("huge.trace", "x".repeat(TRACE_MAX_BYTES + 1));
    const h = await mock(["--replay-trace", huge], script);
    expect(h.code).toBe(2);
    expect(h.stderr).toContain(`is ${TRACE_MAX_BYTES + 1} bytes; trace.max_bytes is ${TRACE_MAX_BYTES}`);
  });
});

describe("over TCP: the seeds' commands as written, the console lock, REST", () => {
  let tcp: Guest;
  let port: string;
  beforeAll(async () => {
    tcp = await Guest.start({ net: "sockets", sockets: { portMap: { 31337: 0, 31338: 0, 31339: 0 } } });
    port = String(tcp.sockets.bound.get(31337));
  });
  afterAll(async () => {
    await tcp?.stop();
  });

  it("./bin/cohsh --transport tcp --tcp-host 127.0.0.1 --tcp-port P --role queen runs from the repo root", async () => {
    const r = await cohsh(["--transport", "tcp", "--tcp-host", "127.0.0.1", "--tcp-port", port, "--role", "queen", "-v"], "ping\n");
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`[cohsh][tcp] connected to 127.0.0.1:${port} (connects=1)`);
    expect(r.stdout).toBe("OK ATTACH role=queen\nPONG\nOK PING reply=pong\n");
  });

  it("COHSH_CONSOLE_LOCK=1 takes the exclusive lock: a second cohsh on the same console is refused", { timeout: 90_000 }, async () => {
    const env = { ...process.env, COHSH_CONSOLE_LOCK: "1" };
    // The first holds the console for ~10 s; the test goes on once its lock file exists.
    const first = cohsh(["--tcp-port", port, "--script", tmpFile("slow.coh", "attach queen\n" + "WAIT 2000\n".repeat(5))], "", 60_000, env);
    const lock = lockPath(`127.0.0.1:${port}`);
    for (let i = 0; i < 1200 && !existsSync(lock); i++) await new Promise((r) => setTimeout(r, 25));
    expect(existsSync(lock)).toBe(true);
    const second = await cohsh(["--tcp-port", port, "--script", "tests/scripts/tcp_basic.coh"], "", 30_000, env);
    expect(second.code).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`the console 127\\.0\\.0\\.1:${port} is locked by cohsh pid \\d+ \\(COHSH_CONSOLE_LOCK=1`));
    // Off by default: a session without the variable shares the console.
    const shared = await cohsh(["--tcp-port", port, "--role", "queen"], "ping\n");
    expect(shared.code).toBe(0);
    expect((await first).code).toBe(0);
    expect(existsSync(lock)).toBe(false);
  });

  it("--transport rest takes the seeds' flags and env names, and says clearly when the gateway is not there", async () => {
    // Port 9 (discard) is closed here: the REST client is in the tree, so the refusal is about reachability.
    const flags = await cohsh(["--transport", "rest", "--rest-url", "http://127.0.0.1:9", "--rest-auth-token", "t"], "");
    expect(flags.stderr).toContain("cohsh: gateway unreachable at http://127.0.0.1:9");
    expect(flags.code).not.toBe(0);
    for (const name of ["COHSH_REST_URL", "COH_REST_URL", "HIVE_GATEWAY_URL"]) {
      const r = await cohsh(["--transport", "rest"], "", 30_000, { ...process.env, [name]: "http://127.0.0.1:9" });
      expect(r.stderr, name).toContain("gateway unreachable at http://127.0.0.1:9");
    }
  });
});

describe("scripts/cohsh examples", () => {
  const examples = readdirSync(join(ROOT, "scripts/cohsh")).filter((f) => f.endsWith(".coh"));
  it("there are examples", () => expect(examples.length).toBeGreaterThanOrEqual(3));
  for (const f of examples) {
    it(`scripts/cohsh/${f} runs on the mock`, async () => {
      const r = await mock(["--script", `scripts/cohsh/${f}`]);
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
    });
  }
});
