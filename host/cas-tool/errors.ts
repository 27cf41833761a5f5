// cas-tool's errors and exit codes: scripts branch on the code, people read the message.

export const EXIT_OK = 0;
/** The bundle (or what the guest said about it) is bad: verification failed, refused, quarantined. */
export const EXIT_REFUSED = 1;
/** Bad arguments or unreadable input files: nothing was done. */
export const EXIT_USAGE = 2;
/** The peer could not be reached or the connection broke: safe to re-run (uploads resume). */
export const EXIT_TRANSPORT = 3;

export class CasToolError extends Error {
  constructor(message: string, readonly exitCode: number = EXIT_USAGE) {
    super(message);
  }
}
