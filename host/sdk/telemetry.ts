// `telemetry push <file> --device <id>`: a file becomes an OS-named segment of
// cohsh-telemetry-push/v1 records, each small enough for one console ECHO.

import { readFileSync } from "node:fs";
import { extname } from "node:path";
import type { Reply } from "../console/client.js";
import { MANIFEST } from "../generated/manifest.js";

export const MIME_BY_EXT: Record<string, string> = {
  ".txt": "text/plain",
  ".log": "text/plain",
  ".json": "application/json",
  ".ndjson": "application/x-ndjson",
  ".csv": "text/csv",
};

export class PushError extends Error {}

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

export type Send = (line: string) => Promise<Reply>;

export interface PushResult {
  device: string;
  seg: string;
  records: number;
  bytes: number;
}

export async function telemetryPush(file: string, device: string, send: Send): Promise<PushResult> {
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
  // Over the console one record is one ECHO payload.
  const recordMax = Math.min(MANIFEST.console.echo_max, MANIFEST.telemetry_ingest.max_record_bytes);
  const pieces = chunk(text, mime, recordMax);
  const created = await send(`ECHO /queen/telemetry/${device}/ctl {"new":"segment","mime":"${mime}"}`);
  if (!created.ok) throw new PushError(created.ack);
  const latest = await send(`CAT /queen/telemetry/${device}/latest`);
  const seg = latest.lines[0];
  if (!latest.ok || !seg) throw new PushError(`cannot read the new segment's name: ${latest.ack}`);
  for (let i = 0; i < pieces.length; i++) {
    const r = await send(`ECHO /queen/telemetry/${device}/seg/${seg} ${envelope(i + 1, mime, pieces[i])}`);
    if (!r.ok) throw new PushError(`record ${i + 1}: ${r.ack}`);
  }
  return { device, seg, records: pieces.length, bytes: data.length };
}
