// The provider table (Plan 9's devtab): every subsystem that serves files is one Provider, mounted
// once into the tree, declaring its files, their modes and flags, and who besides the queen may
// see them. The namespace lists its providers in one table (namespace.ts) and ticks only the
// ones that keep time.

import { RoleViews } from "./access";
import { Dir } from "./node";

export abstract class Provider {
  /** Adds the provider's files under `root` and its role-view entries to `views`. */
  abstract mount(root: Dir, views: RoleViews): void;

  /** True for providers with expiries or heartbeats; only those are ticked. */
  ticks(): bool {
    return false;
  }

  tick(now: u64): void {}
}

export class Devtab {
  private tickers: Provider[] = [];

  constructor(public providers: Provider[]) {}

  mount(root: Dir, views: RoleViews): void {
    for (let i = 0; i < this.providers.length; i++) {
      const p = this.providers[i];
      p.mount(root, views);
      if (p.ticks()) this.tickers.push(p);
    }
  }

  tick(now: u64): void {
    for (let i = 0; i < this.tickers.length; i++) this.tickers[i].tick(now);
  }
}

/** The directory at absolute `path` under `root`, created as needed ("/" = root). */
export function dirAt(root: Dir, path: string): Dir {
  let d = root;
  const parts = path.split("/");
  for (let i = 1; i < parts.length; i++) if (parts[i].length > 0) d = d.sub(parts[i]);
  return d;
}
