// /log/queen.log: the bounded queen log every subsystem writes its audit lines to.

import { RoleViews, VIEW_LIST, VIEW_READ } from "../access";
import { dirAt, Provider } from "../devtab";
import { LogFile } from "../files";
import { Dir } from "../node";

export class LogProvider extends Provider {
  constructor(private log: LogFile) {
    super();
  }

  mount(root: Dir, views: RoleViews): void {
    dirAt(root, "/log").add(this.log);
    views.grant(["worker-heartbeat", "worker-gpu", "worker-bus", "worker-lora"], VIEW_READ, "/log/queen.log");
    views.grant(["worker-heartbeat", "worker-gpu"], VIEW_LIST, "/log");
  }
}
