// Dot labels (reference §5.4): the numeric suffix of `…-<n>`; otherwise the next free integer
// in id order. Clusters: the first namespace segment, or shard/<label>. Pure.

export function labelsFor(ids: string[]): Map<string, string> {
  const out = new Map<string, string>();
  const used = new Set<number>();
  const rest: string[] = [];
  for (const id of ids) {
    const m = /-(\d+)$/.exec(id);
    if (m) {
      out.set(id, String(Number(m[1])));
      used.add(Number(m[1]));
    } else rest.push(id);
  }
  let next = 1;
  for (const id of [...rest].sort()) {
    while (used.has(next)) next++;
    out.set(id, String(next));
    used.add(next);
  }
  return out;
}

export function clusterKey(namespace: string): string {
  const parts = namespace.split("/").filter(Boolean);
  if (parts[0] === "shard" && parts[1]) return `shard/${parts[1]}`;
  return parts[0] ?? "";
}

export function clusterRadius(members: number): number {
  return Math.min(120, Math.max(28, 26 + 6 * members));
}
