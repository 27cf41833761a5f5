// The manifest the gateway takes its bounds from: the generated one (default), or a resolved
// manifest that coh-rtc wrote (out/manifests/root_task_resolved.json, or a variant's), checked
// field by field against the generated one's shape. The gateway never compiles a manifest itself.

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
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

/** Loads a resolved manifest JSON; throws naming the first field that is missing or mistyped. */
export function loadManifest(file: string): GatewayManifest {
  const text = readFileSync(file, "utf8");
  let raw: Record<string, Record<string, unknown>>;
  try {
    raw = JSON.parse(text) as Record<string, Record<string, unknown>>;
  } catch (e) {
    throw new Error(`${file}: not a resolved manifest (coh-rtc's root_task_resolved.json): ${e instanceof Error ? e.message : String(e)}`);
  }
  for (const [section, fields] of Object.entries(MANIFEST)) {
    if (section === "policy_rules") continue;
    const got = raw[section];
    if (typeof got !== "object" || got === null) throw new Error(`${file}: section ${section} is missing (run coh-rtc on the manifest first)`);
    for (const [k, v] of Object.entries(fields)) {
      if (typeof got[k] !== typeof v) throw new Error(`${file}: ${section}.${k} must be a ${typeof v}`);
    }
  }
  return { sha256: createHash("sha256").update(text).digest("hex"), m: raw as unknown as Sections };
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
