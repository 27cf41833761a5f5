// Secrets by reference (the team rule): a value given directly, or `env:NAME`, or
// `file:/abs/path` (one trailing newline dropped). Host tools resolve tokens through this so no
// secret has to sit on a command line.

import { readFileSync } from "node:fs";
import { isAbsolute } from "node:path";

export class SecretError extends Error {
  override readonly name = "SecretError";
}

export function resolveSecret(what: string, v: string | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (v === undefined) return undefined;
  if (v.startsWith("env:")) {
    const x = env[v.slice(4)];
    if (x === undefined) throw new SecretError(`${what}: environment variable ${v.slice(4)} is not set`);
    return x;
  }
  if (v.startsWith("file:")) {
    const p = v.slice(5);
    if (!isAbsolute(p)) throw new SecretError(`${what}: file: references need an absolute path, got '${p}'`);
    try {
      return readFileSync(p, "utf8").replace(/\r?\n$/, "");
    } catch (e) {
      throw new SecretError(`${what}: cannot read ${p}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return v;
}

/** The first of `names` set in `env`, resolved as a secret reference. */
export function secretFromEnv(what: string, names: readonly string[], env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const n of names) if (env[n] !== undefined && env[n] !== "") return resolveSecret(`${what} (${n})`, env[n], env);
  return undefined;
}
