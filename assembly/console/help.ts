// The diagnostic verbs both consoles answer alike; each console appends its own lines.

export const DIAGNOSTIC_HELP: string[] = [
  "Commands:",
  "help - Show this help",
  "bi - Show bootinfo summary",
  "caps - Show capability slots",
  "mem - Show untyped summary",
  "ping - Respond with pong",
];
