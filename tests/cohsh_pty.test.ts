// cohsh at a real terminal: a pseudo-terminal driven by Python's stdlib `pty` (no native
// build), so Ctrl-C and Ctrl-D arrive as a terminal sends them. Each case spawns ./bin/cohsh
// --transport mock under the pty, types, waits for output (never a fixed sleep), and checks
// how it ended.

import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ROOT } from "./helpers/serial.js";

const DRIVER = String.raw`
import json, os, pty, re, select, signal, sys, time
spec = json.loads(sys.argv[1])
pid, fd = pty.fork()
if pid == 0:
    os.chdir(spec["cwd"])
    os.execvpe(spec["cmd"][0], spec["cmd"], os.environ)
out = b""
def pump(t):
    global out
    r, _, _ = select.select([fd], [], [], t)
    if not r:
        return True
    try:
        d = os.read(fd, 65536)
    except OSError:
        return False
    if not d:
        return False
    out += d
    return True
failed = None
for st in spec["steps"]:
    if "send" in st:
        os.write(fd, st["send"].encode())
        continue
    pat = re.compile(st["expect"].encode(), re.S)
    start = len(out) if st.get("fresh") else 0
    deadline = time.time() + 20
    while not pat.search(out, start) and time.time() < deadline:
        if not pump(0.05):
            break
    if not pat.search(out, start):
        failed = st["expect"]
        break
code = None
deadline = time.time() + 20
while time.time() < deadline:
    pump(0.05)
    p, status = os.waitpid(pid, os.WNOHANG)
    if p:
        code = os.waitstatus_to_exitcode(status)
        break
while pump(0.05) and code is not None and len(out) < 10**6:
    r, _, _ = select.select([fd], [], [], 0)
    if not r:
        break
if code is None:
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
print(json.dumps({"failed": failed, "code": code, "out": out.decode("utf-8", "replace")}))
`;

type Step = { send: string } | { expect: string; fresh?: boolean };

interface PtyResult {
  failed: string | null;
  code: number | null;
  /** What the terminal showed, with escape sequences and CRs removed. */
  out: string;
}

function underPty(args: string[], steps: Step[]): Promise<PtyResult> {
  const spec = JSON.stringify({ cwd: ROOT, cmd: ["./bin/cohsh", ...args], steps });
  return new Promise((res, rej) => {
    const p = spawn("python3", ["-c", DRIVER, spec], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.on("exit", () => {
      try {
        const r = JSON.parse(stdout) as PtyResult;
        // eslint-disable-next-line no-control-regex
        res({ ...r, out: r.out.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").replace(/\r/g, "") });
      } catch {
        rej(new Error(`pty driver failed: ${stderr}${stdout}`));
      }
    });
  });
}

const PROMPT = "coh> ";
const CTRL_C = "\u0003";
const CTRL_D = "\u0004";

describe("cohsh at a terminal", () => {
  it("the banner after --role says attached, not detached; the connected line comes first", async () => {
    const r = await underPty(["--transport", "mock", "--role", "queen"], [{ expect: PROMPT }, { send: "quit\r" }, { expect: "closing session" }]);
    expect(r.failed).toBeNull();
    expect(r.code).toBe(0);
    expect(r.out).toContain("[cohsh][mock] connected (connects=1)\nWelcome to Cohesix. Type 'help' for commands.\nOK ATTACH role=queen\nattached shell: role=queen; 'quit' closes the session\n");
    expect(r.out).not.toContain("detached");
  });

  it("without --role the banner says how to attach", async () => {
    const r = await underPty(["--transport", "mock"], [{ expect: PROMPT }, { send: CTRL_D }, { expect: "closing session" }]);
    expect(r.out).toContain("detached shell: run 'attach <role>' to connect\n");
    expect(r.code).toBe(0);
  });

  it("Ctrl-C clears a half-typed line; the next command runs alone; Ctrl-C on an empty line exits with closing session", async () => {
    const r = await underPty(["--transport", "mock", "--role", "queen"], [
      { expect: PROMPT },
      { send: "cat /nonsense-half-typed" },
      { send: CTRL_C },
      { expect: "\\^C\\r?\\n.*coh> ", fresh: true },
      { send: "ping\r" },
      { expect: "OK PING reply=pong\\r?\\n.*coh> " },
      { send: CTRL_C },
      { expect: "closing session" },
    ]);
    expect(r.failed).toBeNull();
    expect(r.code).toBe(0);
    expect(r.out).not.toContain("nonsense-half-typedping");
    expect(r.out).not.toContain("ERR");
    expect(r.out).toMatch(/PONG\nOK PING reply=pong\n/);
    expect(r.out.trimEnd().endsWith("OK QUIT\nclosing session")).toBe(true);
  });

  it("Ctrl-D exits with closing session", async () => {
    const r = await underPty(["--transport", "mock", "--role", "queen"], [{ expect: PROMPT }, { send: CTRL_D }, { expect: "closing session" }]);
    expect(r.failed).toBeNull();
    expect(r.code).toBe(0);
  });

  it("log says it is following and how to stop; Enter stops it, Ctrl-C stops a tail, the prompt comes back", async () => {
    const r = await underPty(["--transport", "mock", "--role", "queen"], [
      { expect: PROMPT },
      { send: "log\r" },
      { expect: "following /log/queen.log; press Enter or Ctrl-C to stop" },
      { send: "\r" },
      { expect: "to stop\\r?\\n.*coh> " },
      { send: "tail /proc/lifecycle/state\r" },
      { expect: "following /proc/lifecycle/state; press Enter or Ctrl-C to stop" },
      { send: CTRL_C },
      { expect: "lifecycle/state; press Enter or Ctrl-C to stop\\r?\\n.*coh> " },
      { send: "quit\r" },
      { expect: "closing session" },
    ]);
    expect(r.failed).toBeNull();
    expect(r.code).toBe(0);
    expect(r.out).toContain("OK TAIL path=/log/queen.log\n");
  });
});
