// /log/queen.log: the bounded queen log every subsystem writes its audit lines to, and
// /log/system.log, the same records without the ones clients echoed (the queen's view only).

import { RoleViews, VIEW_LIST, VIEW_READ } from "../access";
import { dirAt, Provider } from "../devtab";
import { LogFile, SystemLogView } from "../files";
import { Dir } from "../node";

export class LogProvider extends Provider {
  constructor(private log: LogFile) {
    super();
  }

  mount(root: Dir, views: RoleViews): void {
    const d = dirAt(root, "/log");
    d.add(this.log);
    d.add(new SystemLogView(this.log));
    views.grant(["worker-heartbeat", "worker-gpu", "worker-bus", "worker-lora"], VIEW_READ, "/log/queen.log");
    views.grant(["worker-heartbeat", "worker-gpu"], VIEW_LIST, "/log");
  }
}
