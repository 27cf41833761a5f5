#!/usr/bin/env node
// Launcher: runs swarmui's TypeScript CLI in this same process (tsx's loader), so a signal sent
// to this pid reaches the server itself, with no orphaned child.
import { register } from "tsx/esm/api";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "../..");
register();
await import(pathToFileURL(join(root, "host/swarmui/cli.ts")).href);
