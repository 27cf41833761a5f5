// hive-gateway over the QEMU guest, as seed 000 runs it: the launcher with the seed's
// environment (quickstart step 2), `curl | jq` (step 3), cohsh over REST (step 4 and scenario D,
// byte-identical to the console), the gateway killed with -9 and restarted under a running
// cohsh (clean errors, then recovery), and the guest rebooted under the gateway (re-attach).

import { spawn, type ChildProcess } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, QemuGuest, READY } from "../host/runtime/qemu.js";
import { cohsh } from "./helpers/cohsh.js";
import { spawnUnderPty } from "./helpers/pty_relay.js";
import { spawnGateway, TOKEN, type GatewayProcess } from "./helpers/gateway.js";
import { ROOT } from "./helpers/serial.js";

const SEED_ENV = (tcpPort: number, bind: string): NodeJS.ProcessEnv => ({
  COH_TCP_HOST: "127.0.0.1",
  COH_TCP_PORT: String(tcpPort),
  COH_AUTH_TOKEN: "changeme",
  HIVE_GATEWAY_REQUEST_AUTH_TOKEN: TOKEN,
  COH_ROLE: "queen",
  HIVE_GATEWAY_BIND: bind,
});

function sh(script: string, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const p = spawn("bash", ["-euo", "pipefail", "-c", script], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.on("exit", (code) => res({ code, stdout, stderr }));
  });
}

/** An interactive cohsh over REST at a real terminal (pty relay), fed line by line; waits for output rather than sleeping. */
class LiveCohsh {
  private out = "";
  private proc: ChildProcess;
  constructor(url: string) {
    this.proc = spawnUnderPty(`${ROOT}/bin/cohsh`, ["--transport", "rest", "--rest-url", url, "--rest-auth-token", TOKEN, "--role", "queen"], ROOT);
    this.proc.stdout?.on("data", (d: Buffer) => (this.out += d.toString()));
    this.proc.stderr?.on("data", (d: Buffer) => (this.out += d.toString()));
  }
  /** Sends a line and resolves with the output it produced once `done` matches it. */
  async run(line: string, done: RegExp, ms = 20_000): Promise<string> {
    const from = this.out.length;
    this.proc.stdin?.write(line + "\n");
    const deadline = Date.now() + ms;
    while (!done.test(this.out.slice(from))) {
      if (Date.now() > deadline) throw new Error(`cohsh: no ${done} after '${line}' in ${ms} ms; output:\n${this.out.slice(from)}`);
      if (this.proc.exitCode !== null) throw new Error(`cohsh exited (${this.proc.exitCode}):\n${this.out}`);
      await new Promise((r) => setTimeout(r, 25));
    }
    return this.out.slice(from);
  }
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || !this.proc.pid) return;
    const gone = new Promise((r) => this.proc.once("exit", r));
    this.proc.stdin?.end("quit\n");
    const t = setTimeout(() => this.proc.pid && this.proc.exitCode === null && process.kill(this.proc.pid, "SIGKILL"), 5000);
    await gone;
    clearTimeout(t);
  }
}

/** qemu/run.sh on given host ports (a reboot keeps the gateway's target), stopped by pid. */
class GuestOnPorts {
  private buf = "";
  readonly proc: ChildProcess;
  constructor(ports: { tcp: number; udp: number; smoke: number }) {
    this.proc = spawn(`${ROOT}/qemu/run.sh`, [], { env: { ...process.env, COH_TCP_PORT: String(ports.tcp), COH_UDP_PORT: String(ports.udp), COH_SMOKE_PORT: String(ports.smoke) }, stdio: ["pipe", "pipe", "pipe"] });
    this.proc.stdout?.on("data", (d: Buffer) => (this.buf += d.toString()));
    this.proc.stderr?.on("data", (d: Buffer) => (this.buf += d.toString()));
  }
  async ready(ms = 60_000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!this.buf.includes(READY)) {
      if (this.proc.exitCode !== null || Date.now() > deadline) throw new Error(`guest not ready:\n${this.buf}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  async stop(): Promise<void> {
    if (this.proc.exitCode !== null || !this.proc.pid) return;
    const gone = new Promise((r) => this.proc.once("exit", r));
    process.kill(this.proc.pid, "SIGTERM");
    await gone;
  }
}

async function until<T>(f: () => Promise<T>, ok: (v: T) => boolean, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => undefined as T);
    if (v !== undefined && ok(v)) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const status = async (url: string): Promise<{ connected: boolean; reconnects: number }> => (await fetch(`${url}/v1/meta/status`, { headers: { authorization: `Bearer ${TOKEN}` } })).json() as Promise<{ connected: boolean; reconnects: number }>;

describe("hive-gateway over the QEMU guest (seed 000)", () => {
  let q: QemuGuest;
  let gw: GatewayProcess;
  let bind: string;

  beforeAll(async () => {
    q = await QemuGuest.start();
    await q.waitReady(60_000);
    bind = `127.0.0.1:${await freePort()}`;
    gw = await spawnGateway([], SEED_ENV(q.ports.tcp, bind));
  });
  afterAll(async () => {
    await gw?.stop();
    await q?.stop();
  });

  it("quickstart step 3: curl | jq on /v1/meta/bounds and /v1/fs/ls?path=/", async () => {
    const r = await sh(
      `curl -sS "$URL/v1/meta/bounds" | jq -e '.manifest_sha256 | test("^[0-9a-f]{64}$")'
       curl -sS "$URL/v1/meta/bounds" | jq -e '.console.max_echo_len == 128 and .secure9p.walk_depth == 8'
       curl -sS -H "Authorization: Bearer $HIVE_GATEWAY_REQUEST_AUTH_TOKEN" "$URL/v1/fs/ls?path=/" | jq -e '.status == "OK" and .verb == "LS" and (.lines | index("proc")) != null'
       curl -sS -o /dev/null -w '%{http_code}' "$URL/v1/fs/ls?path=/"`,
      { URL: gw.url, HIVE_GATEWAY_REQUEST_AUTH_TOKEN: TOKEN },
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.trim().split("\n")).toEqual(["true", "true", "true", "401"]);
  });

  it("quickstart step 4 + scenario D: cohsh --transport rest --script, byte-identical to the console", async () => {
    const viaRest = await cohsh(["--transport", "rest", "--rest-url", gw.url, "--rest-auth-token", TOKEN, "--role", "queen", "--script", "tests/scripts/gateway_ops.coh"]);
    const viaConsole = await cohsh(["--transport", "mock", "--role", "queen", "--script", "tests/scripts/gateway_ops.coh"]);
    expect(viaRest.code, viaRest.stderr).toBe(0);
    expect(viaConsole.code, viaConsole.stderr).toBe(0);
    expect(viaRest.stdout).toBe(viaConsole.stdout);
    expect(viaRest.stdout).toContain("headless-ops-event");
  });

  it("the gateway killed with -9 under a running cohsh: clean ERR lines, then recovery on restart", async () => {
    const sh1 = new LiveCohsh(gw.url);
    try {
      expect(await sh1.run("cat /proc/lifecycle/state", /^END$/m)).toContain("state=ONLINE");
      await gw.kill9();
      const down = await sh1.run("cat /proc/lifecycle/state", /ERR CAT [^\n]*\n/);
      expect(down).toMatch(/(^|coh> )ERR CAT reason=cut detail=gateway-unreachable error=gateway unreachable at http:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\)$/m);
      expect(await sh1.run("ping", /(OK|ERR) PING[^\n]*\n/)).toMatch(/ERR PING reason=cut detail=gateway-unreachable/);
      // Same port, same seed environment: the killed gateway's console sessions were freed.
      gw = await spawnGateway([], SEED_ENV(q.ports.tcp, bind));
      await until(() => status(gw.url), (s) => s.connected, 20_000, "the restarted gateway to attach");
      expect(await sh1.run("cat /proc/lifecycle/state", /^END$/m)).toContain("state=ONLINE");
      expect(await sh1.run("echo after-restart > /log/queen.log", /(OK|ERR) ECHO[^\n]*\n/)).toContain("OK ECHO path=/log/queen.log bytes=13");
    } finally {
      await sh1.stop();
    }
  });

  it("the guest rebooted under the gateway: 503 while it is down, silent re-attach after", async () => {
    const ports = q.ports;
    await q.stop();
    const down = await until(() => fetch(`${gw.url}/v1/fs/cat?path=/proc/boot&max_bytes=4096`, { headers: { authorization: `Bearer ${TOKEN}` } }), (r) => r.status === 503, 20_000, "503 while the guest is down");
    expect(down.headers.get("retry-after")).toBe("1");
    expect((await status(gw.url)).connected).toBe(false);
    const g2 = new GuestOnPorts(ports);
    try {
      await g2.ready();
      const st = await until(() => status(gw.url), (s) => s.connected, 30_000, "re-attach after the reboot");
      expect(st.reconnects).toBeGreaterThan(0);
      const r = await fetch(`${gw.url}/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=64`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(r.status).toBe(200);
      expect(((await r.json()) as { lines: string[] }).lines).toEqual(["state=ONLINE"]);
      // A fresh guest: the earlier telemetry device is gone (the cache did not keep it).
      const ls = await fetch(`${gw.url}/v1/fs/ls?path=/queen/telemetry`, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(((await ls.json()) as { lines?: string[] }).lines ?? []).not.toContain("ops-1");
    } finally {
      await gw.stop();
      await g2.stop();
    }
  });
});
