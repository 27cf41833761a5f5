// Tiny DOM helpers: elements by id (failing loudly when the page and the code disagree) and
// text-only rendering (no innerHTML anywhere: hive text is untrusted).

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`#${id} missing from index.html`);
  return e as T;
}

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
}

export function lines(target: HTMLElement, ls: string[], cls = "line"): void {
  target.replaceChildren(...ls.map((l) => el("div", l, cls)));
}
