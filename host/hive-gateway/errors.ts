// Every refusal the gateway answers, as an HTTP status with a reason. The console's
// `ERR <VERB> reason=<r> detail=<d>` lines map here in ONE function (consoleStatus), on the
// generated error table.

import { httpStatusOf } from "../sdk/ns.js";

/** A refusal with its HTTP status; `retryAfterS` becomes the Retry-After header of a 429/503. */
export class GatewayError extends Error {
  constructor(
    readonly status: number,
    message: string,
    /** `reason`/`detail`: the refusal in the console's vocabulary (what ATTACH would have said). */
    readonly extra: { retryAfterS?: number; uncertain?: boolean; ack?: string; reason?: string; detail?: string } = {},
  ) {
    super(message);
  }
}

export interface ConsoleErr {
  verb: string;
  reason: string;
  detail: string;
}

/** Splits an `ERR …` acknowledgement into verb, reason and detail (the first detail= word). */
export function parseConsoleErr(ack: string): ConsoleErr {
  const words = ack.split(" ");
  const kv = (k: string): string => words.find((w) => w.startsWith(k + "="))?.slice(k.length + 1) ?? "";
  return { verb: words[1] ?? "", reason: kv("reason"), detail: kv("detail") };
}

/**
 * The HTTP status of a console refusal. A console ERR is never a 200 (the original answered 200
 * with status ERR; clients then had to parse the body to learn they had failed). The status comes
 * from the generated error table (the manifest's protocol spec, through the SDK), so the gateway,
 * the SDK's REST client and docs/CONSOLE.md's table cannot disagree; only what the table cannot
 * know is decided here: a PARSE refusal is the request's fault, and a cut or timed-out upstream is
 * the gateway's.
 */
export function consoleStatus(ack: string): number {
  const e = parseConsoleErr(ack);
  if (e.verb === "PARSE") return 400;
  if (e.reason === "cut" || e.reason === "timeout") return 503;
  return httpStatusOf(e.reason, e.detail);
}

/** The NsRefusal reasons of the SDK, for REST clients that turn statuses back into refusals. */
export function refusalReason(status: number): "busy" | "quota" | "cut" | "policy" {
  if (status === 429) return "busy";
  if (status === 503 || status === 504) return "cut";
  return "policy";
}
