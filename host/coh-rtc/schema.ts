// The manifest's schema: every section and field coh-rtc accepts, with its type and bounds.
// Unknown sections or fields are errors, so a typo can never silently fall back to a default.

export type FieldSpec =
  | { kind: "int"; min: number; max: number; doc: string; dflt?: number }
  | { kind: "string"; pattern?: RegExp; maxLen: number; doc: string; secret?: boolean };

export type SectionSpec = Record<string, FieldSpec>;

const int = (min: number, max: number, doc: string, dflt?: number): FieldSpec => ({ kind: "int", min, max, doc, dflt });
const str = (maxLen: number, doc: string, pattern?: RegExp, secret = false): FieldSpec => ({ kind: "string", maxLen, doc, pattern, secret });

/** Trace categories in the core's order (assembly/trace/trace.ts keeps the same list). */
export const TRACE_CATS = ["console", "p9", "ns", "lifecycle", "workers", "net"] as const;

const IPV4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
/** The charset the guest accepts for a window's base_model (assembly/ninedoor/providers/export.ts). */
const BASE_MODEL_REF = /^[A-Za-z0-9._:\/@+-]+$/;

export const SCHEMA: Record<string, SectionSpec> = {
  meta: {
    author: str(64, "who maintains this manifest"),
    purpose: str(256, "what this manifest is for"),
  },
  root_task: {
    schema: str(8, "manifest schema version", /^1\.5$/),
  },
  profile: {
    name: str(32, "target profile", /^[a-z0-9-]+$/),
  },
  build: {
    image_max_bytes: int(65_536, 16 << 20, "largest bootable image (out/cohesix.img) the build accepts; past it the build fails", 524_288),
  },
  event_pump: {
    tick_ms: int(1, 1000, "period of the core's timer tick"),
    gc_interval_ms: int(1, 10_000, "longest time between the core's garbage collections"),
    gc_headroom_bytes: int(65_536, 8_388_608, "free heap the core keeps before each request (the most one request may allocate); below it the core collects, then refuses with busy"),
  },
  console: {
    line_max: int(16, 4096, "bytes per command line, serial and TCP"),
    frame_max: int(64, 65536, "bytes per TCP console frame, 4-byte header included"),
    auth_token: str(128, "TCP console AUTH token", /^[\x21-\x7e]+$/, true),
    auth_timeout_ms: int(100, 600_000, "first frame must be AUTH within this"),
    idle_timeout_ms: int(1000, 86_400_000, "authenticated session closed after this much silence"),
    max_sessions: int(1, 64, "concurrent authenticated sessions (console AUTH or 9P attach)"),
    preauth_max: int(1, 64, "connections waiting for AUTH (or a 9P attach) at once, in their own pool; a new one evicts the oldest"),
    queen_reserved: int(0, 8, "authenticated slots only a queen session may take"),
    auth_fail_limit: int(1, 100, "failed AUTHs within the window that trigger a lockout"),
    auth_fail_window_ms: int(1000, 3_600_000, "window for counting failed AUTHs"),
    auth_lockout_ms: int(1000, 3_600_000, "lockout length"),
    tx_queue_bytes: int(1024, 1_048_576, "per-session outbound queue bound"),
    reply_backlog_bytes: int(0, 4_194_304, "reply bytes a session may have waiting beyond its tx queue (a longer CAT is refused; a peer that stops reading past it is cut)"),
    log_lines: int(1, 1024, "lines returned by LOG"),
    path_max: int(16, 1024, "bytes of a path argument"),
    echo_max: int(16, 4096, "bytes of an ECHO payload"),
    role_max: int(8, 64, "bytes of a role argument"),
    ticket_max: int(32, 1024, "bytes of a ticket argument"),
    json_max: int(32, 4096, "bytes of a SPAWN payload"),
    worker_id_max: int(8, 128, "bytes of a worker id"),
  },
  cohsh: {
    retry_max_attempts: int(1, 20, "connection attempts a host client makes before it gives up", 3),
    retry_backoff_ms: int(10, 60_000, "first wait between connection attempts (doubles each time)", 200),
    retry_ceiling_ms: int(100, 600_000, "longest wait between connection attempts", 2000),
    timeout_ms: int(100, 600_000, "how long a host client waits for one reply", 5000),
    heartbeat_ms: int(1000, 600_000, "interval of a host client's keepalive PING on an idle session", 15_000),
    tail_poll_ms: int(50, 60_000, "interval at which `tail`/`log` follow a file", 1000),
  },
  namespace: {
    walk_depth: int(1, 16, "most path components in one lookup"),
    component_max: int(8, 255, "bytes of one path component"),
    queen_log_lines: int(16, 65536, "records kept in /log/queen.log (oldest dropped)"),
    ctl_journal_lines: int(16, 65536, "records kept in /queen/ctl"),
  },
  sharding: {
    shard_bits: int(0, 8, "bits of sha256(worker id) that pick a worker's shard label (0 = one shard)"),
    legacy_worker_alias: int(0, 1, "also serve /worker/<id>/telemetry (1) or not (0)"),
  },
  workers: {
    max: int(1, 4096, "worker records the guest holds at once"),
    ring_bytes: int(64, 65536, "telemetry ring per worker, bytes"),
    heartbeat_ms: int(10, 60_000, "interval between a heartbeat worker's telemetry records"),
    record_max: int(16, 4096, "bytes of one telemetry record"),
  },
  telemetry_ingest: {
    max_devices: int(1, 256, "devices under /queen/telemetry"),
    max_segments_per_device: int(1, 64, "segments kept per device"),
    max_bytes_per_segment: int(256, 1 << 20, "bytes per segment"),
    max_total_bytes_per_device: int(256, 1 << 24, "bytes across a device's segments"),
    max_record_bytes: int(16, 65536, "bytes of one appended record"),
    eviction_policy: str(16, "what a new segment does when the device is full", /^(evict-oldest|refuse)$/),
  },
  governance: {
    schedule_queue_max: int(1, 4096, "jobs queued in /queen/schedule at once"),
    lease_max: int(1, 4096, "leases (and lease quotas) held at once"),
  },
  export: {
    policy_max_bytes: int(256, 65_536, "bytes of a bundle's policy.toml that coh peft export reads", 8192),
    base_model_max_bytes: int(64, 8192, "bytes of a bundle's base_model.ref that coh peft export reads", 1024),
    windows_max: int(1, 16, "export windows (open and closed bundles) held at once under /queen/export"),
    ttl_max_s: int(1, 604_800, "longest ttl_s an export window may ask for"),
    telemetry_max_bytes: int(64, 131_072, "bytes of one bundle's telemetry.cbor (coh peft export reads at most 131072)"),
    base_model_default: str(128, "base_model.ref of a window opened without base_model", BASE_MODEL_REF),
  },
  policy: {
    queue_max_entries: int(1, 1024, "approvals held in /actions/queue at once"),
    ctl_max_bytes: int(128, 4096, "bytes of one /policy/ctl line (apply with rules needs Secure9P: the console's echo bound is smaller)"),
    rules_max: int(1, 64, "rules one policy revision may hold"),
    revisions_max: int(2, 64, "policy revisions held for rollback, the manifest's own included"),
  },
  audit: {
    preauth_window_ms: int(1000, 3_600_000, "refused unauthenticated events (auth failures, refused attaches, mid-frame closes) are logged verbatim once per window, the rest counted into one summary line"),
    preauth_lines: int(1, 256, "records of the queen log's store for those summaries (apart from audit and echoed records)"),
    replay_max_per_s: int(1, 1000, "/replay/ctl requests run per second (each boots a scratch namespace); more are refused busy"),
    journal_max_bytes: int(512, 1 << 20, "bytes of /audit/journal kept (oldest entries dropped first)"),
    replay_max_entries: int(1, 4096, "journal entries one /replay/ctl request re-applies"),
    decisions_max_bytes: int(512, 1 << 20, "bytes of /audit/decisions kept (oldest lines dropped first)"),
  },
  trace: {
    events_max: int(16, 4096, "events kept in /trace/events (oldest dropped first)"),
    msg_max: int(64, 1024, "bytes of one trace event's msg (longer ones are cut)"),
    default_level: str(8, "trace level at boot: error, warn, info or debug", /^(error|warn|info|debug)$/),
    default_cats: str(64, "trace categories recorded at boot, comma-separated (console,p9,ns,lifecycle,workers,net)", new RegExp(`^(${TRACE_CATS.join("|")})(,(${TRACE_CATS.join("|")}))*$`)),
    kmesg_lines: int(16, 4096, "lines kept in /kmesg (oldest dropped first)"),
    kmesg_line_bytes: int(64, 1024, "bytes of one /kmesg line (longer ones are cut)"),
  },
  lifecycle: {
    initial_state: str(16, "state at boot", /^(BOOTING|ONLINE)$/),
    auto_online: int(0, 1, "move BOOTING -> ONLINE when the root task is up (1) or wait for resume (0)"),
  },
  ticket_limits: {
    max_scopes: int(0, 16, "scopes a ticket may carry (0 = unlimited, capped by the format's 16)"),
    max_scope_path_len: int(0, 255, "bytes of a scope path (0 = unlimited)"),
    max_scope_rate_per_s: int(0, 1_000_000, "highest per-scope rate a ticket may claim (0 = unlimited)"),
    bandwidth_bytes: int(0, 1 << 30, "default bandwidth quota when a ticket sets none (0 = unlimited)"),
    cursor_resumes: int(0, 1_000_000, "default cursor-resume quota (0 = unlimited)"),
    cursor_advances: int(0, 1_000_000, "default cursor-advance quota (0 = unlimited)"),
    subject_max: int(1, 255, "bytes of a ticket subject"),
  },
  gateway: {
    control_sessions: int(1, 63, "hive-gateway upstream console sessions serving the control lane (writes)"),
    telemetry_sessions: int(1, 63, "hive-gateway upstream console sessions serving the telemetry lane (reads, lists, tails)"),
    control_queue_max: int(1, 65536, "hive-gateway requests waiting for a control session (past it: 429)"),
    telemetry_queue_max: int(1, 65536, "hive-gateway requests waiting for a telemetry session (past it: 429)"),
    response_timeout_ms: int(1000, 600_000, "hive-gateway wait for one upstream reply before 504"),
    cache_ttl_ms: int(0, 60_000, "hive-gateway single-flight read cache lifetime for /proc, /host, /gpu (0 = off)"),
    cache_max_entries: int(0, 4096, "hive-gateway read cache entries (oldest evicted)"),
    body_max_bytes: int(256, 1 << 20, "hive-gateway largest HTTP request body (past it: 413)"),
    echo_batch_max: int(1, 64, "hive-gateway lines in one /v1/fs/echo-batch"),
    mcp_enable: int(0, 1, "hive-gateway serves MCP on POST /mcp and --mcp-stdio (1) or not (0)"),
    mcp_request_max_bytes: int(1024, 65536, "hive-gateway largest MCP request"),
    mcp_response_max_bytes: int(1024, 1 << 20, "hive-gateway largest MCP response"),
    mcp_concurrency: int(1, 256, "hive-gateway MCP requests in flight at once (past it: 429)"),
    mcp_timeout_ms: int(1000, 600_000, "hive-gateway MCP tool call time limit"),
  },
  cas: {
    enable: int(0, 1, "serve /updates (signed CAS update bundles, docs/CAS.md)"),
    chunk_bytes_max: int(16, 1 << 20, "largest chunk a manifest may declare (its chunk_bytes)"),
    chunks_max: int(1, 1024, "chunk digests one manifest may list"),
    manifest_bytes_max: int(256, 65536, "bytes of one manifest.cbor"),
    store_bytes: int(1024, 8 << 20, "bytes of chunks and manifests held across all epochs (a full store refuses writes)"),
    epochs_max: int(1, 256, "epochs /updates holds at once"),
    quarantine_max: int(1, 64, "quarantined chunks remembered in /updates/status (oldest dropped)"),
    delta_enable: int(0, 1, "accept delta manifests (a base epoch's chunks + new ones)"),
    allow_reinstall: int(0, 1, "accept an epoch not above the highest accepted one (1) or refuse it (0: rollback protection)"),
    signing_public_keys: str(259, "Ed25519 public keys that may sign manifests: 1..4 comma-separated 64-hex keys (rotation: any one verifies); never a private key", /^[0-9a-f]{64}(,[0-9a-f]{64}){0,3}$/),
  },
  federation: {
    enable: int(0, 1, "host-ticket-agent --relay may forward tickets to other hives (docs/FEDERATION.md)"),
    local_hive: str(64, "this hive's name in source_hive/target_hive", /^[A-Za-z0-9._-]{1,64}$/),
    relay_actions: str(512, "actions a relay may forward, comma-separated (a subset of host.ticket_actions)", /^[a-z0-9.-]+(,[a-z0-9.-]+)*$/),
    relay_queue_max_entries: int(1, 4096, "relayed tickets pending or awaiting a receipt at once (past it: deferred, counted)"),
    relay_queue_max_bytes: int(1024, 1 << 24, "bytes of those tickets' lines (past it: deferred, counted)"),
    wal_max_bytes: int(4096, 8 << 20, "the relay WAL file's largest size"),
    peer_timeout_ms: int(100, 120_000, "one request to a peer gateway"),
    bus_stream_max_msgs: int(1, 1 << 24, "--relay-bus: messages each JetStream stream (tickets, results) keeps; full = publishes refused (deferred, retried), never old ones dropped", 65_536),
    bus_stream_max_bytes: int(65_536, 1 << 30, "--relay-bus: bytes each JetStream stream keeps (same refusal when full)", 67_108_864),
    bus_stream_max_age_ms: int(60_000, 2_000_000_000, "--relay-bus: how long an unconsumed message is kept: the longest a hive may stay away from the bus", 604_800_000),
    bus_duplicate_window_ms: int(1000, 86_400_000, "--relay-bus: JetStream's duplicate window: a replayed Nats-Msg-Id inside it is dropped by the server", 120_000),
    bus_ack_wait_ms: int(500, 3_600_000, "--relay-bus: a delivered, unacknowledged message (its agent died) is redelivered after this", 10_000),
    bus_max_deliver: int(1, 10_000, "--relay-bus: deliveries of one message to a hive's durable consumer before JetStream stops retrying it", 100),
    bus_fetch_batch: int(1, 4096, "--relay-bus: messages one pass takes from a consumer", 128),
  },
  gpu: {
    enable: int(0, 1, "serve /gpu (GPU nodes, leases and the model view published by gpu-bridge-host, docs/GPU.md)"),
    mock_seed: int(0, 1, "before the first publish, seed the mock GPU-0/GPU-1 nodes (QEMU dev runs without a bridge)"),
    job_enable: int(0, 1, "serve /gpu/<id>/job: the simulated QUEUED/RUNNING/OK job lifecycle for mock demos"),
    bridge_max_bytes: int(1024, 1 << 20, "decoded bytes of one gpu-bridge-snapshot/v1 publish (begin bytes=)"),
    gpus_max: int(1, 64, "GPU nodes one snapshot may carry"),
    models_max: int(0, 256, "models one snapshot may carry"),
    gpu_id_max: int(1, 64, "bytes of a GPU id (a path component)"),
    model_id_max: int(1, 255, "bytes of a model id (a path component: at most namespace.component_max)"),
    info_max_bytes: int(128, 16_384, "bytes of one /gpu/<id>/info JSON"),
    manifest_max_bytes: int(256, 65_536, "bytes of one /gpu/models/available/<m>/manifest.toml"),
    schema_max_bytes: int(256, 65_536, "bytes of /gpu/telemetry/schema.json"),
    active_max_bytes: int(64, 65_536, "bytes /gpu/models/active keeps (oldest pointers dropped first)"),
    ctl_log_bytes: int(128, 65_536, "bytes /gpu/<id>/ctl keeps (oldest commands dropped first)"),
    lease_log_bytes: int(256, 65_536, "bytes /gpu/<id>/lease keeps (oldest lines dropped first; coh run reads at most 1024)"),
    status_bytes: int(512, 1 << 20, "bytes /gpu/<id>/status keeps (oldest lines dropped first)"),
    status_line_max: int(128, 4096, "bytes of one /gpu/<id>/status line (a gpu-breadcrumb/v1 line is at most 512)"),
    publish_idle_ms: int(100, 600_000, "a publish whose lines stop this long may be taken over by another session's begin"),
    job_step_ms: int(1, 60_000, "time between a simulated job's QUEUED, RUNNING and OK lines"),
    breadcrumb_command_max: int(16, 1024, "bytes of the command coh run writes into a gpu-breadcrumb/v1 line (cut on UTF-8 boundaries)", 256),
    peft_adapter_max_bytes: int(1024, 1 << 30, "bytes of adapter.safetensors coh peft import copies", 67_108_864),
    peft_lora_max_bytes: int(64, 1 << 24, "bytes of lora.json coh peft import copies", 65_536),
    peft_metrics_max_bytes: int(64, 1 << 24, "bytes of metrics.json coh peft import copies", 65_536),
    peft_state_max_bytes: int(64, 65_536, "bytes of the registry's active_state.toml", 4096),
  },
  host: {
    enable: int(0, 1, "serve the /host provider (host-sidecar-bridge status, control sinks, host tickets; docs/HOST.md)"),
    mount_at: str(32, "where the provider mounts (one absolute component)", /^\/[a-z][a-z0-9_-]{0,30}$/),
    systemd_units: str(512, "systemd units listed at boot (comma-separated); the bridge publishes their status", /^[A-Za-z0-9:_.@-]{1,64}(,[A-Za-z0-9:_.@-]{1,64})*$/),
    k8s_nodes: str(512, "Kubernetes nodes listed at boot (comma-separated)", /^[a-z0-9][a-z0-9.-]{0,62}(,[a-z0-9][a-z0-9.-]{0,62})*$/),
    nvidia_gpus: str(128, "NVIDIA GPU indexes listed at boot (comma-separated)", /^\d{1,2}(,\d{1,2})*$/),
    units_max: int(1, 256, "systemd units /host holds (boot list + published); past it a new unit is refused buffer-full", 16),
    nodes_max: int(1, 256, "k8s nodes /host holds", 16),
    gpus_max: int(1, 64, "NVIDIA GPUs /host holds", 8),
    status_line_max: int(16, 255, "bytes of one published status value (the bridge cuts on UTF-8 boundaries to this)", 255),
    sink_line_max: int(1, 128, "bytes of one control-sink write (restart, cordon, power_cap...)", 64),
    sinks_to_tickets: int(0, 1, "a queen write to a systemd/k8s/docker control sink also appends a host-ticket/v1 line to tickets/spec (1) or is only logged (0, the original)", 1),
    tickets_enable: int(0, 1, "serve /host/tickets (host-ticket/v1 requests and host-ticket-result/v1 receipts)", 1),
    ticket_line_max: int(128, 4096, "bytes of one tickets/spec line (the console carries console.line_max - 24 of them; 9P the rest)", 2048),
    result_line_max: int(64, 224, "bytes of one tickets/status or tickets/deadletter line (the original's 224-byte v1 bound)", 224),
    ticket_lines_max: int(16, 65536, "lines each of spec, status and deadletter holds; past it appends are refused buffer-full", 2048),
    ticket_bytes_max: int(4096, 1 << 20, "bytes each of spec, status and deadletter holds; past it appends are refused buffer-full", 262144),
    snapshot_lines: int(1, 1024, "the newest lines a tickets/*.snapshot view shows", 64),
    ticket_actions: str(1024, "host-ticket-agent's action allowlist (comma-separated); anything else goes to deadletter", /^[a-z0-9.-]+(,[a-z0-9.-]+)*$/),
    action_deadline_ms: int(100, 600_000, "host-ticket-agent's deadline for one action (the original's 30 s)", 30000),
    journal_max_entries: int(16, 65536, "host-ticket-agent journal entries kept (oldest terminal ones compacted first)", 4096),
    agent_poll_ms: int(50, 60_000, "host-ticket-agent's default --poll-ms", 1000),
    nvidia_poll_ms: int(100, 600_000, "host-sidecar-bridge --watch interval for nvidia", 1000),
    systemd_poll_ms: int(100, 600_000, "host-sidecar-bridge --watch interval for systemd", 2000),
    docker_poll_ms: int(100, 600_000, "host-sidecar-bridge --watch interval for docker", 2000),
    k8s_poll_ms: int(100, 600_000, "host-sidecar-bridge --watch interval for k8s", 5000),
    k8s_evict_attempts: int(1, 100, "k8s.drain over the API: eviction attempts per pod while its PodDisruptionBudget refuses (429)", 3),
    k8s_evict_retry_ms: int(10, 60_000, "k8s.drain over the API: wait between refused evictions", 1000),
  },
  coh: {
    mount_root: str(96, "coh mount: the hive directory shown at the mount point (the reference's coh.mount.root)", /^\/([A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)*)?$/),
    mount_allowlist: str(512, "coh mount: comma-separated hive paths the mount may reach (each equal to or under mount_root; one equal to mount_root allows everything)", /^\/[A-Za-z0-9._-]*(\/[A-Za-z0-9._-]+)*(,\/[A-Za-z0-9._-]*(\/[A-Za-z0-9._-]+)*)*$/),
    mount_entry_ttl_ms: int(0, 60_000, "coh mount: how long the kernel may keep a name (and the REST mount a path's kind); sizes are never cached: every append changes them", 1000),
    mount_snapshot_max_bytes: int(4096, 16 << 20, "coh mount: a file up to this size is read whole when opened, so one open sees one consistent copy; a larger one is read at offsets", 262144),
  },
  swarmui: {
    // SwarmUI (docs/SWARMUI.md): the seed's swarmui.hive.* / swarmui.cache.* defaults. Fractions
    // are integers in thousandths (_milli), as the manifest has no floats.
    frame_cap_fps: int(1, 240, "SwarmUI Live Hive: most frames rendered per second", 30),
    step_ms: int(1, 1000, "SwarmUI Live Hive: fixed simulation step", 16),
    lod_zoom_out_milli: int(100, 999, "SwarmUI Live Hive: zoom below this (thousandths) shows clusters only", 700),
    lod_zoom_in_milli: int(1001, 10_000, "SwarmUI Live Hive: zoom above this (thousandths) shows detail", 1250),
    lod_event_budget: int(1, 65_536, "SwarmUI: events one poll batch (and one simulation step) carries at most", 512),
    snapshot_max_events: int(1, 1_048_576, "SwarmUI: events a hive snapshot or the server's queue holds (oldest dropped)", 4096),
    overlay_lines: int(1, 16, "SwarmUI Live Hive: overlay lines per worker", 3),
    detail_lines: int(1, 1024, "SwarmUI Live Hive: lines in the detail pane (and kept per worker)", 50),
    line_cap_bytes: int(16, 4096, "SwarmUI: one telemetry line is cut to this", 160),
    per_worker_bytes: int(256, 1_048_576, "SwarmUI: bytes of lines kept per worker", 2048),
    pending_lines_per_worker: int(1, 4096, "SwarmUI: new lines taken from one worker per poll", 64),
    pending_event_cap: int(1, 1_048_576, "SwarmUI browser: events waiting to be simulated (oldest dropped)", 4096),
    poll_workers_per_tick: int(1, 4096, "SwarmUI: workers tailed per poll (round robin)", 32),
    status_poll_ms: int(50, 60_000, "SwarmUI: poll batch interval", 500),
    tail_min_ms: int(50, 60_000, "SwarmUI: shortest interval between two tails of one worker", 250),
    tail_max_ms: int(50, 600_000, "SwarmUI: longest interval between two tails of one worker", 10_000),
    degrade_pressure_milli: int(1, 100_000, "SwarmUI Live Hive: pressure above this (thousandths) degrades the view", 1000),
    cache_enabled: int(0, 1, "SwarmUI: write offline snapshots while online (1) or not (0)", 0),
    cache_max_bytes: int(1024, 67_108_864, "SwarmUI: largest offline snapshot file", 262_144),
    cache_ttl_s: int(1, 604_800, "SwarmUI: offline snapshot lifetime", 3600),
    sse_clients_max: int(1, 256, "SwarmUI: browsers streaming live batches at once (past it: 429)", 8),
    console_lines_max: int(16, 4096, "SwarmUI embedded console: lines one command returns at most", 256),
    console_commands_per_s: int(1, 1000, "SwarmUI embedded console: commands accepted in any 1 s window, all pages together (past it: 429 + Retry-After)", 8),
  },
  network: {
    ip: str(15, "guest IPv4 address", IPV4),
    prefix: int(1, 30, "IPv4 prefix length"),
    gateway: str(15, "IPv4 default gateway", IPV4),
    mac: str(17, "virtio-net MAC address (lower-case)", MAC),
    console_port: int(1, 65535, "TCP console port"),
    udp_echo_port: int(1, 65535, "UDP echo port"),
    tcp_smoke_port: int(1, 65535, "TCP smoke port"),
    udp_echo_max: int(16, 1472, "largest UDP echo reply, prefix included"),
    smoke_read_max: int(1, 1024, "bytes the smoke port reads before answering"),
    smoke_max_conns: int(1, 64, "smoke connections open at once; a new one evicts the oldest"),
    smoke_timeout_ms: int(100, 60_000, "a smoke connection that sends nothing is closed after this"),
  },
  uefi: {
    esp_mib: int(34, 4096, "FAT32 EFI System Partition size in out/cohesix-esp.img (FAT32 needs >= 34 MiB of 512-byte clusters)"),
    fb_glyph_scale: int(1, 4, "framebuffer text mirror: 5x7 glyphs in 6x9-pixel cells, scaled by this"),
    fb_max_cols: int(20, 320, "text columns the mirror keeps (a wider screen leaves a right margin)"),
    fb_max_rows: int(8, 200, "text rows the mirror keeps (a taller screen leaves a bottom margin)"),
    flash_max_gib: int(1, 4096, "largest disk npm run flash writes without --force (bigger is unlikely to be a removable stick)"),
  },
};

export type ManifestValue = number | string;
export type Manifest = Record<string, Record<string, ManifestValue>>;

/** Ticket roles in claims order: the role byte of a ticket is the index here. */
export const TICKET_ROLES = ["queen", "worker-heartbeat", "worker-gpu", "worker-bus", "worker-lora"] as const;
const SECRET = /^[\x21-\x7e]{1,128}$/;

export interface PolicyRule {
  id: string;
  target: string;
}

/** `[[policy_rules]]` (optional): writes to a matching target need an approval. */
function validatePolicyRules(raw: unknown, errors: ValidationError[]): PolicyRule[] {
  if (raw === undefined) return [];
  if (!Array.isArray(raw)) {
    errors.push({ path: "policy_rules", message: "must be an array of tables ([[policy_rules]])" });
    return [];
  }
  const out: PolicyRule[] = [];
  raw.forEach((t: unknown, i: number) => {
    const path = `policy_rules[${i}]`;
    if (typeof t !== "object" || t === null || Array.isArray(t)) return errors.push({ path, message: "must be a table" });
    const e = t as Record<string, unknown>;
    for (const k of Object.keys(e)) if (k !== "id" && k !== "target") errors.push({ path: `${path}.${k}`, message: "unknown field" });
    if (typeof e.id !== "string" || !/^[a-z0-9][a-z0-9-]{0,63}$/.test(e.id)) return errors.push({ path: `${path}.id`, message: "must be 1-64 characters of [a-z0-9-]" });
    if (out.some((r) => r.id === e.id)) return errors.push({ path: `${path}.id`, message: `rule ${e.id} listed twice` });
    const target = e.target;
    const ok = typeof target === "string" && target.length <= 96 && /^(\/[^/\s]+)+$/.test(target) && !target.split("/").some((c) => c === "." || c === "..");
    if (!ok) return errors.push({ path: `${path}.target`, message: "must be an absolute path of up to 96 bytes (a component may be *)" });
    out.push({ id: e.id, target: target as string });
  });
  return out;
}

/** `[[tickets]]`: one `{ role, secret }` per role, every role exactly once. */
function validateTickets(raw: unknown, errors: ValidationError[]): string[] {
  const secrets: string[] = TICKET_ROLES.map(() => "");
  if (!Array.isArray(raw)) {
    errors.push({ path: "tickets", message: "missing [[tickets]] entries (one per role: " + TICKET_ROLES.join(", ") + ")" });
    return secrets;
  }
  raw.forEach((t: unknown, i: number) => {
    const path = `tickets[${i}]`;
    if (typeof t !== "object" || t === null || Array.isArray(t)) return errors.push({ path, message: "must be a table" });
    const e = t as Record<string, unknown>;
    for (const k of Object.keys(e)) if (k !== "role" && k !== "secret") errors.push({ path: `${path}.${k}`, message: "unknown field" });
    const idx = TICKET_ROLES.indexOf(e.role as (typeof TICKET_ROLES)[number]);
    if (idx < 0) return errors.push({ path: `${path}.role`, message: `must be one of ${TICKET_ROLES.join(", ")}` });
    if (typeof e.secret !== "string" || !SECRET.test(e.secret)) return errors.push({ path: `${path}.secret`, message: "must be 1..128 printable ASCII characters (hidden)" });
    if (secrets[idx]) return errors.push({ path: `${path}.role`, message: `role ${e.role} listed twice` });
    secrets[idx] = e.secret;
  });
  TICKET_ROLES.forEach((r, i) => {
    if (!secrets[i]) errors.push({ path: "tickets", message: `no [[tickets]] entry for role ${r}` });
  });
  return secrets;
}

export interface ValidationError {
  path: string;
  message: string;
}

/** Checks shape, types and bounds, then the rules that tie fields together. */
export function validate(raw: Record<string, unknown>): { manifest: Manifest | null; errors: ValidationError[] } {
  const errors: ValidationError[] = [];
  const out: Manifest = {};
  for (const name of Object.keys(raw)) {
    if (!(name in SCHEMA) && name !== "tickets" && name !== "policy_rules") errors.push({ path: name, message: `unknown section [${name}]` });
  }
  const secrets = validateTickets(raw.tickets, errors);
  const rules = validatePolicyRules(raw.policy_rules, errors);
  for (const [section, spec] of Object.entries(SCHEMA)) {
    const table = raw[section];
    const allDefault = Object.values(spec).every((f) => f.kind === "int" && f.dflt !== undefined);
    if (table === undefined && allDefault) {
      // A section whose every field has a default may be left out.
      out[section] = Object.fromEntries(Object.entries(spec).map(([k, f]) => [k, (f as { dflt: number }).dflt]));
      continue;
    }
    if (table === undefined || table === null || typeof table !== "object" || Array.isArray(table)) {
      errors.push({ path: section, message: `missing section [${section}]` });
      continue;
    }
    const t = table as Record<string, unknown>;
    out[section] = {};
    for (const key of Object.keys(t)) {
      if (!(key in spec)) errors.push({ path: `${section}.${key}`, message: "unknown field" });
    }
    for (const [key, f] of Object.entries(spec)) {
      const path = `${section}.${key}`;
      const v = t[key] ?? (f.kind === "int" ? f.dflt : undefined);
      if (v === undefined) {
        errors.push({ path, message: "missing field" });
        continue;
      }
      if (f.kind === "int") {
        const n = typeof v === "bigint" ? Number(v) : v;
        if (typeof n !== "number" || !Number.isInteger(n)) errors.push({ path, message: `must be an integer, got ${JSON.stringify(String(v))}` });
        else if (n < f.min || n > f.max) errors.push({ path, message: `must be within ${f.min}..${f.max}, got ${n}` });
        else out[section][key] = n;
      } else {
        if (typeof v !== "string") errors.push({ path, message: "must be a string" });
        else if (v.length === 0 || v.length > f.maxLen) errors.push({ path, message: `must be 1..${f.maxLen} characters` });
        else if (f.pattern && !f.pattern.test(v)) errors.push({ path, message: `has an invalid value ${f.secret ? "(hidden)" : JSON.stringify(v)}` });
        else out[section][key] = v;
      }
    }
  }
  out.tickets = Object.fromEntries(TICKET_ROLES.map((r, i) => [r, secrets[i]]));
  out.policy_rules = Object.fromEntries(rules.map((r) => [r.id, r.target]));
  if (errors.length === 0) crossChecks(out, errors);
  return { manifest: errors.length === 0 ? out : null, errors };
}

function crossChecks(m: Manifest, errors: ValidationError[]): void {
  const c = m.console;
  const n = m.network;
  const ruleCount = Object.keys(m.policy_rules).length;
  if (ruleCount > (m.policy.rules_max as number)) {
    errors.push({ path: "policy.rules_max", message: `policy.rules_max must hold the manifest's ${ruleCount} [[policy_rules]]` });
  }
  if ((m.policy.ctl_max_bytes as number) > (m.telemetry_ingest.max_record_bytes as number)) {
    errors.push({ path: "policy.ctl_max_bytes", message: "policy.ctl_max_bytes must be <= telemetry_ingest.max_record_bytes (the largest record Secure9P takes)" });
  }
  if ((m.workers.record_max as number) > (m.workers.ring_bytes as number)) {
    errors.push({ path: "workers.record_max", message: "workers.record_max must be <= workers.ring_bytes (a record must fit its ring)" });
  }
  const ti = m.telemetry_ingest;
  if ((ti.max_bytes_per_segment as number) > (ti.max_total_bytes_per_device as number)) {
    errors.push({ path: "telemetry_ingest.max_bytes_per_segment", message: "telemetry_ingest.max_bytes_per_segment must be <= max_total_bytes_per_device" });
  }
  for (const k of ["path_max", "echo_max", "role_max", "ticket_max", "json_max", "worker_id_max"]) {
    if ((c[k] as number) > (c.line_max as number)) errors.push({ path: `console.${k}`, message: `console.${k} must be <= console.line_max` });
  }
  if ((c.line_max as number) > (c.frame_max as number) - 4) {
    errors.push({ path: "console.line_max", message: "console.line_max must fit in a frame: line_max <= frame_max - 4" });
  }
  const cats = (m.trace.default_cats as string).split(",");
  if (new Set(cats).size !== cats.length) errors.push({ path: "trace.default_cats", message: "trace.default_cats lists a category twice" });
  // The longest bundle path, /queen/export/lora_jobs/<id>/telemetry.cbor, must leave room for an id.
  if ((c.path_max as number) < 47) {
    errors.push({ path: "console.path_max", message: "console.path_max must be >= 47 so an export job id of 8 characters stays reachable" });
  }
  const fed = m.federation;
  const hostActions = new Set(String(m.host.ticket_actions).split(","));
  const foreign = String(fed.relay_actions).split(",").filter((x) => !hostActions.has(x));
  if (foreign.length > 0) errors.push({ path: "federation.relay_actions", message: `federation.relay_actions must be host.ticket_actions too; not there: ${foreign.join(", ")}` });
  // JetStream refuses a stream whose duplicate window outlasts its max age.
  if (Number(fed.bus_duplicate_window_ms) > Number(fed.bus_stream_max_age_ms)) errors.push({ path: "federation.bus_duplicate_window_ms", message: `federation.bus_duplicate_window_ms (${fed.bus_duplicate_window_ms}) must not exceed federation.bus_stream_max_age_ms (${fed.bus_stream_max_age_ms})` });
  const cas = m.cas;
  if ((cas.store_bytes as number) < (cas.chunk_bytes_max as number)) {
    errors.push({ path: "cas.store_bytes", message: "cas.store_bytes must hold at least one chunk of cas.chunk_bytes_max" });
  }
  // A manifest of chunks_max digests: ~80 bytes of fixed items, 34 per digest, 66 for the signature.
  if ((cas.manifest_bytes_max as number) < 150 + 34 * (cas.chunks_max as number)) {
    errors.push({ path: "cas.manifest_bytes_max", message: `cas.manifest_bytes_max must be >= ${150 + 34 * (cas.chunks_max as number)} to hold a manifest of cas.chunks_max digests` });
  }
  const gp = m.gpu;
  if ((gp.model_id_max as number) > (m.namespace.component_max as number) || (gp.model_id_max as number) + 36 > (c.path_max as number)) {
    errors.push({ path: "gpu.model_id_max", message: "gpu.model_id_max must be <= namespace.component_max and leave /gpu/models/available/<id>/manifest.toml within console.path_max (path_max - 36)" });
  }
  if ((gp.gpu_id_max as number) > (m.namespace.component_max as number) || (gp.gpu_id_max as number) > (c.worker_id_max as number)) {
    errors.push({ path: "gpu.gpu_id_max", message: "gpu.gpu_id_max must be <= namespace.component_max and console.worker_id_max" });
  }
  if ((gp.status_line_max as number) > (gp.status_bytes as number)) {
    errors.push({ path: "gpu.status_line_max", message: "gpu.status_line_max must be <= gpu.status_bytes (a line must fit its log)" });
  }
  const h = m.host;
  const count = (v: unknown): number => (v as string).split(",").length;
  if (count(h.systemd_units) > (h.units_max as number)) errors.push({ path: "host.units_max", message: "host.units_max must hold the boot list host.systemd_units" });
  if (count(h.k8s_nodes) > (h.nodes_max as number)) errors.push({ path: "host.nodes_max", message: "host.nodes_max must hold the boot list host.k8s_nodes" });
  if (count(h.nvidia_gpus) > (h.gpus_max as number)) errors.push({ path: "host.gpus_max", message: "host.gpus_max must hold the boot list host.nvidia_gpus" });
  // A receipt must fit one console ECHO line: "ECHO <mount>/tickets/deadletter <line>".
  const echoHead = 5 + (h.mount_at as string).length + "/tickets/deadletter ".length;
  if ((h.result_line_max as number) + echoHead > (c.line_max as number)) {
    errors.push({ path: "host.result_line_max", message: `host.result_line_max must be <= console.line_max - ${echoHead} so a receipt fits one console ECHO` });
  }
  if ((h.ticket_line_max as number) > (m.telemetry_ingest.max_record_bytes as number)) {
    errors.push({ path: "host.ticket_line_max", message: "host.ticket_line_max must be <= telemetry_ingest.max_record_bytes (the largest record Secure9P takes)" });
  }
  if ((h.ticket_bytes_max as number) < (h.ticket_line_max as number)) errors.push({ path: "host.ticket_bytes_max", message: "host.ticket_bytes_max must hold one line of host.ticket_line_max" });
  const mo = m.coh;
  const mroot = mo.mount_root as string;
  for (const e of (mo.mount_allowlist as string).split(",")) {
    if (e !== mroot && !e.startsWith(mroot === "/" ? "/" : mroot + "/")) errors.push({ path: "coh.mount_allowlist", message: `coh.mount_allowlist entry ${e} is not under coh.mount_root ${mroot}` });
    if (e.split("/").filter((x) => x).length > (m.namespace.walk_depth as number)) errors.push({ path: "coh.mount_allowlist", message: `coh.mount_allowlist entry ${e} is deeper than namespace.walk_depth` });
  }
  const su = m.swarmui;
  if ((su.tail_min_ms as number) > (su.tail_max_ms as number)) errors.push({ path: "swarmui.tail_min_ms", message: "swarmui.tail_min_ms must be <= swarmui.tail_max_ms" });
  if ((su.overlay_lines as number) > (su.detail_lines as number)) errors.push({ path: "swarmui.overlay_lines", message: "swarmui.overlay_lines must be <= swarmui.detail_lines" });
  if ((su.line_cap_bytes as number) > (su.per_worker_bytes as number)) errors.push({ path: "swarmui.line_cap_bytes", message: "swarmui.line_cap_bytes must be <= swarmui.per_worker_bytes (a line must fit its buffer)" });
  const co = m.cohsh;
  if ((co.retry_backoff_ms as number) > (co.retry_ceiling_ms as number)) {
    errors.push({ path: "cohsh.retry_backoff_ms", message: "cohsh.retry_backoff_ms must be <= cohsh.retry_ceiling_ms" });
  }
  // The gateway's pool leaves one console slot free so an operator's cohsh always attaches.
  const g = m.gateway;
  if ((g.control_sessions as number) + (g.telemetry_sessions as number) > (c.max_sessions as number) - 1) {
    errors.push({ path: "gateway.telemetry_sessions", message: "gateway.control_sessions + gateway.telemetry_sessions must be <= console.max_sessions - 1 (one slot stays free for an operator)" });
  }
  if (n.console_port === n.tcp_smoke_port) {
    errors.push({ path: "network.tcp_smoke_port", message: "network.tcp_smoke_port must differ from network.console_port" });
  }
  const ip = (n.ip as string).split(".").map(Number);
  const gw = (n.gateway as string).split(".").map(Number);
  const mask = (0xffffffff << (32 - (n.prefix as number))) >>> 0;
  const toU32 = (a: number[]): number => ((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]) >>> 0;
  if (((toU32(ip) & mask) >>> 0) !== ((toU32(gw) & mask) >>> 0)) {
    errors.push({ path: "network.gateway", message: `network.gateway ${n.gateway} is not in ${n.ip}/${n.prefix}` });
  }
  if ((parseInt((n.mac as string).slice(0, 2), 16) & 1) === 1) {
    errors.push({ path: "network.mac", message: "network.mac must be a unicast address (first octet even)" });
  }
}
