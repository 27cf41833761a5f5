// Every refusal the gateway answers, as an HTTP status with a reason. The console's
// `ERR <VERB> reason=<r> detail=<d>` lines map here in ONE function (consoleStatus) so that the
// generated error table of the next-floor work can replace it without touching the routes.

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
 * with status ERR; clients then had to parse the body to learn they had failed).
 */
export function consoleStatus(ack: string, wellFormedPath = false): number {
  const e = parseConsoleErr(ack);
  // The guest answers a lookup miss with invalid-path, like a malformed path; a path that passed
  // the path rule (the caller checked) and is still "invalid path" simply does not exist.
  if (wellFormedPath && e.detail === "invalid-path" && ack.endsWith("error=invalid path")) return 404;
  if (e.verb === "PARSE") return 400;
  if (e.reason === "quota" || e.reason === "busy") return 429;
  if (e.reason === "cut" || e.reason === "timeout") return 503;
  switch (e.detail) {
    case "not-found":
      return 404;
    case "invalid-path":
    case "invalid-payload":
    case "out-of-window":
    case "window-closed":
      return 400;
    default:
      return 403;
  }
}

/** The NsRefusal reasons of the SDK, for REST clients that turn statuses back into refusals. */
export function refusalReason(status: number): "busy" | "quota" | "cut" | "policy" {
  if (status === 429) return "busy";
  if (status === 503 || status === 504) return "cut";
  return "policy";
}
