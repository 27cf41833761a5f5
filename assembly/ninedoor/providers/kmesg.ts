// /kmesg: the root task's own console messages, from the ring in trace/kmesg.ts.

import { kmesg } from "../../trace/kmesg";
import { File, MODE_RO } from "../node";
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
