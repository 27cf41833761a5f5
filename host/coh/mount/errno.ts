// Errno values a FUSE callback answers with (Linux numbers; fuse-native wants them negated), and
// how a hive refusal becomes one. The guest's own vocabulary (host/generated/protocol.ts) maps a
// console detail or a 9P errno name to its errno, so a refusal reads the same over 9P and REST.

import { ERRORS, ERRNOS } from "../../generated/protocol.js";
import { NsClosed, NsRefusal } from "../../sdk/ns.js";
import { P9ClosedError, P9Error, P9TimeoutError } from "../../sdk/p9/client.js";

export const E = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  EBADF: 9,
  EAGAIN: 11,
  EACCES: 13,
  EBUSY: 16,
  ENOTDIR: 20,
  EISDIR: 21,
  EINVAL: 22,
  EMFILE: 24,
  EFBIG: 27,
  EROFS: 30,
  ENAMETOOLONG: 36,
  ENODATA: 61,
  EMSGSIZE: 90,
  ENOTSUP: 95,
  EDQUOT: 122,
} as const;

/** A mount operation refused with `errno` (positive); `detail` is for logs and tests. */
export class MountError extends Error {
  override readonly name = "MountError";
  constructor(
    readonly errno: number,
    readonly detail: string,
    /** The connection was found closed: an idempotent call may be tried once more on a new one. */
    readonly retryable = false,
  ) {
    super(`${nameOf(errno)}: ${detail}`);
  }
}

export function nameOf(errno: number): string {
  return Object.entries(E).find(([, v]) => v === errno)?.[0] ?? `errno ${errno}`;
}

const byName = ERRNOS as Readonly<Record<string, number>>;

/** Any error a backend call threw, as the errno the FUSE caller gets. */
export function errnoOf(e: unknown): number {
  if (e instanceof MountError) return e.errno;
  if (e instanceof P9Error) return e.errno || classicErrno(e.code);
  if (e instanceof NsRefusal) {
    if (e.errno) return e.errno;
    if (e.errnoName && byName[e.errnoName]) return byName[e.errnoName];
    // The console's ERR line carries detail=<word>: the error vocabulary gives its errno.
    const word = e.line ? / detail=([a-z-]+)/.exec(e.line)?.[1] : undefined;
    const row = ERRORS.find((r) => r.detail !== "" && r.detail === (word ?? e.detail));
    if (row) return row.errnoValue;
    if (e.httpStatus === 404) return E.ENOENT;
    if (e.httpStatus === 413) return E.EMSGSIZE;
    if (e.httpStatus === 400) return E.EINVAL;
    if (e.httpStatus === 429) return e.reason === "quota" ? E.EDQUOT : E.EAGAIN;
    if (e.httpStatus === 401 || e.httpStatus === 403) return E.EACCES;
    return E.EIO;
  }
  if (e instanceof NsClosed || e instanceof P9ClosedError || e instanceof P9TimeoutError) return E.EIO;
  return E.EIO;
}

// The classic dialect's words (a session switched to Rerror) back to errnos.
function classicErrno(code: string): number {
  const m: Record<string, number> = { Permission: E.EACCES, NotFound: E.ENOENT, Busy: E.EBUSY, Invalid: E.EINVAL, TooBig: E.EDQUOT, Closed: E.EBADF };
  return m[code] ?? byName[code] ?? E.EIO;
}
