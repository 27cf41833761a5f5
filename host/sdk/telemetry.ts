// Telemetry push envelopes (`cohsh telemetry push <file> --device <id>`): a file becomes an
// OS-named segment of cohsh-telemetry-push/v1 records, each small enough for one append on the
// connection it goes over (one console ECHO, or one 9P write).

import { readFileSync } from "node:fs";
import { extname } from "node:path";
import { MANIFEST } from "../generated/manifest.js";
import { NsRefusal, type NamespaceClient } from "./ns.js";

export const MIME_BY_EXT: Record<string, string> = {
  ".txt": "text/plain",
  ".log": "text/plain",
  ".json": "application/json",
  ".ndjson": "application/x-ndjson",
  ".csv": "text/csv",
};

export class PushError extends Error {
  override readonly name = "PushError";
}

/** JSON string escaping limited to what the guest's reader accepts (no \u escapes). */
export function escapeJson(s: string): string {
  let out = "";
  for (const ch of s) {
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (ch.charCodeAt(0) < 0x20) throw new PushError(`control character 0x${ch.charCodeAt(0).toString(16)} cannot be sent`);
    else out += ch;
  }
  return out;
}

export function envelope(seq: number, mime: string, payload: string): string {
  return `{"schema":"cohsh-telemetry-push/v1","seq":${seq},"mime":"${mime}","payload":"${escapeJson(payload)}"}`;
}

/** Splits text into payload chunks whose envelopes fit `maxBytes` (never splitting a character). */
export function chunk(text: string, mime: string, maxBytes: number): string[] {
  const out: string[] = [];
  let cur = "";
  for (const ch of text) {
    const next = cur + ch;
    if (Buffer.byteLength(envelope(out.length + 1, mime, next)) > maxBytes) {
      if (!cur) throw new PushError(`one character does not fit a ${maxBytes}-byte record`);
      out.push(cur);
      cur = ch;
    } else {
      cur = next;
    }
  }
  if (cur) out.push(cur);
  return out;
}

export interface PushResult {
  device: string;
  seg: string;
  records: number;
  bytes: number;
}

/** Pushes `file` as a new segment of `device`; refusals by the hive become PushError with the hive's words. */
export async function telemetryPush(file: string, device: string, ns: NamespaceClient): Promise<PushResult> {
  const mime = MIME_BY_EXT[extname(file).toLowerCase()];
  if (!mime) throw new PushError(`unsupported file type '${extname(file)}' (allowed: ${Object.keys(MIME_BY_EXT).join(" ")})`);
  if (!/^[A-Za-z0-9._-]{1,32}$/.test(device)) throw new PushError("device must be 1-32 characters of [A-Za-z0-9._-]");
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (e) {
    throw new PushError(`cannot read ${file}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const max = MANIFEST.telemetry_ingest.max_bytes_per_segment;
  if (data.length > max) throw new PushError(`${file} is ${data.length} bytes; a segment holds at most ${max}`);
  const text = data.toString("utf8");
  if (Buffer.from(text, "utf8").compare(data) !== 0) throw new PushError(`${file} is not UTF-8`);
  // One record is one append: bounded by the ingest limit and by what the connection carries.
  const recordMax = Math.min(ns.caps.maxRecord, MANIFEST.telemetry_ingest.max_record_bytes);
  const pieces = chunk(text, mime, recordMax);
  const hive = async <T>(what: string, f: () => Promise<T>): Promise<T> => {
    try {
      return await f();
    } catch (e) {
      if (e instanceof NsRefusal) throw new PushError(what + (e.line ?? e.message));
      throw e;
    }
  };
  await hive("", () => ns.append(`/queen/telemetry/${device}/ctl`, `{"new":"segment","mime":"${mime}"}`));
  const latest = await hive("cannot read the new segment's name: ", () => ns.read(`/queen/telemetry/${device}/latest`));
  const seg = latest[0];
  if (!seg) throw new PushError(`cannot read the new segment's name: /queen/telemetry/${device}/latest is empty`);
  for (let i = 0; i < pieces.length; i++) {
    await hive(`record ${i + 1}: `, () => ns.append(`/queen/telemetry/${device}/seg/${seg}`, envelope(i + 1, mime, pieces[i])));
  }
  return { device, seg, records: pieces.length, bytes: data.length };
}
