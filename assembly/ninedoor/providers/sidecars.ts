// The sidecar mounts of the next wave (/bus and /lora from their workers; /gpu is
// providers/gpu.ts, /host is providers/host.ts): no files yet, but the role views their workers hold are
// part of the reference (§3.3), so they are declared here until each provider arrives and takes
// its own entries with it (/host did: providers/host.ts).

import { RoleViews, VIEW_LIST_TREE, VIEW_READ, VIEW_WRITE } from "../access";
import { Provider } from "../devtab";
import { Dir } from "../node";

export class SidecarViews extends Provider {
  mount(root: Dir, views: RoleViews): void {
    views.grant(["worker-bus"], VIEW_READ, "/bus/{s}");
    views.grant(["worker-bus"], VIEW_LIST_TREE, "/bus/{s}");
    views.grant(["worker-bus"], VIEW_WRITE, "/bus/{s}");
    views.grant(["worker-lora"], VIEW_READ, "/lora/{s}");
    views.grant(["worker-lora"], VIEW_LIST_TREE, "/lora/{s}");
    views.grant(["worker-lora"], VIEW_WRITE, "/lora/{s}");
  }
}
