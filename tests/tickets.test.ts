// Capability tickets: the core's verifier (assembly/ticket/*, through tests/assembly/ticket_entry.ts),
// the host codec and minting (host/sdk/ticket/*), and `cohsh --mint-ticket` (host/cohsh/mint.ts).

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { blake3 } from "@noble/hashes/blake3.js";
import { beforeAll, describe, expect, it } from "vitest";
import { mintTicketCli } from "../host/cohsh/mint.js";
import { MANIFEST } from "../host/generated/manifest.js";
import {
  decodeClaims,
  decodeTicket,
  decodeTicketUnverified,
  encodeClaims,
  mintTicket,
  signTicket,
  ticketKey,
  TICKET_ROLES,
  type ClaimsErrorKind,
  type TicketClaims,
} from "../host/sdk/ticket/index.js";
import { loadTicketWasm, type TicketWasm, type VerifyAccepted, type VerifyOutcome } from "./helpers/ticket_wasm.js";
import { xorshift } from "./helpers/rng.js";

// The original's fixtures (facts §4.3), signed with the development secrets of the manifest.
const F_WORKER =
  "cohesix-ticket-0101080800776f726b65722d31000000000000000000000000.ea7bee86230e67031e6e758fa01c00eaa9c1f0bfff4b41548424a3df0356cff9";
const F_BUS =
  "cohesix-ticket-0103080b006d6f646275732d6d61696e000000000000000000000000.e9f653dd264c440296e25118f72ed5a10cd8b2141288c45139bbcef8316d98c8";
const F_QUEEN_EXPIRED =
  "cohesix-ticket-0100040000000000000000000000000000000000000000.e9b8bc4e26e2f06725347bdd8983fb3efc170658fc6af53cabb746bef58deddb";
const F_QUEEN_SCOPES =
  "cohesix-ticket-0100300000000000000000000000000304002f6c6f67000100000006002f717565656e010000000006002f7368617264010000000000000000000000000000000001000000.0c714a86a89a2abc049395e486dbd2a8ce6ba7076ce508a02431a22319629672";

const NOW = 1_767_225_600_000n; // 2026-01-01T00:00:00Z
const SECRETS: Record<string, string> = MANIFEST.tickets;

// AssemblyScript ClaimsError codes, in the order of assembly/ticket/claims.ts.
const AS_ERRORS: (ClaimsErrorKind | "none")[] = ["none", "truncated", "version", "role", "flags", "string-length", "utf8", "scope-count", "verb", "trailing"];

let wasm: TicketWasm;

beforeAll(async () => {
  wasm = await loadTicketWasm("tickets");
});

function accepted(o: VerifyOutcome): VerifyAccepted {
  if (!o.ok) throw new Error(`refused: reason=${o.reason} detail=${o.detail} cause=${o.cause}`);
  return o;
}

function refused(o: VerifyOutcome): string {
  return o.ok ? "accepted" : `${o.reason}/${o.detail}/${o.cause}`;
}

/** Signs raw claims bytes with a secret, bypassing the encoder (for malformed payloads). */
function signRaw(claims: Uint8Array, secret: string): string {
  const mac = blake3(claims, { key: ticketKey(secret) });
  return `cohesix-ticket-${Buffer.from(claims).toString("hex")}.${Buffer.from(mac).toString("hex")}`;
}

function sign(c: TicketClaims, secret = SECRETS[c.role]): string {
  const t = signTicket(c, secret);
  if (!t.ok) throw new Error(t.error.message);
  return t.value;
}

const base = (role: TicketClaims["role"], extra: Partial<TicketClaims> = {}): TicketClaims => ({
  role,
  issuedAtMs: NOW,
  mounts: { service: "", at: "" },
  ...extra,
});

describe("fixture tickets (the original's, verified with the manifest secrets)", () => {
  it("worker-heartbeat with subject worker-1", () => {
    const r = accepted(wasm.verify(F_WORKER, "worker-heartbeat", NOW));
    expect(r).toMatchObject({ role: "worker-heartbeat", roleIndex: 1, subject: "worker-1", ticks: null, ops: null, ttl: null, issuedAt: "0" });
    expect(accepted(wasm.verify(F_WORKER, "worker", NOW)).role).toBe("worker-heartbeat");
  });

  it("worker-bus with subject modbus-main", () => {
    expect(accepted(wasm.verify(F_BUS, "worker-bus", NOW))).toMatchObject({ role: "worker-bus", subject: "modbus-main" });
  });

  it("queen with ttl_s=0 is expired (reason=quota)", () => {
    expect(wasm.verify(F_QUEEN_EXPIRED, "queen", NOW)).toEqual({ ok: false, reason: "quota", detail: "expired", cause: "expired" });
    expect(wasm.verify(F_QUEEN_EXPIRED, "queen", 0n)).toMatchObject({ ok: false, detail: "expired" });
  });

  it("queen with scopes and quotas decodes exactly, manifest defaults for the zeros", () => {
    const r = accepted(wasm.verify(F_QUEEN_SCOPES, "queen", NOW));
    expect(r.scopes).toEqual([
      { path: "/log", verb: 0, rate: 1 },
      { path: "/queen", verb: 1, rate: MANIFEST.ticket_limits.max_scope_rate_per_s },
      { path: "/shard", verb: 1, rate: MANIFEST.ticket_limits.max_scope_rate_per_s },
    ]);
    expect(r).toMatchObject({ bandwidth: "131072", resumes: 16, advances: 1, mounts: ["", ""], expiresAt: "18446744073709551615" });
  });

  it("the host codec decodes and verifies the same fixtures", () => {
    const d = decodeTicket(F_QUEEN_SCOPES, "bootstrap");
    expect(d.ok && d.value).toEqual({
      role: "queen",
      issuedAtMs: 0n,
      mounts: { service: "", at: "" },
      scopes: [
        { path: "/log", verb: "read", ratePerS: 1 },
        { path: "/queen", verb: "write", ratePerS: 0 },
        { path: "/shard", verb: "write", ratePerS: 0 },
      ],
      quotas: { bandwidthBytes: 0n, cursorResumes: 0, cursorAdvances: 1 },
    });
    for (const [t, secret] of [[F_WORKER, "worker"], [F_BUS, "worker-bus"], [F_QUEEN_EXPIRED, "bootstrap"]]) {
      const v = decodeTicket(t, secret);
      expect(v.ok).toBe(true);
      // Re-encoding reproduces the fixture byte for byte.
      if (v.ok) expect(sign(v.value, secret)).toBe(t);
    }
    expect(decodeTicket(F_WORKER, "bootstrap")).toMatchObject({ ok: false, error: { kind: "mac" } });
  });
});

describe("refusals", () => {
  const flip = (s: string, i: number): string => s.slice(0, i) + (s[i] === "0" ? "1" : "0") + s.slice(i + 1);

  it("tampered MAC, claims or role are denied (reason=policy)", () => {
    expect(refused(wasm.verify(flip(F_WORKER, F_WORKER.length - 1), "worker-heartbeat", NOW))).toBe("policy/denied/mac");
    // The subject's last byte '1' → '0' still decodes, so only the MAC catches it.
    const i = F_WORKER.indexOf(".") - 26;
    expect(refused(wasm.verify(flip(F_WORKER, i), "worker-heartbeat", NOW))).toBe("policy/denied/mac");
    expect(refused(wasm.verify(F_WORKER, "worker-gpu", NOW))).toBe("policy/denied/role");
    expect(refused(wasm.verify(F_WORKER, "queen", NOW))).toBe("policy/denied/role");
    expect(refused(wasm.verify(F_QUEEN_SCOPES, "worker-heartbeat", NOW))).toBe("policy/denied/role");
    expect(refused(wasm.verify(F_WORKER, "nobody", NOW))).toBe("policy/denied/role");
    // Claims that say worker-gpu, signed with the heartbeat secret.
    const forged = sign(base("worker-gpu", { subject: "g" }), "worker");
    expect(refused(wasm.verify(forged, "worker-gpu", NOW))).toBe("policy/denied/mac");
  });

  it("malformed text is invalid-claims (reason=policy), never a trap", () => {
    const dot = F_WORKER.indexOf(".");
    const cases: [string, string][] = [
      [F_WORKER.slice(0, dot - 2) + F_WORKER.slice(dot), "truncated"],
      [F_WORKER.slice(0, dot - 1) + F_WORKER.slice(dot), "odd-hex"],
      [F_WORKER.slice(0, -2), "mac-length"],
      [F_WORKER + "00", "mac-length"],
      [F_WORKER.replace("776f", "776F"), "hex"],
      [F_WORKER.toUpperCase(), "prefix"],
      [F_WORKER.slice(0, dot) + "." + F_WORKER.slice(dot + 1).toUpperCase(), "hex"],
      [F_WORKER.replace(".", ""), "separator"],
      [F_WORKER.replace(".", "x"), "separator"],
      ["cohesix-ticket-." + "0".repeat(64), "truncated"],
      ["", "prefix"],
      ["cohesix-ticket-", "separator"],
      ["cohesix-ticket-0g." + "0".repeat(64), "hex"],
      ["cohesix-ticket-0é." + "0".repeat(64), "hex"],
      [F_WORKER.replace("cohesix-ticket-", "cohesix-tickets"), "prefix"],
    ];
    for (const [t, cause] of cases) expect(refused(wasm.verify(t, "worker-heartbeat", NOW)), t).toBe(`policy/invalid-claims/${cause}`);
  });

  it("a ticket over the console bound (225 characters) is refused before decoding", () => {
    // 15 prefix + 2*(17 + subject) claims hex + 1 + 64 MAC hex.
    const t224 = sign(base("worker-heartbeat", { subject: "s".repeat(55) }));
    expect(t224.length).toBe(224);
    expect(accepted(wasm.verify(t224, "worker-heartbeat", NOW)).subject).toBe("s".repeat(55));
    const t225 = t224 + "0";
    expect(refused(wasm.verify(t225, "worker-heartbeat", NOW))).toBe("policy/invalid-claims/too-long");
  });

  it("undecodable claims under a valid MAC are invalid-claims (reason=policy)", () => {
    const ok = encodeClaims(base("worker-heartbeat", { subject: "w" }));
    if (!ok.ok) throw new Error(ok.error.message);
    const raw = ok.value;
    const withByte = (at: number, v: number): Uint8Array => {
      const b = raw.slice();
      b[at] = v;
      return b;
    };
    const cases: [Uint8Array, string][] = [
      [Uint8Array.from([...raw, 0]), "trailing"],
      [raw.slice(0, raw.length - 1), "truncated"],
      [withByte(0, 2), "version"],
      [withByte(1, 5), "role"],
      [withByte(2, 0x48), "flags"],
      // Subject length 200 with only 1 byte present: the length runs past the buffer.
      [Uint8Array.from([1, 1, 8, 200, 0, 0x77]), "truncated"],
      [Uint8Array.from([1, 1, 8, 0x00, 0x01, ...new Array<number>(30).fill(0x61)]), "string-length"],
      [Uint8Array.from([1, 1, 8, 1, 0, 0xff, ...new Array<number>(12).fill(0)]), "utf8"],
      [Uint8Array.from([1, 0, 0x10, ...new Array<number>(12).fill(0), 1, 0, 0, 3, 0, 0, 0, 0]), "verb"],
      [new Uint8Array(0), "truncated"],
    ];
    for (const [claims, cause] of cases) {
      expect(refused(wasm.verify(signRaw(claims, SECRETS[TICKET_ROLES[claims[1]]] ?? "x"), "worker-heartbeat", NOW)), cause).toBe(
        `policy/invalid-claims/${cause}`,
      );
    }
  });

  it("more than 16 scopes is a decode error (such a ticket cannot fit the console bound anyway)", () => {
    const scopes = (n: number): number[] => Array.from({ length: n }, () => [0, 0, 0, 0, 0, 0, 0]).flat();
    const claims = (n: number): Uint8Array => Uint8Array.from([1, 0, 0x10, ...new Array<number>(12).fill(0), n, ...scopes(n)]);
    expect(AS_ERRORS[wasm.decode(claims(16))]).toBe("none");
    expect(AS_ERRORS[wasm.decode(claims(17))]).toBe("scope-count");
    expect(AS_ERRORS[wasm.decode(claims(255).slice(0, 40))]).toBe("scope-count");
    expect(decodeClaims(claims(17))).toMatchObject({ ok: false, error: { kind: "scope-count" } });
    expect(refused(wasm.verify(signRaw(claims(17), "bootstrap"), "queen", NOW))).toBe("policy/invalid-claims/too-long");
  });

  it("claims beyond ticket_limits are invalid-claims (reason=quota)", () => {
    const rate = MANIFEST.ticket_limits.max_scope_rate_per_s;
    const at = (r: number): string => sign(base("queen", { scopes: [{ path: "/log", verb: "read", ratePerS: r }] }));
    expect(accepted(wasm.verify(at(rate), "queen", NOW)).scopes[0].rate).toBe(rate);
    expect(refused(wasm.verify(at(rate + 1), "queen", NOW))).toBe("quota/invalid-claims/scope-rate");
    const eight = sign(base("queen", { scopes: new Array(8).fill({ path: "", verb: "read", ratePerS: 0 }) }));
    expect(eight.length).toBeLessThanOrEqual(224);
    expect(accepted(wasm.verify(eight, "queen", NOW)).scopes.length).toBe(8);
  });

  it("expiry is issued_at_ms + ttl_s*1000 <= now (reason=quota), and checked after the MAC", () => {
    const t = sign(base("worker-heartbeat", { subject: "w", ttlS: 300n }));
    expect(accepted(wasm.verify(t, "worker-heartbeat", NOW + 299_999n)).expiresAt).toBe(String(NOW + 300_000n));
    expect(refused(wasm.verify(t, "worker-heartbeat", NOW + 300_000n))).toBe("quota/expired/expired");
    expect(refused(wasm.verify(t, "worker-gpu", NOW + 300_000n))).toBe("policy/denied/role");
    const huge = sign(base("queen", { ttlS: (1n << 64n) - 1n, issuedAtMs: (1n << 64n) - 1n }));
    expect(accepted(wasm.verify(huge, "queen", NOW)).expiresAt).toBe("18446744073709551615");
  });

  it("worker tickets need a subject (reason=policy detail=denied); the queen does not", () => {
    expect(refused(wasm.verify(sign(base("worker-lora")), "worker-lora", NOW))).toBe("policy/denied/subject");
    expect(refused(wasm.verify(sign(base("worker-lora", { subject: "" })), "worker-lora", NOW))).toBe("policy/denied/subject");
    expect(accepted(wasm.verify(sign(base("queen")), "queen", NOW)).subject).toBe("");
  });
});

describe("fuzz: the verifier and decoder never trap, and agree with the host codec", () => {
  const rnd = xorshift(0x9e3779b9);
  const bytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => rnd(256));

  it("random and near-valid claims: same verdict (and error kind) in core and host", () => {
    const seen = new Set<string>();
    const str = (): string => ["", "w", "/log", "é", "x".repeat(rnd(40))][rnd(5)];
    const valid = (): Uint8Array => {
      const c: TicketClaims = { role: TICKET_ROLES[rnd(5)], issuedAtMs: BigInt(rnd(1 << 30)), mounts: { service: str(), at: str() } };
      if (rnd(2)) c.ticks = BigInt(rnd(5000));
      if (rnd(2)) c.ops = BigInt(rnd(5000));
      if (rnd(2)) c.ttlS = BigInt(rnd(500));
      if (rnd(2)) c.subject = str();
      if (rnd(2)) c.scopes = Array.from({ length: rnd(17) }, () => ({ path: str(), verb: (["read", "write", "read-write"] as const)[rnd(3)], ratePerS: rnd(100) }));
      if (rnd(2)) c.quotas = { bandwidthBytes: BigInt(rnd(1 << 20)), cursorResumes: rnd(50), cursorAdvances: rnd(500) };
      const e = encodeClaims(c);
      if (!e.ok) throw new Error(e.error.message);
      return e.value;
    };
    for (let i = 0; i < 4000; i++) {
      let b: Uint8Array;
      const kind = i % 4;
      if (kind === 0) b = bytes(rnd(120));
      else if (kind === 1) b = valid();
      else if (kind === 2) {
        // A valid payload with a few bytes changed, cut short or extended.
        b = valid();
        for (let k = rnd(3); k >= 0; k--) b[rnd(b.length)] = rnd(5) === 0 ? rnd(256) : rnd(24);
        if (rnd(4) === 0) b = b.slice(0, rnd(b.length));
        if (rnd(8) === 0) b = Uint8Array.from([...b, ...bytes(1 + rnd(3))]);
      } else {
        // Mostly-valid headers, and scope counts on both sides of the decoder's bound.
        b = Uint8Array.from([1, rnd(6), rnd(64) | (rnd(8) === 0 ? 0x40 : 0), ...bytes(rnd(100))]);
        for (let k = 3; k < b.length; k++) if (rnd(3) !== 0) b[k] = rnd(4);
        if (rnd(4) === 0) b = Uint8Array.from([1, 0, 0x10, ...new Array<number>(12).fill(0), 14 + rnd(6), ...bytes(rnd(140)).map((x) => x & 1)]);
      }
      const core = AS_ERRORS[wasm.decode(b)];
      const host = decodeClaims(b);
      expect(host.ok ? "none" : host.error.kind, Buffer.from(b).toString("hex")).toBe(core);
      seen.add(core);
    }
    // The generator reaches every outcome, so the agreement above means something.
    expect([...seen].sort()).toEqual([...AS_ERRORS].sort());
  });

  it("random text, mutated tickets and invalid UTF-8 are refused cleanly", () => {
    const alphabet = "0123456789abcdefABCDEF.-xé\u0000";
    const fixtures = [F_WORKER, F_BUS, F_QUEEN_EXPIRED, F_QUEEN_SCOPES];
    const roles = [...TICKET_ROLES, "worker", "", "x".repeat(40)];
    for (let i = 0; i < 3000; i++) {
      let text: string;
      const kind = i % 4;
      if (kind === 0) {
        text = "cohesix-ticket-" + Array.from({ length: rnd(260) }, () => alphabet[rnd(alphabet.length)]).join("");
      } else if (kind === 1) {
        const f = fixtures[rnd(4)];
        const at = rnd(f.length);
        const op = rnd(3);
        const c = alphabet[rnd(alphabet.length)];
        text = op === 0 ? f.slice(0, at) + c + f.slice(at + 1) : op === 1 ? f.slice(0, at) + f.slice(at + 1) : f.slice(0, at) + c + f.slice(at);
      } else if (kind === 2) {
        const o = wasm.verifyBytes(bytes(rnd(300)), roles[rnd(roles.length)], BigInt(rnd(1 << 30)));
        expect(o.ok).toBe(false);
        continue;
      } else {
        text = fixtures[rnd(4)].slice(0, rnd(230));
      }
      const o = wasm.verify(text, roles[rnd(roles.length)], NOW);
      if (o.ok) expect(fixtures).toContain(text);
      else expect(["policy", "quota"]).toContain(o.reason);
    }
  });
});

describe("minting", () => {
  it("default budgets per role, issued_at = now, verified by the core", () => {
    const want: Record<string, [string | null, string | null, string | null]> = {
      queen: [null, null, null],
      "worker-heartbeat": ["1000", "10000", "300"],
      "worker-gpu": [null, "64", "120"],
      "worker-bus": ["1000", "10000", "300"],
      "worker-lora": ["1000", "10000", "300"],
    };
    for (const role of TICKET_ROLES) {
      const m = mintTicket({ role, subject: role === "queen" ? undefined : "w1", secret: SECRETS[role], nowMs: NOW });
      if (!m.ok) throw new Error(m.error.message);
      const r = accepted(wasm.verify(m.value.token, role, NOW + 1000n));
      expect([r.ticks, r.ops, r.ttl]).toEqual(want[role]);
      expect(r.issuedAt).toBe(String(NOW));
      expect(decodeTicketUnverified(m.value.token)).toEqual({ ok: true, value: m.value.claims });
    }
  });

  it("a worker subject of 31 bytes fits 224 characters; 32 is refused", () => {
    const m31 = mintTicket({ role: "worker-heartbeat", subject: "s".repeat(31), secret: "worker" });
    if (!m31.ok) throw new Error(m31.error.message);
    expect(m31.value.token.length).toBe(162 + 62);
    expect(m31.value.token.length).toBeLessThanOrEqual(MANIFEST.console.ticket_max);
    expect(accepted(wasm.verify(m31.value.token, "worker-heartbeat", BigInt(Date.now()))).subject).toBe("s".repeat(31));
    expect(mintTicket({ role: "worker-heartbeat", subject: "s".repeat(32), secret: "worker" })).toMatchObject({
      ok: false,
      error: { kind: "subject-too-long" },
    });
    expect(mintTicket({ role: "worker-bus", secret: "worker-bus" })).toMatchObject({ ok: false, error: { kind: "subject-required" } });
    expect(mintTicket({ role: "king", secret: "x" })).toMatchObject({ ok: false, error: { kind: "unknown-role" } });
  });
});

describe("cohsh --mint-ticket", () => {
  const dir = mkdtempSync(join(tmpdir(), "cohesix-tickets-"));
  const config = join(dir, "site.toml");
  writeFileSync(config, '[[tickets]]\nrole = "worker-heartbeat"\nsecret = "from-file"\n\n[[tickets]]\nrole = "queen"\nsecret = "queen-file"\n');
  const other = join(dir, "other.toml");
  writeFileSync(other, '[[tickets]]\nrole = "worker"\nsecret = "from-env-file"\n');
  const token = (stdout: string): string => stdout.trimEnd();
  const secretOf = (t: string): string | undefined =>
    ["cli", "env", "from-file", "from-env-file", "worker", "queen-file", "bootstrap"].find((s) => decodeTicket(t, s).ok);

  it("prints a token the core accepts with the manifest's secret", () => {
    const r = mintTicketCli({ role: "worker", ticketSubject: "worker-1" }, {});
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(r.stdout).toMatch(/^cohesix-ticket-[0-9a-f]+\.[0-9a-f]{64}\n$/);
    expect(accepted(wasm.verify(token(r.stdout), "worker-heartbeat", BigInt(Date.now()))).subject).toBe("worker-1");
    const q = mintTicketCli({ role: "queen" }, {});
    expect(accepted(wasm.verify(token(q.stdout), "queen", BigInt(Date.now()))).role).toBe("queen");
  });

  it("takes the secret from flag, env, --ticket-config, COHSH_TICKET_CONFIG, then the manifest", () => {
    const w = { role: "worker-heartbeat", ticketSubject: "w" };
    const env = { COHSH_TICKET_SECRET: "env", COHSH_TICKET_CONFIG: other };
    expect(secretOf(token(mintTicketCli({ ...w, ticketSecret: "cli", ticketConfig: config }, env).stdout))).toBe("cli");
    expect(secretOf(token(mintTicketCli({ ...w, ticketConfig: config }, env).stdout))).toBe("env");
    expect(secretOf(token(mintTicketCli({ ...w, ticketConfig: config }, { COHSH_TICKET_CONFIG: other }).stdout))).toBe("from-file");
    expect(secretOf(token(mintTicketCli(w, { COHSH_TICKET_CONFIG: other }).stdout))).toBe("from-env-file");
    expect(secretOf(token(mintTicketCli(w, {}).stdout))).toBe("worker");
    expect(secretOf(token(mintTicketCli({ role: "queen", ticketConfig: config }, {}).stdout))).toBe("queen-file");
    // A ticket signed with a site secret is refused by a core built with the development manifest.
    const site = token(mintTicketCli({ ...w, ticketConfig: config }, {}).stdout);
    expect(refused(wasm.verify(site, "worker-heartbeat", BigInt(Date.now())))).toBe("policy/denied/mac");
  });

  it("clear errors", () => {
    const cases: [Parameters<typeof mintTicketCli>[0], number, RegExp][] = [
      [{}, 2, /--mint-ticket needs --role/],
      [{ role: "king" }, 2, /unknown role 'king' \(expected one of queen, worker-heartbeat/],
      [{ role: "worker-gpu" }, 2, /role worker-gpu needs a ticket subject \(--ticket-subject\)/],
      [{ role: "worker-gpu", ticketSubject: "g".repeat(32) }, 2, /subject is 32 bytes; at most 31/],
      [{ role: "worker-gpu", ticketSubject: "g", ticketConfig: config }, 1, /site\.toml: no \[\[tickets\]\] entry for role worker-gpu/],
      [{ role: "queen", ticketConfig: join(dir, "missing.toml") }, 1, /missing\.toml: cannot read/],
      [{ role: "queen", ticketSecret: "" }, 2, /--ticket-secret is empty/],
    ];
    for (const [argv, code, msg] of cases) {
      const r = mintTicketCli(argv, {});
      expect(r.code, JSON.stringify(argv)).toBe(code);
      expect(r.stdout).toBe("");
      expect(r.stderr).toMatch(/^cohsh: /);
      expect(r.stderr).toMatch(msg);
    }
    writeFileSync(join(dir, "bad.toml"), "[[tickets]\n");
    expect(mintTicketCli({ role: "queen", ticketConfig: join(dir, "bad.toml") }, {}).stderr).toMatch(/bad\.toml: invalid TOML/);
  });
});
