// /kmesg: the root task's own console messages, from the ring in trace/kmesg.ts.

import { kmesg } from "../../trace/kmesg";
import { Dir, File, MODE_RO } from "../node";
import { RoleViews } from "../access";
import { Provider } from "../devtab";
import { headSummary } from "./trace";

export class KmesgFile extends File {
  constructor() {
    super("kmesg", MODE_RO);
  }
  read(): string[] {
    return kmesg.read();
  }
  summary(): string {
    return headSummary(this.read());
  }
}

export class KmesgProvider extends Provider {
  mount(root: Dir, views: RoleViews): void {
    root.add(new KmesgFile());
  }
}
