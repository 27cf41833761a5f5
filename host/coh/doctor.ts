// `coh doctor [--mock] [--json]` (reference §2.3): deterministic checks of this host for coh —
// the pinned policy, the ticket rules, FUSE for coh mount, the GPU inventory, the runtime tools,
// and the hive: its console port (a Secure9P Tversion), the gateway when one is given, and the
// manifest the hive reports in /proc/boot against this build's. Each check prints
// `OK DOCTOR check=…` or `ERR DOCTOR check=… reason=… fix=…` (how to fix it); any failure ends the
// run with `ERR DOCTOR reason=doctor failed: N check(s) failed`. --mock skips the GPU and QEMU
// checks (`status=skip reason=mock`) and asks the in-process core instead of a console port.

import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { COH_POLICY_SHA256, MANIFEST, MANIFEST_SHA256 } from "../generated/manifest.js";
import { mockTransport } from "../sdk/connect.js";
import { nvidiaSmiInventory } from "../sdk/gpu/inventory.js";
import { P9Client } from "../sdk/p9/client.js";
import { tcpPipe, type Connector } from "../sdk/pipe.js";
import { RestClient } from "../sdk/rest/index.js";
import { resolveSecret, secretFromEnv } from "../sdk/secret.js";
import { decodeTicket, decodeTicketUnverified, mintTicket, parseRole, type TicketRole } from "../sdk/ticket/index.js";
import { CohError, type Ctx, REST_AUTH_ENV, REST_URL_ENV } from "./context.js";
import { loadFuse } from "./mount/fuse.js";

export interface DoctorOptions {
  nvidiaSmi: string;
}

export interface CheckResult {
  check: string;
  status: "ok" | "err" | "skip";
  line: string;
}

class Fail extends Error {
  constructor(
    readonly reason: string,
    readonly fix: string,
  ) {
    super(reason);
  }
}

const FUSE_DEVICE = "/dev/fuse";

function tool(cmd: string, args: string[], timeoutMs = 10_000): Promise<{ code: number | null; out: string; missing: boolean }> {
  return new Promise((res) => {
    const p = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d.toString()));
    p.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const t = setTimeout(() => p.kill("SIGKILL"), timeoutMs);
    p.on("error", (e: NodeJS.ErrnoException) => {
      clearTimeout(t);
      res({ code: null, out: e.message, missing: e.code === "ENOENT" });
    });
    p.on("close", (code) => {
      clearTimeout(t);
      res({ code, out: out.trim(), missing: false });
    });
  });
}

const firstLine = (s: string): string => s.split("\n")[0].trim();

export async function doctor(ctx: Ctx, o: DoctorOptions): Promise<{ checks: CheckResult[]; failed: number }> {
  const checks: CheckResult[] = [];
  const a = ctx.args;
  const run = async (check: string, body: () => Promise<string | { skip: string }>): Promise<void> => {
    let r: CheckResult;
    try {
      const v = await body();
      r = typeof v === "string" ? { check, status: "ok", line: `OK DOCTOR check=${check}${v ? " " + v : ""}` } : { check, status: "skip", line: `OK DOCTOR check=${check} ${v.skip}` };
    } catch (e) {
      const f = e instanceof Fail ? e : new Fail(e instanceof Error ? e.message : String(e), "see the reason");
      r = { check, status: "err", line: `ERR DOCTOR check=${check} reason=${f.reason.replace(/\s*\n\s*/g, " ")} fix=${f.fix}` };
    }
    checks.push(r);
    ctx.out.line(r.line);
  };

  await run("policy", async () => {
    if (ctx.policyError) throw new Fail(`path=${ctx.policyFile} ${ctx.policyError}`, "npm run gen (or npm run build) writes it; --policy or COH_POLICY chooses another file");
    const pinned = (ctx.policy as Record<string, unknown>).manifest_sha256;
    if (pinned !== MANIFEST_SHA256) throw new Fail(`path=${ctx.policyFile} manifest_sha256=${String(pinned)} is not this build's ${MANIFEST_SHA256}`, "npm run gen");
    return `path=${ctx.policyFile} manifest_sha256=${MANIFEST_SHA256} policy_sha256=${COH_POLICY_SHA256}`;
  });

  const role = parseRole(a.role);
  await run("ticket", async () => {
    if (!role) throw new Fail(`role=${a.role} unknown role`, `--role one of queen, worker-heartbeat, worker-gpu, worker-bus, worker-lora`);
    let ticket: string | undefined;
    try {
      ticket = resolveSecret("--ticket", a.ticket);
    } catch (e) {
      throw new Fail(`role=${role} ${e instanceof Error ? e.message : String(e)}`, "set the variable or file --ticket names");
    }
    const max = MANIFEST.console.ticket_max;
    const mint = `./bin/cohsh --mint-ticket --role ${role}${role === "queen" ? "" : " --ticket-subject <worker id>"}`;
    if (!ticket) {
      // The console's rule: queen tickets optional, worker tickets required (9P mints the queen's).
      if (role !== "queen") throw new Fail(`role=${role} worker tickets are required`, `give --ticket (${mint})`);
      return `role=${role} ticket=none max_len=${max}`;
    }
    if (ticket.length > max) throw new Fail(`role=${role} ticket is ${ticket.length} characters > ticket.max_len=${max}`, `mint a shorter one (${mint}; fewer scopes)`);
    const claims = decodeTicketUnverified(ticket);
    if (!claims.ok) throw new Fail(`role=${role} ticket does not decode: ${claims.error.message}`, mint);
    if (claims.value.role !== role) throw new Fail(`role=${role} ticket is for role ${claims.value.role}`, `--role ${claims.value.role}, or ${mint}`);
    if (role !== "queen" && !claims.value.subject) throw new Fail(`role=${role} worker tickets must name their subject`, mint);
    const secret = (MANIFEST.tickets as Record<TicketRole, string>)[role];
    if (secret && !decodeTicket(ticket, secret).ok) throw new Fail(`role=${role} ticket MAC does not verify under this manifest's ${role} secret`, `mint it with this build's secret (${mint})`);
    const ttl = claims.value.ttlS;
    if (ttl !== undefined && ttl > 0n && claims.value.issuedAtMs + ttl * 1000n < BigInt(Date.now())) throw new Fail(`role=${role} ticket expired`, mint);
    return `role=${role} ticket=present max_len=${max}`;
  });

  await run("mount", async () => {
    const m = ctx.policy.mount as { root?: unknown; allowlist?: unknown } | undefined;
    if (!m || typeof m.root !== "string" || !Array.isArray(m.allowlist)) throw new Fail("policy-unavailable", "fix check=policy first (npm run gen)");
    let dev = false;
    try {
      dev = statSync(FUSE_DEVICE).isCharacterDevice();
    } catch {
      dev = false;
    }
    if (!dev) throw new Fail("fuse device not detected", `apt-get install fuse (bash .ci/setup); in a container pass --device ${FUSE_DEVICE} --cap-add SYS_ADMIN`);
    const fm = await tool("fusermount", ["-V"]);
    if (fm.missing || fm.code !== 0) throw new Fail(`fusermount not usable: ${firstLine(fm.out)}`, "apt-get install fuse (bash .ci/setup)");
    try {
      loadFuse();
    } catch (e) {
      throw new Fail(`@cocalc/fuse-native does not load: ${firstLine(e instanceof Error ? e.message : String(e))}`, "apt-get install libfuse-dev pkg-config, then npm ci (it builds the module from source)");
    }
    return `root=${m.root} allowlist=${m.allowlist.length} device=${FUSE_DEVICE} fusermount=${firstLine(fm.out).replace(/^fusermount version:\s*/, "")} module=@cocalc/fuse-native`;
  });

  await run("gpu", async () => {
    if (a.mock) return { skip: "status=skip reason=mock" };
    try {
      const inv = await nvidiaSmiInventory(o.nvidiaSmi);
      return `backend=nvidia-smi gpus=${inv.gpus.length}${inv.gpus[0] ? ` driver=${inv.gpus[0].driver_version}` : ""}`;
    } catch (e) {
      throw new Fail(firstLine(e instanceof Error ? e.message : String(e)), "install the NVIDIA driver so nvidia-smi answers (or run coh with --mock on a machine without GPUs)");
    }
  });

  for (const [name, args, mockSkip] of [["python3", ["--version"], false], ["qemu-system-aarch64", ["--version"], true]] as const) {
    await run("runtime", async () => {
      if (mockSkip && a.mock) return { skip: `tool=${name} status=skip reason=mock` };
      const r = await tool(name, [...args]);
      if (r.missing) throw new Fail(`tool=${name} not found on PATH`, `apt-get install ${name === "python3" ? "python3" : "qemu-system-arm"} (bash .ci/setup)`);
      if (r.code !== 0) throw new Fail(`tool=${name} exited ${r.code}: ${firstLine(r.out)}`, `reinstall ${name}`);
      const v = firstLine(r.out);
      if (name === "python3") {
        const m = /(\d+)\.(\d+)/.exec(v);
        if (m && (Number(m[1]) < 3 || (Number(m[1]) === 3 && Number(m[2]) < 11))) throw new Fail(`tool=${name} version=${v} is older than 3.11 (tools/cohesix-py needs 3.11)`, "install Python 3.11 or newer");
      }
      return `tool=${name} version=${v}`;
    });
  }

  // The hive: its console port (or the in-process core), then the manifest it reports.
  let stopMock: (() => Promise<void>) | undefined;
  let connector: Connector = () => tcpPipe(a.host, a.port, MANIFEST.cohsh.timeout_ms);
  let endpoint = `${a.host}:${a.port}`;
  let reached = false;
  try {
    await run("console", async () => {
      if (a.mock) {
        const t = await mockTransport();
        stopMock = () => t.stop();
        connector = t.connector;
        endpoint = "mock";
      }
      let c: P9Client | null = null;
      try {
        c = new P9Client(await connector(), MANIFEST.cohsh.timeout_ms);
        const v = await c.negotiate(8192, "9P2000.L");
        reached = true;
        return `endpoint=${endpoint} protocol=9p version=${v.version} msize=${v.msize}`;
      } catch (e) {
        throw new Fail(`endpoint=${endpoint} ${firstLine(e instanceof Error ? e.message : String(e))}`, "boot the hive (npm run boot, or npm run mock) or point --host/--port at it");
      } finally {
        c?.end();
      }
    });

    const restUrl = a["rest-url"] ?? REST_URL_ENV.map((n) => process.env[n]).find((v) => v);
    let gw: RestClient | null = null;
    if (restUrl) {
      await run("gateway", async () => {
        const token = a["rest-auth-token"] !== undefined ? resolveSecret("--rest-auth-token", a["rest-auth-token"]) : secretFromEnv("--rest-auth-token", REST_AUTH_ENV);
        const http = new RestClient({ url: restUrl, token: token ?? "", readAttempts: 1 });
        const b = await http.get("/v1/meta/bounds");
        if (b.status === 0) throw new Fail(`url=${restUrl} ${b.error ?? "unreachable"}`, "start hive-gateway (./bin/hive-gateway) or fix --rest-url");
        const sha = (b.raw as { manifest_sha256?: string } | undefined)?.manifest_sha256;
        if (sha !== MANIFEST_SHA256) throw new Fail(`url=${restUrl} the gateway was built from manifest ${sha ?? "?"}, this coh from ${MANIFEST_SHA256}`, "run the gateway and coh from the same tree (npm run gen, restart the gateway)");
        const st = await http.get("/v1/meta/status");
        if (st.status === 401 || st.status === 403) throw new Fail(`url=${restUrl} the gateway refuses the request token (HTTP ${st.status})`, "set --rest-auth-token or HIVE_GATEWAY_REQUEST_AUTH_TOKEN to the gateway's request token");
        if (st.status !== 200) throw new Fail(`url=${restUrl} /v1/meta/status answered HTTP ${st.status}`, "see the gateway's log");
        const connected = (st.raw as { connected?: boolean } | undefined)?.connected;
        if (connected === false) throw new Fail(`url=${restUrl} the gateway is not connected to its hive`, "boot the hive the gateway points at (its --tcp-host/--tcp-port)");
        gw = http;
        return `url=${restUrl} manifest_sha256=${sha} connected=${connected === true}`;
      });
    }

    await run("manifest", async () => {
      let boot: string;
      const gwc = gw as RestClient | null;
      if (gwc) {
        const r = await gwc.get(`/v1/fs/cat?path=${encodeURIComponent("/proc/boot")}&max_bytes=4096`);
        if (r.status !== 200) throw new Fail(`cannot read /proc/boot through the gateway (HTTP ${r.status})`, "see check=gateway");
        boot = ((r.raw as { lines?: string[] }).lines ?? []).join("\n");
      } else {
        if (!reached) throw new Fail("the hive is not reachable", "see check=console");
        const t = mintTicket({ role: "queen", secret: MANIFEST.tickets.queen });
        if (!t.ok) throw new Fail(`cannot mint a queen ticket: ${t.error.message}`, "check the manifest's [[tickets]]");
        const c = new P9Client(await connector(), MANIFEST.cohsh.timeout_ms);
        try {
          await c.negotiate(8192, "9P2000.L");
          const { fid } = await c.attach("queen", t.value.token);
          boot = await c.cat(fid, "/proc/boot");
        } catch (e) {
          throw new Fail(`cannot read /proc/boot: ${firstLine(e instanceof Error ? e.message : String(e))}`, "the hive refuses this build's queen ticket: it runs another manifest; rebuild and reboot it from this tree (npm run build && npm run boot)");
        } finally {
          c.end();
        }
      }
      const hive = /manifest\.sha256=([0-9a-f]{64})/.exec(boot)?.[1];
      if (!hive) throw new Fail("/proc/boot names no manifest.sha256", "the hive is not a Cohesix root task of this lineage");
      if (hive !== MANIFEST_SHA256) throw new Fail(`local=${MANIFEST_SHA256} hive=${hive}: the hive runs another manifest`, "rebuild and reboot the hive from this tree (npm run build && npm run boot), or use the coh built with the hive's manifest");
      return `local=${MANIFEST_SHA256} hive=${hive}`;
    });
  } finally {
    await stopMock?.();
  }

  const failed = checks.filter((c) => c.status === "err").length;
  if (failed > 0) throw new CohError(`doctor failed: ${failed} check(s) failed`);
  return { checks, failed };
}
