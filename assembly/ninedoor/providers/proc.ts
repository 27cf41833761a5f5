// /proc: read-only views of what the rest of the core keeps (boot text, counters, memory, the
// built-in self-tests). Each file is one row: a name and the function that renders it.

import { MANIFEST_SHA256, PROFILE_NAME, ROOT_TASK_SCHEMA } from "../../generated/manifest";
import { PROC_TEST_FILES, PROC_TEST_TEXTS } from "../../generated/proc_tests";
import { now_ms } from "../../platform/abi";
import { RoleViews, VIEW_LIST, VIEW_READ } from "../access";
import { dirAt, Provider } from "../devtab";
import { StaticFile } from "../files";
import { Dir, ViewFile } from "../node";
import { IngestStats, ingest, Pressure, pressure, SessionCounter, sessions } from "../stats";

/** The root task is this process, so it is always reachable from itself. */
class RootTask {}

export class ProcProvider extends Provider {
  constructor(private bootLines: string[]) {
    super();
  }

  mount(root: Dir, views: RoleViews): void {
    const proc = dirAt(root, "/proc");
    const lines = ["Cohesix boot: root-task online", "manifest.schema=" + ROOT_TASK_SCHEMA, "manifest.sha256=" + MANIFEST_SHA256, "profile=" + PROFILE_NAME];
    for (let i = 0; i < this.bootLines.length; i++) lines.push(this.bootLines[i]);
    proc.add(new StaticFile("boot", lines));

    dirAt(root, "/proc/9p/session").add(new ViewFile<SessionCounter>("active", sessions, (s: SessionCounter): string[] => [
      "active=" + s.active.toString() + " draining=" + s.draining.toString(),
    ]));

    const ing = dirAt(root, "/proc/ingest");
    ing.add(new ViewFile<IngestStats>("p50_ms", ingest, (g: IngestStats): string[] => ["p50_ms=" + g.p50.toString()]));
    ing.add(new ViewFile<IngestStats>("p95_ms", ingest, (g: IngestStats): string[] => ["p95_ms=" + g.p95.toString()]));
    ing.add(new ViewFile<IngestStats>("backpressure", ingest, (g: IngestStats): string[] => ["backpressure=" + g.backpressure.toString()]));
    ing.add(new ViewFile<IngestStats>("dropped", ingest, (g: IngestStats): string[] => ["dropped=" + g.dropped.toString()]));
    ing.add(new ViewFile<IngestStats>("queued", ingest, (g: IngestStats): string[] => ["queued=" + g.queued.toString()]));

    const rt = dirAt(root, "/proc/root");
    const self = new RootTask();
    rt.add(new ViewFile<RootTask>("reachable", self, (r: RootTask): string[] => ["reachable=yes"]));
    rt.add(new ViewFile<RootTask>("last_seen_ms", self, (r: RootTask): string[] => ["last_seen_ms=" + now_ms().toString()]));
    rt.add(new ViewFile<RootTask>("cut_reason", self, (r: RootTask): string[] => ["cut_reason=none"]));

    // The core's linear memory (all of the guest's dynamic state lives there).
    proc.add(new ViewFile<RootTask>("memory", self, (r: RootTask): string[] => {
      const pages = memory.size();
      return ["pages=" + pages.toString() + " bytes=" + (<u64>pages * 65536).toString() + " max_pages=256"];
    }));

    // The built-in self-tests cohsh's `test` runs (configs/proc_tests/, compiled in); read-only.
    const tests = dirAt(root, "/proc/tests");
    for (let i = 0; i < PROC_TEST_FILES.length; i++) {
      const text = PROC_TEST_TEXTS[i];
      const body = text.endsWith("\n") ? text.substring(0, text.length - 1) : text;
      tests.add(new StaticFile(PROC_TEST_FILES[i], body.split("\n")));
    }

    // Refusals counted by reason since boot.
    const pr = dirAt(root, "/proc/pressure");
    pr.add(new ViewFile<Pressure>("busy", pressure, (p: Pressure): string[] => ["busy=" + p.busy.toString()]));
    pr.add(new ViewFile<Pressure>("quota", pressure, (p: Pressure): string[] => ["quota=" + p.quota.toString()]));
    pr.add(new ViewFile<Pressure>("cut", pressure, (p: Pressure): string[] => ["cut=" + p.cut.toString()]));
    pr.add(new ViewFile<Pressure>("policy", pressure, (p: Pressure): string[] => ["policy=" + p.policy.toString()]));

    views.grant(["worker-heartbeat", "worker-gpu", "worker-bus", "worker-lora"], VIEW_READ, "/proc/boot");
    views.grant(["worker-heartbeat", "worker-gpu"], VIEW_LIST, "/proc");
  }
}
