// cas-tool: signed, content-addressed update bundles for Cohesix (docs/CAS.md).
//   keygen --out KEY                      fresh Ed25519 seed (0600) + KEY.pub; prints the public key
//   pack --epoch E --input F --signing-key K [--out-dir D] [--chunk-bytes N] [--delta-base B]
//   verify --bundle D --public-key HEX    the guest's acceptance checks, offline
// Every command takes --json (one JSON object on stdout); exit codes in errors.ts.

import yargs from "yargs";
import { hideBin } from "yargs/helpers";
import { pack, verifyBundle } from "./bundle.js";
import { CasToolError, EXIT_OK, EXIT_USAGE } from "./errors.js";
import { keygen, parsePublicKey } from "./keys.js";
import { DEFAULT_LIMITS } from "./limits.js";
import { progress } from "./progress.js";
import { uploadCommand } from "./upload_cli.js";
import { MANIFEST } from "../generated/manifest.js";

type Out = { json: boolean };

function emit(o: Out, text: string, obj: Record<string, unknown>): void {
  process.stdout.write(o.json ? JSON.stringify({ ok: true, ...obj }) + "\n" : text + "\n");
}

async function run(argv: string[]): Promise<number> {
  let code = EXIT_OK;
  const attempt = (json: boolean, fn: () => void): void => {
    try {
      fn();
    } catch (e) {
      code = fail(json, e);
    }
  };
  await yargs(argv)
    .scriptName("cas-tool")
    .usage("$0 <command> [options]\n\nSigned, content-addressed update bundles for Cohesix (docs/CAS.md).")
    .option("json", { type: "boolean", default: false, describe: "print one JSON object on stdout" })
    .option("quiet", { type: "boolean", default: false, describe: "no progress on stderr" })
    .command(
      "keygen",
      "write a fresh Ed25519 signing seed (mode 0600) and KEY.pub; print the public key",
      (y) => y.option("out", { type: "string", demandOption: true, describe: "key file to write" }).option("force", { type: "boolean", default: false, describe: "replace an existing key file" }),
      (a) => attempt(a.json, () => {
        const r = keygen(a.out, a.force);
        emit(a, `${r.publicKey}\ncas-tool: wrote signing key ${r.keyFile} (public key ${r.publicKeyFile}, fingerprint ${r.fingerprint})`, { ...r });
      }),
    )
    .command(
      "pack",
      "split FILE into chunks named by SHA-256 and write a signed manifest",
      (y) =>
        y
          .option("epoch", { type: "string", demandOption: true, describe: "update epoch, 1..20 digits" })
          .option("input", { type: "string", demandOption: true, describe: "payload file" })
          .option("out-dir", { type: "string", describe: "bundle directory (default out/cas/<epoch>)" })
          .option("chunk-bytes", { type: "number", describe: `chunk size (default ${DEFAULT_LIMITS.chunkBytesDefault}, at most ${DEFAULT_LIMITS.chunkBytesMax})` })
          .option("delta-base", { type: "string", describe: "base bundle directory: pack a delta on it" })
          .option("signing-key", { type: "string", describe: "key file, file:/abs/path or env:NAME (64 hex characters)" })
          .option("pad", { type: "boolean", default: false, describe: "zero-pad the input to whole chunks instead of refusing it" })
          .option("force", { type: "boolean", default: false, describe: "replace a different bundle already in --out-dir" }),
      (a) => attempt(a.json, () => {
        const bar = progress("pack", { quiet: a.quiet });
        const r = pack({
          epoch: a.epoch,
          input: a.input,
          outDir: a["out-dir"] ?? `out/cas/${a.epoch}`,
          chunkBytes: a["chunk-bytes"],
          deltaBase: a["delta-base"],
          signingKey: a["signing-key"],
          pad: a.pad,
          force: a.force,
          limits: DEFAULT_LIMITS,
          onProgress: (d, t) => bar.update(d, t),
        });
        bar.done();
        emit(a, `cas-tool: wrote bundle ${r.dir} (epoch=${r.epoch} kind=${r.kind} chunks=${r.chunks} chunk_bytes=${r.chunkBytes} payload_sha256=${r.payloadSha256} key=${r.keyFingerprint})`, { ...r });
      }),
    )
    .command(
      "verify",
      "check a bundle offline as the guest would: chunk sizes and hashes, signature, payload hash",
      (y) =>
        y
          .option("bundle", { type: "string", demandOption: true, describe: "bundle directory" })
          .option("public-key", { type: "string", array: true, demandOption: true, describe: "64 hex characters or file:/path (repeat for rotation: any one may sign)" })
          .option("base-bundle", { type: "string", describe: "a delta's base bundle (default: ../<base epoch> next to --bundle)" }),
      (a) => attempt(a.json, () => {
        const r = verifyBundle(a.bundle, { publicKeys: a.publicKey.map(String).map(parsePublicKey), baseDir: a["base-bundle"], limits: DEFAULT_LIMITS });
        emit(a, `cas-tool: bundle ${r.dir} ok (epoch=${r.epoch} kind=${r.kind} chunks=${r.chunks} payload_sha256=${r.payloadSha256} key=${r.keyFingerprint})`, { ...r });
      }),
    )
    .command(
      "upload",
      "send a bundle to a hive's /updates: chunks first, then the manifest; resumes where a previous run stopped",
      (y) =>
        y
          .option("bundle", { type: "string", demandOption: true, describe: "bundle directory" })
          .option("transport", { choices: ["tcp", "mock", "qemu"] as const, default: "tcp" as const, describe: "where the hive is (mock/qemu: start one in this process, for demos and tests)" })
          .option("protocol", { choices: ["console", "9p"] as const, default: "console" as const, describe: "console (b64: ECHO segments) or Secure9P (larger records; needs --ticket)" })
          .option("host", { type: "string", default: "127.0.0.1" })
          .option("port", { type: "number", default: MANIFEST.network.console_port })
          .option("auth-token", { type: "string", describe: "console AUTH token: literal, env:NAME or file:/path (default env COH_AUTH_TOKEN, then the manifest's)" })
          .option("ticket", { type: "string", describe: "queen ticket: env:NAME, file:/path or literal (required for 9P)" })
          .option("rest-url", { type: "string", describe: "hive-gateway URL: upload over REST instead" })
          .option("rest-auth-token", { type: "string", describe: "gateway request token: env:NAME, file:/path or literal" })
          .option("record-bytes", { type: "number", describe: "largest record to send (default: the console's echo_max, or the guest's 9P line bound)" })
          .option("timeout-ms", { type: "number", default: 30_000, describe: "reply timeout per record (the manifest's last one waits for the guest's signature check)" }),
      async (a) => {
        const bar = progress("upload", { quiet: a.quiet, minItems: 1 });
        try {
          const r = await uploadCommand({
            bundle: a.bundle,
            transport: a.transport,
            protocol: a.protocol,
            host: a.host,
            port: a.port,
            authToken: a["auth-token"],
            ticket: a.ticket,
            restUrl: a["rest-url"],
            restAuthToken: a["rest-auth-token"],
            recordBytes: a["record-bytes"],
            timeoutMs: a["timeout-ms"],
            // A bar only when there is something to watch (more than a few records).
            onProgress: (sent, total) => (total > 4096 ? bar.update(sent, total) : undefined),
          });
          bar.done();
          emit(
            a,
            `cas-tool: uploaded update epoch=${r.epoch} state=${r.state} chunks_sent=${r.chunksSent} chunks_skipped=${r.chunksSkipped} bytes=${r.bytesSent} resumed_bytes=${r.resumedBytes} records=${r.records} ms=${r.ms}`,
            { ...r },
          );
        } catch (e) {
          bar.done();
          code = fail(a.json, e);
        }
      },
    )
    .demandCommand(1, "name a command: keygen, pack, verify or upload")
    .strict()
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`cas-tool: ${msg}\n`);
      code = EXIT_USAGE;
    })
    .help()
    .parseAsync();
  return code;
}

function fail(json: boolean, e: unknown): number {
  const msg = e instanceof Error ? e.message : String(e);
  const exit = e instanceof CasToolError ? e.exitCode : 1;
  if (json) process.stdout.write(JSON.stringify({ ok: false, error: msg, exitCode: exit }) + "\n");
  process.stderr.write(`cas-tool: ${msg}\n`);
  return exit;
}

run(hideBin(process.argv)).then(
  (code) => process.exit(code),
  (e) => process.exit(fail(process.argv.includes("--json"), e)),
);
