// The host SDK (docs/HOST_SDK.md): the one client library every host tool imports.

export * from "./ns.js";
export * from "./pipe.js";
export * from "./connect.js";
export * from "./open.js";
export { ConsoleClient, ConsoleClosedError, ConsoleTimeoutError } from "./console/client.js";
export { Session, SessionError, DEFAULT_RETRY, DEFAULT_HEARTBEAT_MS, CONSOLE_DEFAULTS, type SessionOptions } from "./console/session.js";
export * from "./console/grammar.js";
export { ConsoleNamespace, FOLLOW_POLL_MS } from "./ns_console.js";
export { NineNamespace, type NineOptions } from "./ns_9p.js";
export { P9Client, P9Error, P9ClosedError } from "./p9/client.js";
export * as queenCtl from "./queen_ctl.js";
export * as telemetry from "./telemetry.js";
export * as uploads from "./upload.js";
export * as policy from "./policy.js";
export * as tickets from "./ticket/index.js";
