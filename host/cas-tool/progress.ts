// Progress on stderr: a redrawn bar on a terminal, a line per quarter otherwise (logs stay short),
// nothing for small jobs or with --quiet. stdout stays for the result (text or --json).

export interface Progress {
  update(done: number, total: number): void;
  done(): void;
}

const NONE: Progress = { update() {}, done() {} };

/** `label` e.g. "pack" or "upload"; jobs of fewer than `minItems` items show nothing. */
export function progress(label: string, opts: { quiet: boolean; minItems?: number; stream?: NodeJS.WriteStream }): Progress {
  if (opts.quiet) return NONE;
  const out = opts.stream ?? process.stderr;
  const minItems = opts.minItems ?? 8;
  let lastQuarter = -1;
  let drawn = false;
  return {
    update(done, total) {
      if (total < minItems) return;
      if (out.isTTY) {
        const width = 30;
        const fill = Math.round((done / total) * width);
        out.write(`\rcas-tool: ${label} [${"#".repeat(fill)}${"-".repeat(width - fill)}] ${done}/${total}`);
        drawn = true;
      } else {
        const q = Math.floor((done / total) * 4);
        if (q !== lastQuarter) {
          lastQuarter = q;
          out.write(`cas-tool: ${label} ${done}/${total}\n`);
        }
      }
    },
    done() {
      if (drawn) out.write("\n");
      drawn = false;
    },
  };
}
