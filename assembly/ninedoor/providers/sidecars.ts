// The sidecar mounts of the next wave (/host from host-sidecar-bridge, /bus and /lora from their
// workers; /gpu is providers/gpu.ts): no files yet, but the role views their workers hold are
// part of the reference (§3.3), so they are declared here until each provider arrives and takes
// its own entries with it.

import { RoleViews, VIEW_LIST_TREE, VIEW_READ, VIEW_WRITE } from "../access";
import { Provider } from "../devtab";
import { Dir } from "../node";

export class SidecarViews extends Provider {
  mount(root: Dir, views: RoleViews): void {
    const workers = ["worker-heartbeat", "worker-gpu", "worker-bus", "worker-lora"];
    views.grant(workers, VIEW_READ, "/host");
    views.grant(workers, VIEW_LIST_TREE, "/host");
    views.grant(["worker-bus"], VIEW_READ, "/bus/{s}");
    views.grant(["worker-bus"], VIEW_LIST_TREE, "/bus/{s}");
    views.grant(["worker-bus"], VIEW_WRITE, "/bus/{s}");
    views.grant(["worker-lora"], VIEW_READ, "/lora/{s}");
    views.grant(["worker-lora"], VIEW_LIST_TREE, "/lora/{s}");
    views.grant(["worker-lora"], VIEW_WRITE, "/lora/{s}");
  }
}
