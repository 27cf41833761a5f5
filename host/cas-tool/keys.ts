// Ed25519 keys for CAS bundles. The signing key file is the original's: 64 hex characters (a
// 32-byte seed), surrounding whitespace ignored. Secrets are named by reference — a path,
// `file:/abs/path` or `env:NAME` — and never echoed. The guest only ever sees public keys.

import { createHash, createPrivateKey, createPublicKey, randomBytes, type KeyObject } from "node:crypto";
import { chmodSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { CasToolError, EXIT_USAGE } from "./errors.js";

// DER prefixes for a raw Ed25519 key (RFC 8410): PKCS#8 private key, SubjectPublicKeyInfo.
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

/** Parses the original's key-file text; `label` names the source in errors. */
export function parseSeedText(text: string, label: string): Buffer {
  const t = text.trim();
  if (t.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(t)) {
    throw new CasToolError(`signing key ${label} must be hex`, EXIT_USAGE);
  }
  const raw = Buffer.from(t, "hex");
  if (raw.length !== 32) throw new CasToolError(`signing key ${label} must be 32 bytes (got ${raw.length})`, EXIT_USAGE);
  return raw;
}

/** Reads a seed from a path, `file:/abs/path` or `env:NAME`. */
export function readSigningKey(ref: string): Buffer {
  if (ref.startsWith("env:")) {
    const name = ref.slice(4);
    const v = process.env[name];
    if (v === undefined) throw new CasToolError(`signing key ${ref}: environment variable ${name} is not set`, EXIT_USAGE);
    return parseSeedText(v, ref);
  }
  const path = ref.startsWith("file:") ? ref.slice(5) : ref;
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new CasToolError(`read signing key ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, EXIT_USAGE);
  }
  return parseSeedText(text, path);
}

export function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
}

export function publicKeyFromRaw(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
}

/** The raw 32-byte public key of a private or public KeyObject. */
export function rawPublicKey(key: KeyObject): Buffer {
  const pub = key.type === "private" ? createPublicKey(key) : key;
  return pub.export({ format: "der", type: "spki" }).subarray(SPKI_PREFIX.length);
}

/** A public key from 64 hex characters, or `file:/path` holding them. */
export function parsePublicKey(ref: string): Buffer {
  let text = ref;
  if (ref.startsWith("file:")) {
    try {
      text = readFileSync(ref.slice(5), "utf8");
    } catch (e) {
      throw new CasToolError(`read public key ${ref.slice(5)}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, EXIT_USAGE);
    }
  }
  const t = text.trim();
  if (!/^[0-9a-fA-F]{64}$/.test(t)) throw new CasToolError(`public key ${ref.startsWith("file:") ? ref : "argument"} must be 64 hex characters`, EXIT_USAGE);
  return Buffer.from(t, "hex");
}

/** How keys are named in logs and status: the first 8 bytes of SHA-256(public key), hex. */
export function fingerprint(pub: Uint8Array): string {
  return createHash("sha256").update(pub).digest("hex").slice(0, 16);
}

export interface KeygenResult {
  keyFile: string;
  publicKeyFile: string;
  publicKey: string;
  fingerprint: string;
}

/** Writes a fresh seed (mode 0600, never over an existing file unless `force`) and KEY.pub. */
export function keygen(out: string, force: boolean): KeygenResult {
  if (!force && existsSync(out)) throw new CasToolError(`key file ${out} exists (use --force to replace it)`, EXIT_USAGE);
  const seed = randomBytes(32);
  const pub = rawPublicKey(privateKeyFromSeed(seed));
  try {
    writeFileSync(out, seed.toString("hex") + "\n", { mode: 0o600, flag: force ? "w" : "wx" });
    chmodSync(out, 0o600); // an overwritten file keeps its old mode otherwise
    writeFileSync(`${out}.pub`, pub.toString("hex") + "\n", { mode: 0o644 });
  } catch (e) {
    throw new CasToolError(`write key file ${out}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`, EXIT_USAGE);
  }
  seed.fill(0);
  return { keyFile: out, publicKeyFile: `${out}.pub`, publicKey: pub.toString("hex"), fingerprint: fingerprint(pub) };
}
