// Preloaded into the mock hive's node process by MockBackend (node --import). The Python side
// holds the write end of a pipe whose read end it inherits (fd in COHESIX_MOCK_WATCH_FD); when that end closes — the client closed, exited
// or was killed with SIGKILL — the read end sees EOF and this process exits, so a mock never
// outlives its client. (Linux also gets PR_SET_PDEATHSIG from the Python side.)
import { createReadStream } from "node:fs";

const fd = Number(process.env.COHESIX_MOCK_WATCH_FD ?? "3");
const watch = createReadStream("", { fd, autoClose: true });
const stop = () => process.exit(0);
watch.on("end", stop);
watch.on("error", stop);
watch.on("close", stop);
watch.resume();
