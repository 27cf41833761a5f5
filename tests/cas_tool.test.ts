// cas-tool keygen / pack / verify (host/cas-tool): deterministic bundles byte-identical to the
// original's, the original's error texts, offline verification catching every bad bundle, and
// the CLI's --json and exit codes.

import { spawn, spawnSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { pack, verifyBundle, type PackOptions } from "../host/cas-tool/bundle.js";
import { CasToolError, EXIT_REFUSED, EXIT_USAGE } from "../host/cas-tool/errors.js";
import { rawPublicKey } from "../host/cas-tool/keys.js";
import { DEFAULT_LIMITS } from "../host/cas-tool/limits.js";
import { spawnGateway, TOKEN } from "./helpers/gateway.js";
import { xorshift } from "./helpers/rng.js";

const ROOT = resolve(import.meta.dirname, "..");
const FIX = join(ROOT, "tests/fixtures/cas");
const KEY = join(FIX, "cas_signing_key.hex");
const VECTORS = JSON.parse(readFileSync(join(FIX, "vectors.json"), "utf8")) as { publicKey: string; fingerprint: string };
const PUB = Buffer.from(VECTORS.publicKey, "hex");
const tmp = mkdtempSync(join(tmpdir(), "cas-tool-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// The manifests the original's scripts/cohsh/cas_roundtrip.coh uploads for epochs 100 and 101
// (its `b64:` segments, joined): made there by the original's cas-tool from the same payloads and seed.
const ORIGINAL_100 =
  "iHdjb2hlc2l4LWNhcy9tYW5pZmVzdC12MWMxMDAYgBiAWCC2rDzBA4YzHHZfBPBBwUfQ8njyrtjqoCHi0AV/xvb/noFY" +
  "ILasPMEDhjMcdl8E8EHBR9DyePKu2OqgIeLQBX/G9v+e9lhA0/pTLGggvKyIJWrubYvLArn3amDh5F69l1QB5HN2E4x/" +
  "jHteTYAevo4zucMQHXfA8daes6xX9hC3Kt6gtyjADQ==";
const ORIGINAL_101 =
  "iHdjb2hlc2l4LWNhcy9tYW5pZmVzdC12MWMxMDEYgBiAWCAMg+htUbu11Ev5wPuKDernKV2Q58XSibQxsJlty1ztEYFY" +
  "IHq6pwGm9LuNnqOHKjFVl+tvLM/QM5LY0QVgg39hNtBqgmMxMDBYILasPMEDhjMcdl8E8EHBR9DyePKu2OqgIeLQBX/G" +
  "9v+eWECcR3ei+RTL1eJYu0RUQ4tNOSn27OuCZsUHZh5mjppFsEtnSqqz7OKYGSNhMnTKoVXSpPXdVCyJHE8F0jsQuO0D";

let n = 0;
const dir = (): string => join(tmp, `b${n++}`);

function input(bytes: number, seed = 1): string {
  const rnd = xorshift(seed);
  const p = join(tmp, `in${n++}`);
  writeFileSync(p, Uint8Array.from({ length: bytes }, () => rnd(256)));
  return p;
}

const opts = (o: Partial<PackOptions>): PackOptions => ({ epoch: "1", input: "", outDir: dir(), signingKey: KEY, limits: DEFAULT_LIMITS, ...o });

function refusal(fn: () => unknown): { message: string; code: number } {
  try {
    fn();
  } catch (e) {
    if (e instanceof CasToolError) return { message: e.message, code: e.exitCode };
    throw e;
  }
  throw new Error("expected a CasToolError");
}

function filesOf(d: string): Record<string, string> {
  const out: Record<string, string> = {};
  out["manifest.cbor"] = readFileSync(join(d, "manifest.cbor")).toString("hex");
  for (const f of readdirSync(join(d, "chunks"))) out[`chunks/${f}`] = readFileSync(join(d, "chunks", f)).toString("hex");
  return out;
}

function cli(args: string[], env: NodeJS.ProcessEnv = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(join(ROOT, "bin/cas-tool"), args, { cwd: tmp, encoding: "utf8", env: { ...process.env, ...env } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** The CLI in a child process without blocking this one (a gateway child must keep answering). */
function cliAsync(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((res) => {
    const p = spawn(join(ROOT, "bin/cas-tool"), args, { cwd: tmp, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.on("close", (code) => res({ code: code ?? -1, stdout, stderr }));
  });
}

describe("pack", () => {
  it("writes the original's manifest bytes for the original's payloads (epoch 100 base, 101 delta)", () => {
    const d100 = dir();
    pack(opts({ epoch: "100", input: join(FIX, "payload_100.bin"), outDir: d100, chunkBytes: 128 }));
    expect(readFileSync(join(d100, "manifest.cbor")).toString("base64")).toBe(ORIGINAL_100);
    const d101 = dir();
    const r = pack(opts({ epoch: "101", input: join(FIX, "payload_101.bin"), outDir: d101, chunkBytes: 128, deltaBase: d100 }));
    expect(readFileSync(join(d101, "manifest.cbor")).toString("base64")).toBe(ORIGINAL_101);
    expect(r).toMatchObject({ kind: "delta", deltaBaseEpoch: "100", chunks: 1, keyFingerprint: VECTORS.fingerprint });
    // And the committed fixtures are those bundles.
    expect(filesOf(d100)).toEqual(filesOf(join(FIX, "bundles/100")));
    expect(filesOf(d101)).toEqual(filesOf(join(FIX, "bundles/101")));
  });

  it("is deterministic: two packs of the same input are byte-identical, chunks named by SHA-256", () => {
    const inp = input(40 * 4096, 7);
    const a = dir();
    const b = dir();
    pack(opts({ epoch: "7", input: inp, outDir: a, chunkBytes: 4096 }));
    pack(opts({ epoch: "7", input: inp, outDir: b, chunkBytes: 4096 }));
    expect(filesOf(a)).toEqual(filesOf(b));
    expect(readdirSync(join(a, "chunks"))).toHaveLength(40);
    // Packing again into the same directory is a no-op, not an error.
    expect(pack(opts({ epoch: "7", input: inp, outDir: a, chunkBytes: 4096 })).chunks).toBe(40);
  });

  it("refuses a different bundle in --out-dir unless --force, which also drops the old chunks", () => {
    const d = dir();
    pack(opts({ input: input(8192, 1), outDir: d, chunkBytes: 4096 }));
    expect(refusal(() => pack(opts({ input: input(4096, 2), outDir: d, chunkBytes: 4096 })))).toEqual({ message: `out dir ${d} holds a different bundle (use --force to replace it)`, code: EXIT_USAGE });
    pack(opts({ input: input(4096, 2), outDir: d, chunkBytes: 4096, force: true }));
    expect(readdirSync(join(d, "chunks"))).toHaveLength(1);
  });

  it("gives the original's errors", () => {
    const odd = input(100);
    expect(refusal(() => pack(opts({ input: odd, chunkBytes: 64 }))).message).toBe("payload length 100 is not a multiple of chunk_bytes 64");
    expect(refusal(() => pack(opts({ input: input(0), chunkBytes: 64 }))).message).toBe("payload produced zero chunks");
    expect(refusal(() => pack(opts({ input: odd, signingKey: undefined }))).message).toBe("signing key required by template");
    const notHex = join(tmp, "k-nothex");
    writeFileSync(notHex, "zz".repeat(32));
    expect(refusal(() => pack(opts({ input: odd, signingKey: notHex }))).message).toBe(`signing key ${notHex} must be hex`);
    const short = join(tmp, "k-short");
    writeFileSync(short, "  " + "ab".repeat(16) + "\n");
    expect(refusal(() => pack(opts({ input: odd, signingKey: short }))).message).toBe(`signing key ${short} must be 32 bytes (got 16)`);
    const base = dir();
    pack(opts({ epoch: "100", input: join(FIX, "payload_100.bin"), outDir: base, chunkBytes: 128 }));
    expect(refusal(() => pack(opts({ input: input(128), chunkBytes: 64, deltaBase: base }))).message).toBe("delta base chunk_bytes 128 does not match template 64");
    const chunk = join(base, "chunks", readdirSync(join(base, "chunks"))[0]);
    writeFileSync(chunk, Buffer.alloc(128, 0x43));
    expect(refusal(() => pack(opts({ input: input(128), chunkBytes: 128, deltaBase: base }))).message).toBe(`base chunk ${chunk} hash mismatch`);
  });

  it("holds the guest's bounds at and past their edge", () => {
    expect(pack(opts({ input: input(DEFAULT_LIMITS.chunksMax * 128), chunkBytes: 128 })).chunks).toBe(DEFAULT_LIMITS.chunksMax);
    expect(refusal(() => pack(opts({ input: input((DEFAULT_LIMITS.chunksMax + 1) * 128), chunkBytes: 128 }))).message).toBe(
      `CAS manifest capacity exceeded: ${DEFAULT_LIMITS.chunksMax + 1} chunks > ${DEFAULT_LIMITS.chunksMax} (use larger --chunk-bytes)`,
    );
    expect(pack(opts({ input: input(DEFAULT_LIMITS.chunkBytesMax), chunkBytes: DEFAULT_LIMITS.chunkBytesMax })).chunkBytes).toBe(DEFAULT_LIMITS.chunkBytesMax);
    expect(refusal(() => pack(opts({ input: input(2 * DEFAULT_LIMITS.chunkBytesMax), chunkBytes: 2 * DEFAULT_LIMITS.chunkBytesMax }))).message).toBe(
      `--chunk-bytes ${2 * DEFAULT_LIMITS.chunkBytesMax} is over the guest's limit of ${DEFAULT_LIMITS.chunkBytesMax}`,
    );
    expect(pack(opts({ epoch: "9".repeat(20), input: input(128), chunkBytes: 128 })).epoch).toHaveLength(20);
    for (const e of ["9".repeat(21), "", "1a", "-1"]) expect(refusal(() => pack(opts({ epoch: e, input: input(128), chunkBytes: 128 }))).message).toBe(`epoch ${JSON.stringify(e)} must be 1..20 ASCII digits`);
  });

  it("--pad zero-fills to whole chunks", () => {
    const r = pack(opts({ input: input(100), chunkBytes: 64, pad: true }));
    expect(r).toMatchObject({ chunks: 2, payloadBytes: 128, paddedBytes: 28 });
  });

  it("refuses a delta on a delta (the guest would)", () => {
    const b = dir();
    const d = dir();
    pack(opts({ epoch: "1", input: input(128), outDir: b, chunkBytes: 128 }));
    pack(opts({ epoch: "2", input: input(128, 2), outDir: d, chunkBytes: 128, deltaBase: b }));
    expect(refusal(() => pack(opts({ epoch: "3", input: input(128, 3), chunkBytes: 128, deltaBase: d }))).message).toMatch(/is itself a delta \(epoch 2\)/);
  });
});

describe("verify", () => {
  const good = (): string => {
    const d = dir();
    cpSync(join(FIX, "bundles/100"), d, { recursive: true });
    return d;
  };
  const v = (d: string, keys: Buffer[] = [PUB], baseDir?: string) => verifyBundle(d, { publicKeys: keys, baseDir, limits: DEFAULT_LIMITS });

  it("accepts the fixtures, the delta with its base found next to it", () => {
    expect(v(join(FIX, "bundles/100"))).toMatchObject({ epoch: "100", kind: "base", keyFingerprint: VECTORS.fingerprint });
    expect(v(join(FIX, "bundles/101"))).toMatchObject({ epoch: "101", kind: "delta", deltaBaseEpoch: "100" });
  });

  it("accepts any one of several keys (rotation) and refuses a wrong key", () => {
    const other = rawPublicKey(generateKeyPairSync("ed25519").publicKey);
    expect(v(good(), [other, PUB]).keyFingerprint).toBe(VECTORS.fingerprint);
    const r = refusal(() => v(good(), [other]));
    expect(r.code).toBe(EXIT_REFUSED);
    expect(r.message).toMatch(/reason=signature-failed/);
  });

  it("refuses a tampered chunk, a chunk of the wrong size, a missing chunk, a truncated manifest", () => {
    const chunkOf = (d: string): string => join(d, "chunks", readdirSync(join(d, "chunks"))[0]);
    let d = good();
    const c = chunkOf(d);
    const buf = readFileSync(c);
    buf[5] ^= 1;
    writeFileSync(c, buf);
    expect(refusal(() => v(d))).toEqual({ message: `chunk ${c} hash mismatch`, code: EXIT_REFUSED });
    d = good();
    writeFileSync(chunkOf(d), Buffer.alloc(64, 0x41));
    expect(refusal(() => v(d)).message).toBe(`chunk ${chunkOf(d)} has len 64 (expected 128)`);
    d = good();
    const missing = chunkOf(d);
    rmSync(missing);
    expect(refusal(() => v(d)).message).toBe(`read bundle chunk ${missing}: missing`);
    d = good();
    truncateSync(join(d, "manifest.cbor"), 50);
    expect(refusal(() => v(d)).message).toBe(`decode bundle manifest ${join(d, "manifest.cbor")}: unexpected end of manifest payload`);
  });

  it("refuses a delta whose base does not match", () => {
    const base = dir();
    pack(opts({ epoch: "100", input: input(128, 5), outDir: base, chunkBytes: 128 }));
    expect(refusal(() => v(join(FIX, "bundles/101"), [PUB], base)).message).toMatch(/delta base_sha256 does not match base epoch 100/);
  });
});

describe("the CLI", () => {
  it("keygen writes a 0600 seed and KEY.pub, prints the public key, refuses to overwrite", () => {
    const k = join(tmp, "key1");
    const r = cli(["keygen", "--out", k]);
    expect(r.code).toBe(0);
    const pub = readFileSync(`${k}.pub`, "utf8").trim();
    expect(r.stdout.split("\n")[0]).toBe(pub);
    expect(statSync(k).mode & 0o777).toBe(0o600);
    expect(readFileSync(k, "utf8")).toMatch(/^[0-9a-f]{64}\n$/);
    const again = cli(["keygen", "--out", k, "--json"]);
    expect(again.code).toBe(EXIT_USAGE);
    expect(JSON.parse(again.stdout)).toEqual({ ok: false, error: `key file ${k} exists (use --force to replace it)`, exitCode: EXIT_USAGE });
  });

  it("pack and verify with --json, a key by env: reference, exit 1 for a bad bundle and 2 for bad usage", () => {
    const seed = readFileSync(KEY, "utf8");
    const out = join(tmp, "cli-bundle");
    const p = cli(["pack", "--epoch", "5", "--input", join(FIX, "payload_100.bin"), "--out-dir", out, "--chunk-bytes", "128", "--signing-key", "env:CAS_TEST_KEY", "--json"], { CAS_TEST_KEY: seed });
    expect(p.code).toBe(0);
    expect(JSON.parse(p.stdout)).toMatchObject({ ok: true, epoch: "5", kind: "base", chunks: 1, keyFingerprint: VECTORS.fingerprint });
    expect(p.stdout + p.stderr).not.toContain(seed.trim()); // a secret is never echoed
    const ok = cli(["verify", "--bundle", out, "--public-key", VECTORS.publicKey, "--json"]);
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, epoch: "5" });
    const bad = cli(["verify", "--bundle", out, "--public-key", "ab".repeat(32)]);
    expect(bad.code).toBe(EXIT_REFUSED);
    expect(bad.stderr).toMatch(/reason=signature-failed/);
    const usage = cli(["pack", "--epoch", "5"]);
    expect(usage.code).toBe(EXIT_USAGE);
    expect(usage.stderr).toMatch(/Missing required argument/);
    expect(existsSync(join(tmp, "out/cas/5"))).toBe(false);
  });
});

describe("seed scenario C step 1: pack, then upload through hive-gateway", () => {
  it("runs the seed's two commands as written (the request token from HIVE_GATEWAY_REQUEST_AUTH_TOKEN) and the hive accepts the epoch", async () => {
    const gw = await spawnGateway(["--mock", "--bind", "127.0.0.1:0"], { HIVE_GATEWAY_REQUEST_AUTH_TOKEN: TOKEN });
    try {
      const out = join(tmp, "seed-c", "1");
      const input = join(tmp, "seed-c", "payload");
      mkdirSync(join(tmp, "seed-c"), { recursive: true });
      writeFileSync(input, Buffer.from(Uint8Array.from({ length: 2 * 65_536 }, (_, i) => (i * 31 + 7) & 0xff)));
      const p = await cliAsync(["pack", "--epoch", "1", "--input", input, "--out-dir", out, "--signing-key", KEY]);
      expect(p.code, p.stderr).toBe(0);
      const up = await cliAsync(["upload", "--bundle", out, "--rest-url", gw.url], { HIVE_GATEWAY_REQUEST_AUTH_TOKEN: TOKEN });
      expect(up.code, up.stderr).toBe(0);
      expect(up.stdout).toMatch(/^cas-tool: uploaded update epoch=1 state=ready chunks_sent=2 chunks_skipped=0 /m);
      // A second run finds everything in place and sends nothing.
      const again = await cliAsync(["upload", "--bundle", out, "--rest-url", gw.url, "--json"], { HIVE_GATEWAY_REQUEST_AUTH_TOKEN: TOKEN });
      expect(again.code, again.stderr).toBe(0);
      expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, epoch: "1", state: "ready", chunksSent: 0, bytesSent: 0 });
      // A wrong token is the gateway's 401, said as such, exit code of a refusal or usage, never 0.
      const bad = await cliAsync(["upload", "--bundle", out, "--rest-url", gw.url], { HIVE_GATEWAY_REQUEST_AUTH_TOKEN: "wrong-token-0123456789" });
      expect(bad.code).not.toBe(0);
      expect(bad.stderr).toMatch(/invalid request auth token.*pass --rest-auth-token/);
      expect(bad.stderr).not.toContain("wrong-token-0123456789");
    } finally {
      await gw.stop();
    }
  }, 120_000);
});
