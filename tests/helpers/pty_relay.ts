// A command under a real pseudo-terminal, relayed through pipes: Python's stdlib `pty` forks the
// command with a terminal as its stdin/stdout, copies this process's pipe writes to the terminal
// and the terminal's output back (carriage returns dropped, so `^END$` matches as on a pipe).
// Tests that drive an interactive program line by line use it: the program sees isTTY and
// behaves as it does for an operator, and no native module is built.

import { spawn, type ChildProcess } from "node:child_process";

const RELAY = String.raw`
import os, pty, select, sys
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[1], sys.argv[1:])
inp = sys.stdin.fileno()
open_in = True
while True:
    watch = [fd] + ([inp] if open_in else [])
    r, _, _ = select.select(watch, [], [])
    if fd in r:
        try:
            d = os.read(fd, 65536)
        except OSError:
            d = b""
        if not d:
            break
        os.write(1, d.replace(b"\r", b""))
    if open_in and inp in r:
        d = os.read(inp, 65536)
        if d:
            os.write(fd, d)
        else:
            open_in = False
            os.write(fd, b"\x04")
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status) if hasattr(os, "waitstatus_to_exitcode") else status >> 8)
`;

/** Spawns `cmd args…` under a pseudo-terminal; stdin/stdout of the returned process are the relay's pipes. */
export function spawnUnderPty(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = process.env): ChildProcess {
  return spawn("python3", ["-c", RELAY, cmd, ...args], { cwd, env, stdio: ["pipe", "pipe", "pipe"] });
}
