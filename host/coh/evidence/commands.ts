// coh evidence pack | timeline | verify (docs/EVIDENCE.md). pack reads the hive through the
// frame's connection (TCP console, --rest-url, or --mock); timeline and verify are offline and
// never open a connection. Progress goes to stderr; the result lines to stdout (or --json).

import { readFileSync, existsSync, writeFileSync, renameSync } from "node:fs";
import { join } from "node:path";
import type { Argv } from "yargs";
import { CohError, type Ctx } from "../context.js";
import { buildPack, writePackDir } from "./capture.js";
import { sealOf, verifyPack, walk, SEAL_FILES } from "./seal.js";
import { writeTar } from "./tar.js";
import { eventsOf, markdown, ndjsonLine, order, TIMELINE_SOURCES } from "./timeline.js";

type Handler = (ctx: Ctx, a: Record<string, unknown>) => Promise<unknown>;
type Action = (verb: string, h: Handler) => (a: Record<string, unknown>) => Promise<void>;

const progress = (l: string): void => {
  process.stderr.write(l + "\n");
};

async function pack(c: Ctx, a: Record<string, unknown>): Promise<unknown> {
  const out = a.out as string;
  const ns = await c.ns();
  const p = await buildPack(ns, { withTelemetry: a["with-telemetry"] === true, progress });
  writePackDir(out, p.files);
  // A fixed root directory in the tar: the same hive state gives the same tar, wherever --out is.
  if (typeof a.tar === "string") await writeTar(a.tar, p.files, "cohesix-evidence");
  c.out.line(`OK EVIDENCE pack=${out} captured=${p.counts.captured} missing=${p.counts.missing} errors=${p.counts.errors} files=${p.files.size} pack_sha256=${p.digest}`);
  const result = { out, ...p.counts, files: p.files.size, packSha256: p.digest, tar: a.tar ?? null };
  // A capture error fails the command (the pack is still written, with its summary.json).
  if (p.counts.errors > 0) return { ...result, exitCode: 1 };
  return result;
}

function verify(c: Ctx, a: Record<string, unknown>): unknown {
  const dir = a.in as string;
  if (!existsSync(dir)) throw new CohError(`${dir}: no such pack directory`);
  const r = verifyPack(dir);
  if (r.ok) c.out.line(`OK EVIDENCE verify=${dir} files=${r.files} pack_sha256=${r.digest}`);
  else c.out.line(`ERR EVIDENCE verify=${dir} first_mismatch="${r.firstMismatch}" problems=${r.problems.length}`);
  return { ...r, exitCode: r.ok ? 0 : 1 };
}

function timeline(c: Ctx, a: Record<string, unknown>): unknown {
  const dir = a.in as string;
  if (!existsSync(join(dir, "summary.json"))) throw new CohError(`${dir}: not an evidence pack (no summary.json); make one with coh evidence pack --out DIR`);
  const sealed = existsSync(join(dir, "pack.sha256"));
  if (sealed) {
    const v = verifyPack(dir);
    // A pack that no longer matches its seal is not read: its timeline would vouch for edits.
    const stale = v.problems.filter((p) => !/^timeline\.(ndjson|md): (extra|changed)$/.test(p));
    if (stale.length > 0) throw new CohError(`${dir}: the pack does not match its seal (${stale[0]}); coh evidence verify --in ${dir}`);
  }
  const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8")) as { items?: { saved_as: string; status: string }[] };
  const captured = new Set((summary.items ?? []).filter((i) => i.status === "captured").map((i) => i.saved_as));
  const events = order(TIMELINE_SOURCES.filter((s) => captured.has(s) && existsSync(join(dir, s))).flatMap((s) => eventsOf(s, readFileSync(join(dir, s), "utf8").split("\n"))));
  const nd = events.map(ndjsonLine).join("\n") + (events.length ? "\n" : "");
  writeAtomic(join(dir, "timeline.ndjson"), nd);
  writeAtomic(join(dir, "timeline.md"), markdown(events));
  let digest: string | null = null;
  if (sealed) {
    // Re-seal: the timeline files are part of the pack now.
    const files = new Map<string, Uint8Array>();
    for (const f of walk(dir).files) if (!SEAL_FILES.includes(f)) files.set(f, readFileSync(join(dir, f)));
    const s = sealOf(files);
    writeAtomic(join(dir, "checksums.json"), s.checksums);
    writeAtomic(join(dir, "pack.sha256"), s.digest + "\n");
    digest = s.digest;
  }
  c.out.line(`OK EVIDENCE timeline=${dir} events=${events.length}${digest ? ` pack_sha256=${digest}` : ""}`);
  return { in: dir, events: events.length, packSha256: digest };
}

function writeAtomic(file: string, text: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** `coh evidence …`, registered by cli.ts with its action frame. */
export function evidenceCommands(y: Argv, action: Action): Argv {
  return y
    .command(
      "pack",
      "capture a sealed, redacted evidence pack",
      (s) =>
        s
          .option("out", { type: "string", demandOption: true, describe: "pack directory (must be new or empty)" })
          .option("with-telemetry", { type: "boolean", default: false, describe: "also every /queen/telemetry segment" })
          .option("tar", { type: "string", describe: "also write the pack as one deterministic tar file" }),
      action("EVIDENCE", pack),
    )
    .command("timeline", "timeline.ndjson + timeline.md from a pack, offline", (s) => s.option("in", { type: "string", demandOption: true, alias: "input" }), action("EVIDENCE", async (c, a) => timeline(c, a)))
    .command("verify", "re-check every checksum of a pack; report the first mismatch", (s) => s.option("in", { type: "string", demandOption: true, alias: "input" }), action("EVIDENCE", async (c, a) => verify(c, a)))
    .demandCommand(1, "evidence needs pack, timeline or verify");
}
