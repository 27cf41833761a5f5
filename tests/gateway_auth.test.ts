// hive-gateway's authority: request token, narrowing tickets checked with host/sdk/ticket's claims
// code under the manifest's secrets (scopes, rates, bandwidth, worker views), and the start-up
// refusals (placeholder token, non-loopback bind without TLS, pool past the guest's sessions,
// secret references), plus HTTPS with a certificate.

import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../host/hive-gateway/config.js";
import { startGateway, type RunningGateway } from "../host/hive-gateway/gateway.js";
import { MANIFEST } from "../host/generated/manifest.js";
import { signTicket, type TicketClaims } from "../host/sdk/ticket/index.js";
import { auth, configFrom, inProcess, runGateway, TOKEN } from "./helpers/gateway.js";

function ticket(c: Partial<TicketClaims> & { role: TicketClaims["role"] }): string {
  const claims: TicketClaims = { issuedAtMs: BigInt(Date.now()), mounts: { service: "", at: "" }, ...c };
  const t = signTicket(claims, MANIFEST.tickets[c.role]);
  if (!t.ok) throw new Error(t.error.message);
  return t.value;
}

describe("hive-gateway authority (mock core)", () => {
  let gw: RunningGateway;
  const get = (url: string, headers: Record<string, string | string[]>) => gw.app.inject({ method: "GET", url, headers });
  const echo = (path: string, line: string, headers: Record<string, string>) =>
    gw.app.inject({ method: "POST", url: "/v1/fs/echo", headers: { ...headers, "content-type": "application/json" }, payload: JSON.stringify({ path, line }) });

  beforeAll(async () => {
    gw = await inProcess();
    // A heartbeat worker for the worker-ticket cases.
    expect((await echo("/queen/ctl", '{"spawn":"heartbeat","ticks":1000}', auth())).statusCode).toBe(200);
  });
  afterAll(async () => {
    await gw?.stop();
  });

  it("no token, wrong token, empty bearer: 401 naming the reason", async () => {
    const none = await get("/v1/fs/ls?path=/", {});
    expect(none.statusCode).toBe(401);
    expect(none.json().error).toBe("missing request auth token; provide Authorization: Bearer <token> or x-cohesix-auth");
    const wrong = await get("/v1/fs/ls?path=/", { authorization: "Bearer nope" });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().error).toBe("invalid request auth token");
    expect((await get("/v1/meta/status", { "x-cohesix-auth": "nope" })).statusCode).toBe(401);
    expect((await echo("/log/queen.log", "x", { authorization: "Basic abc" })).statusCode).toBe(401);
  });

  it("a queen ticket with a read scope narrows the caller to that scope", async () => {
    const t = ticket({ role: "queen", scopes: [{ path: "/proc", verb: "read", ratePerS: 0 }] });
    const h = auth({ "x-cohesix-ticket": t });
    expect((await get("/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=64", h)).statusCode).toBe(200);
    const st = (await get("/v1/meta/status", h)).json();
    expect(st.caller).toEqual({ role: "queen", ticket: true });
    const out = await get("/v1/fs/tail?path=/log/queen.log&max_bytes=4096", h);
    expect(out.statusCode).toBe(403);
    expect(out.json().error).toBe("EPERM delegated-ticket-scope: no ticket scope covers /log/queen.log");
    const w = await echo("/proc/boot", "x", h);
    expect(w.statusCode).toBe(403);
    expect(w.json().error).toBe("EPERM delegated-ticket-scope: scope /proc is read-only");
  });

  it("scope rate and bandwidth quotas answer 429 with Retry-After, and charge nothing on refusal", async () => {
    const t = ticket({ role: "queen", scopes: [{ path: "/proc", verb: "read", ratePerS: 2 }] });
    const h = auth({ "x-cohesix-ticket": t });
    const codes = [];
    for (let i = 0; i < 3; i++) codes.push((await get("/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=64", h)).statusCode);
    expect(codes).toEqual([200, 200, 429]);
    const r = await get("/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=64", h);
    expect(r.statusCode).toBe(429);
    expect(r.headers["retry-after"]).toBe("1");
    expect(r.json().error).toBe("ELIMIT delegated-ticket-rate: 2 requests per second for scope /proc");

    const bw = ticket({ role: "queen", quotas: { bandwidthBytes: 100n, cursorResumes: 0, cursorAdvances: 0 } });
    const hb = auth({ "x-cohesix-ticket": bw });
    expect((await get("/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=64", hb)).statusCode).toBe(200);
    const over = await get("/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=64", hb);
    expect(over.statusCode).toBe(429);
    expect(over.json().error).toBe("ELIMIT delegated-ticket-bytes: bandwidth quota of 100 bytes spent");
    // 64 + 36 = 100: exactly at the quota still passes (the refused 64 was not charged).
    expect((await get("/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=36", hb)).statusCode).toBe(200);
    expect((await get("/v1/fs/cat?path=/proc/lifecycle/state&max_bytes=1", hb)).statusCode).toBe(429);
  });

  it("forged, expired, future-dated, duplicated and oversized tickets are refused with their reason", async () => {
    const good = ticket({ role: "queen" });
    const forged = good.slice(0, -1) + (good.endsWith("0") ? "1" : "0");
    const cases: Array<[Record<string, string | string[]>, string | RegExp]> = [
      [{ "x-cohesix-ticket": forged }, "EPERM delegated-ticket-invalid: ticket MAC does not verify"],
      [{ "x-cohesix-ticket": ticket({ role: "queen", ttlS: 60n, issuedAtMs: BigInt(Date.now() - 600_000) }) }, "EPERM delegated-ticket-time: ticket expired"],
      [{ "x-cohesix-ticket": ticket({ role: "queen", issuedAtMs: BigInt(Date.now() + 600_000) }) }, "EPERM delegated-ticket-time: issued in the future"],
      [{ "x-cohesix-ticket": "cohesix-ticket-zz.00" }, /^EPERM delegated-ticket-invalid: /],
      [{ "x-cohesix-ticket": "x".repeat(MANIFEST.console.ticket_max + 1) }, `ELIMIT delegated-ticket-length: ticket exceeds ${MANIFEST.console.ticket_max} characters`],
      [{ "x-cohesix-ticket": [good, good] }, "EPERM delegated-ticket-invalid: send x-cohesix-ticket once"],
    ];
    for (const [h, msg] of cases) {
      const r = await get("/v1/fs/ls?path=/", { ...auth(), ...(h as Record<string, string>) });
      expect(r.statusCode, JSON.stringify(h).slice(0, 60)).toBe(403);
      if (typeof msg === "string") expect(r.json().error).toBe(msg);
      else expect(r.json().error).toMatch(msg);
    }
    // The console's words ride along, so cohsh over REST prints the console's ERR ATTACH line.
    const expired = await get("/v1/meta/status", auth({ "x-cohesix-ticket": ticket({ role: "queen", ttlS: 0n, issuedAtMs: BigInt(Date.now() - 1000) }) }));
    expect(expired.json()).toMatchObject({ reason: "quota", detail: "expired" });
    expect((await get("/v1/meta/status", auth({ "x-cohesix-ticket": forged }))).json()).toMatchObject({ reason: "policy", detail: "denied" });
    // A ticket alone (no request token) is not enough.
    expect((await get("/v1/fs/ls?path=/", { "x-cohesix-ticket": good })).statusCode).toBe(401);
  });

  it("a worker ticket reads and writes only its own telemetry", async () => {
    const h = auth({ "x-cohesix-ticket": ticket({ role: "worker-heartbeat", subject: "worker-1", ttlS: 300n }) });
    const w = await echo("/worker/worker-1/telemetry", "from-the-worker", h);
    expect(w.statusCode, w.body).toBe(200);
    const r = await get("/v1/fs/tail?path=/worker/worker-1/telemetry&max_bytes=65536", h);
    expect(r.statusCode).toBe(200);
    expect(r.json().lines).toContain("from-the-worker");
    const ctl = await echo("/queen/ctl", '{"spawn":"heartbeat","ticks":1}', h);
    expect(ctl.statusCode).toBe(403);
    expect(ctl.json().error).toBe("EPERM delegated-ticket-scope: role worker-heartbeat may write only its own telemetry, not /queen/ctl");
    const other = await get("/v1/fs/cat?path=/proc/boot&max_bytes=4096", h);
    expect(other.statusCode).toBe(403);
    expect(other.json().error).toBe("EPERM delegated-ticket-scope: role worker-heartbeat may read only its own worker tree, not /proc/boot");
    const claimsOnly = await get("/v1/fs/ls?path=/", auth({ "x-cohesix-ticket": ticket({ role: "worker-heartbeat" }) }));
    expect(claimsOnly.json().error).toBe("EPERM delegated-ticket-claims: a worker ticket names its subject");
  });

  it("a worker-role gateway requires every caller to present a ticket", async () => {
    const up = ticket({ role: "worker-heartbeat", subject: "worker-1" });
    const cfg = await configFrom(["--mock", "--bind", "127.0.0.1:0", "--log-level", "silent", "--role", "worker-heartbeat", "--ticket", up]);
    const wgw = await startGateway(cfg, { listen: false });
    try {
      const r = await wgw.app.inject({ method: "GET", url: "/v1/fs/ls?path=/", headers: auth() });
      expect(r.statusCode).toBe(403);
      expect(r.json().error).toBe("EPERM delegated-ticket-required: a worker-role gateway needs x-cohesix-ticket");
      const q = await wgw.app.inject({ method: "GET", url: "/v1/fs/ls?path=/", headers: auth({ "x-cohesix-ticket": ticket({ role: "queen" }) }) });
      expect(q.json().error).toBe("EPERM gateway-ceiling-role: ticket role queen exceeds the gateway's worker-heartbeat");
    } finally {
      await wgw.stop();
    }
  });
});

describe("hive-gateway start-up refusals", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "gw-cfg-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const refused = async (args: string[], env: NodeJS.ProcessEnv, msg: string | RegExp): Promise<void> => {
    let err: unknown;
    try {
      await configFrom(args, env);
    } catch (e) {
      err = e;
    }
    expect(err, args.join(" ")).toBeInstanceOf(ConfigError);
    if (typeof msg === "string") expect((err as Error).message).toBe(msg);
    else expect((err as Error).message).toMatch(msg);
  };

  it("placeholder or empty request tokens are refused unless --mock", async () => {
    const msg = "request auth token is empty or the insecure placeholder 'replace-with-real-token': set HIVE_GATEWAY_REQUEST_AUTH_TOKEN (or --request-auth-token) to a real secret";
    await refused(["--auth-token", "changeme"], { HIVE_GATEWAY_REQUEST_AUTH_TOKEN: "replace-with-real-token" }, msg);
    await refused(["--auth-token", "changeme"], { HIVE_GATEWAY_REQUEST_AUTH_TOKEN: "" }, msg);
    await refused([], { HIVE_GATEWAY_REQUEST_AUTH_TOKEN: TOKEN }, "no console token: set --auth-token or COH_AUTH_TOKEN (an env:/file: reference is fine)");
    expect((await configFrom(["--mock"], { HIVE_GATEWAY_REQUEST_AUTH_TOKEN: "replace-with-real-token" })).mock).toBe(true);
  });

  it("a non-loopback bind needs --allow-non-loopback-bind and a certificate", async () => {
    const msg = "refusing to bind 0.0.0.0: non-loopback binds need --allow-non-loopback-bind and --tls-cert/--tls-key (HTTPS)";
    await refused(["--mock", "--bind", "0.0.0.0:8080"], {}, msg);
    await refused(["--mock", "--bind", "0.0.0.0:8080", "--allow-non-loopback-bind"], {}, msg);
    await refused(["--mock", "--bind", "0.0.0.0:8080"], { HIVE_GATEWAY_ALLOW_NON_LOOPBACK_BIND: "1" }, msg);
    await refused(["--mock", "--tls-cert", "/nope"], {}, "--tls-cert and --tls-key go together");
    await refused(["--mock", "--bind", "nonsense"], {}, "bind address 'nonsense' must be host:port");
  });

  it("the pool is at most console.max_sessions - 1 sessions, each lane at least 1", async () => {
    const slots = MANIFEST.console.max_sessions - 1;
    const ok = await configFrom(["--mock", "--pool-control-sessions", "1", "--pool-telemetry-sessions", String(slots - 1)]);
    expect(ok.controlSessions + ok.telemetrySessions).toBe(slots);
    await refused(["--mock", "--pool-control-sessions", "1", "--pool-telemetry-sessions", String(slots)], {}, `pool of 1+${slots} sessions exceeds console.max_sessions - 1 = ${slots} (one slot stays free for an operator's cohsh)`);
    await refused(["--mock", "--pool-control-sessions", "0"], {}, "--pool-control-sessions must be a whole number >= 1, got 0");
    await refused(["--mock"], { HIVE_GATEWAY_POOL_TELEMETRY_SESSIONS: "0" }, "--pool-telemetry-sessions must be a whole number >= 1, got 0");
  });

  it("secrets by reference: env:NAME and file:/abs/path, with clear errors", async () => {
    const f = join(dir, "token");
    writeFileSync(f, "from-a-file\n");
    expect((await configFrom(["--auth-token", "changeme", "--request-auth-token", `file:${f}`])).requestToken).toBe("from-a-file");
    expect((await configFrom(["--auth-token", "env:MY_CONSOLE_TOKEN"], { MY_CONSOLE_TOKEN: "s3cret" })).authToken).toBe("s3cret");
    await refused(["--auth-token", "env:NOT_SET_ANYWHERE"], {}, "--auth-token: environment variable NOT_SET_ANYWHERE is not set");
    await refused(["--auth-token", "changeme", "--request-auth-token", "file:relative/path"], {}, "--request-auth-token: file: references need an absolute path, got 'relative/path'");
    await refused(["--auth-token", "changeme", "--request-auth-token", `file:${dir}/missing`], {}, /^--request-auth-token: cannot read .*missing/);
    await refused(["--mock", "--role", "king"], {}, /^unknown role 'king'/);
    await refused(["--mock", "--role", "worker-gpu"], {}, "role worker-gpu needs an upstream ticket (--ticket or COH_TICKET)");
    await refused(["--mock", "--mcp-stdio"], {}, "--mcp-stdio: MCP is off in the manifest (gateway.mcp_enable = 0)");
  });

  it("the CLI exits 2 with a one-line reason (the seed's placeholder token)", async () => {
    const r = await runGateway([], { COH_TCP_HOST: "127.0.0.1", COH_TCP_PORT: "1", COH_AUTH_TOKEN: "changeme", HIVE_GATEWAY_REQUEST_AUTH_TOKEN: "replace-with-real-token", COH_ROLE: "queen", HIVE_GATEWAY_BIND: "127.0.0.1:0" });
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(/^hive-gateway: request auth token is empty or the insecure placeholder/);
    expect(r.stderr).not.toContain("changeme");
  });

  it("serves HTTPS with --tls-cert/--tls-key", async () => {
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], { stdio: "ignore" });
    const cfg = await configFrom(["--mock", "--bind", "127.0.0.1:0", "--log-level", "silent", "--tls-cert", cert, "--tls-key", key]);
    const gw = await startGateway(cfg, { waitUpMs: 10_000 });
    try {
      expect(gw.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
      const body = await new Promise<string>((res, rej) => {
        const req = request(`${gw.url}/v1/meta/bounds`, { ca: readFileSync(cert) }, (r) => {
          let s = "";
          r.on("data", (d: Buffer) => (s += d.toString()));
          r.on("end", () => res(s));
        });
        req.on("error", rej);
        req.end();
      });
      expect(JSON.parse(body).manifest_sha256).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await gw.stop();
    }
  });
});
