// The console's reply grammar (docs/CONSOLE.md), both ways: parse an `ERR …` line into the
// fields an NsRefusal carries, and render the console's lines from typed results so a tool that
// is not on the console (cohsh over 9P or REST) still prints what the console would.
// Browser-safe: no Node imports.

import { CAT_SUMMARY_MAX, STREAMED_LABELS } from "../../generated/protocol.js";
import { NsRefusal } from "../ns.js";

/** One console reply: payload lines, then the acknowledgement; for streamed verbs the body. */
export interface Reply {
  /** Lines before the acknowledgement (help text, PONG, bootinfo) and, for streams, after it. */
  lines: string[];
  /** The `OK …` or `ERR …` line. */
  ack: string;
  ok: boolean;
}

/** Ack labels whose OK is followed by payload lines and a closing END (the generated verb table). */
export const STREAMED: ReadonlySet<string> = new Set<string>(STREAMED_LABELS);

/** Bytes the guest keeps of a CAT's `path=… data=` summary. */
export const CAT_DETAIL_MAX: number = CAT_SUMMARY_MAX;

/** The wire lines of a reply, in server order. */
export function replyLines(r: Reply): string[] {
  const label = r.ack.split(" ")[1] ?? "";
  return r.ok && STREAMED.has(label) ? [r.ack, ...r.lines, "END"] : [...r.lines, r.ack];
}

/** `key=value` words of an ack line; a value runs to the next ` key=` (details may hold spaces). */
export function ackFields(line: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /(?:^|\s)([a-z_]+)=/g;
  const hits: Array<{ key: string; start: number; end: number }> = [];
  for (let m = re.exec(line); m !== null; m = re.exec(line)) hits.push({ key: m[1], start: m.index, end: m.index + m[0].length });
  hits.forEach((h, i) => {
    if (!(h.key in out)) out[h.key] = line.slice(h.end, i + 1 < hits.length ? hits[i + 1].start : line.length);
  });
  return out;
}

/** An `ERR <VERB> reason=… [detail=…] [path=…] [error=…]` line as an NsRefusal. */
export function refusalOf(line: string): NsRefusal {
  const op = line.split(" ")[1] ?? "";
  const f = ackFields(line);
  const errno = f.error !== undefined && /^E[A-Z]+$/.test(f.error) ? f.error : undefined;
  return new NsRefusal({ op, reason: f.reason ?? "policy", detail: f.detail ?? f.error ?? "", path: f.path, errnoName: errno, line });
}

/** An NsRefusal from another protocol, as the console's ERR line would carry it. */
export function errLine(verb: string, r: NsRefusal): string {
  if (r.line) return r.line;
  // Before attach the console names the fix (`hint=attach`) and no path; 9P and REST say the same.
  if (r.detail === "not-attached") return `ERR ${verb} reason=policy detail=not-attached hint=attach`;
  const parts = [`ERR ${verb} reason=${r.reason}`];
  if (r.path) parts.push(`path=${r.path}`);
  if (r.errnoName) parts.push(`error=${r.errnoName}`);
  else if (r.detail) parts.push(`detail=${r.detail}`);
  return parts.join(" ");
}

function utf8Clip(s: string, max: number): string {
  // The guest clips by UTF-16 units (AssemblyScript substring); so does this.
  return s.length <= max ? s : s.slice(0, max);
}

export const render = {
  attach: (role: string): Reply => ({ lines: [], ack: `OK ATTACH role=${role}`, ok: true }),
  ping: (): Reply => ({ lines: ["PONG"], ack: "OK PING reply=pong", ok: true }),
  ls: (path: string, names: string[]): Reply => ({ lines: names, ack: `OK LS path=${path} entries=${names.length}`, ok: true }),
  /** `summary`: what the guest's file summarises (the queen log prefers echoed records); default all lines. */
  cat: (path: string, lines: string[], body = true, summary = lines.join("|")): Reply => {
    const head = `path=${path} data=`;
    return { lines: body ? lines : [], ack: `OK CAT ${head}${utf8Clip(summary, CAT_DETAIL_MAX - head.length)}`, ok: true };
  },
  tail: (path: string, lines: string[]): Reply => ({ lines, ack: `OK TAIL path=${path}`, ok: true }),
  log: (lines: string[]): Reply => ({ lines, ack: "OK LOG", ok: true }),
  echo: (path: string, bytes: number): Reply => ({ lines: [], ack: `OK ECHO path=${path} bytes=${bytes}`, ok: true }),
  quit: (): Reply => ({ lines: [], ack: "OK QUIT", ok: true }),
  refused: (verb: string, r: NsRefusal): Reply => ({ lines: [], ack: errLine(verb, r), ok: false }),
};
