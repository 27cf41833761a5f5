// The manifest the gateway takes its bounds from: the generated one (default) or any manifest
// file validated by coh-rtc's own schema (the regression manifest in tests, a deployment's own).

import { readFileSync } from "node:fs";
import { parse } from "smol-toml";
import { resolvedJson, sha256 } from "../coh-rtc/emit.js";
import { validate } from "../coh-rtc/schema.js";
import { MANIFEST, MANIFEST_SHA256 } from "../generated/manifest.js";

type Widen<T> = T extends number ? number : T extends string ? string : T;
type Sections = { [S in keyof typeof MANIFEST]: { [K in keyof (typeof MANIFEST)[S]]: Widen<(typeof MANIFEST)[S][K]> } };

export interface GatewayManifest {
  sha256: string;
  m: Sections;
}

export function generatedManifest(): GatewayManifest {
  return { sha256: MANIFEST_SHA256, m: MANIFEST as unknown as Sections };
}

/** Loads and validates a manifest file; throws with every validation error in one message. */
export function loadManifest(file: string): GatewayManifest {
  const raw = parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  const { manifest, errors } = validate(raw);
  if (!manifest) throw new Error(`${file}: ${errors.map((e) => `${e.path}: ${e.message}`).join("; ")}`);
  return { sha256: sha256(resolvedJson(manifest)), m: manifest as unknown as Sections };
}

/** `/v1/meta/bounds`: what a client needs to shape requests, from the manifest alone. */
export function boundsDocument(g: GatewayManifest): Record<string, unknown> {
  const { console: c, namespace: n, governance: gov, policy: p, gateway: gw, telemetry_ingest: ti } = g.m;
  return {
    manifest_sha256: g.sha256,
    secure9p: { msize: c.frame_max, walk_depth: n.walk_depth },
    console: {
      max_line_len: c.line_max,
      max_path_len: c.path_max,
      max_json_len: c.json_max,
      max_id_len: c.worker_id_max,
      max_echo_len: c.echo_max,
      max_ticket_len: c.ticket_max,
      max_tail_lines: c.log_lines,
    },
    paths: {
      queen_ctl: "/queen/ctl",
      queen_lifecycle_ctl: "/queen/lifecycle/ctl",
      queen_schedule_ctl: "/queen/schedule/ctl",
      queen_lease_ctl: "/queen/lease/ctl",
      queen_export_ctl: "/queen/export/ctl",
      policy_ctl: "/policy/ctl",
      log: "/log/queen.log",
    },
    control_plane: {
      schedule: { enable: true, queue_max_entries: gov.schedule_queue_max, ctl_max_bytes: c.echo_max },
      lease: { enable: true, active_max_entries: gov.lease_max, ctl_max_bytes: c.echo_max },
      export: { enable: true, ctl_max_bytes: c.echo_max },
    },
    policy: { enable: true, queue_max_entries: p.queue_max_entries, ctl_max_bytes: p.ctl_max_bytes },
    telemetry_ingest: { max_devices: ti.max_devices, max_segments_per_device: ti.max_segments_per_device, max_record_bytes: ti.max_record_bytes },
    gateway: {
      control_sessions: gw.control_sessions,
      telemetry_sessions: gw.telemetry_sessions,
      control_queue_max: gw.control_queue_max,
      telemetry_queue_max: gw.telemetry_queue_max,
      response_timeout_ms: gw.response_timeout_ms,
      cache_ttl_ms: gw.cache_ttl_ms,
      body_max_bytes: gw.body_max_bytes,
      max_read_bytes: c.reply_backlog_bytes + c.tx_queue_bytes,
      echo_batch_max: gw.echo_batch_max,
      mcp_enable: gw.mcp_enable === 1,
    },
  };
}
