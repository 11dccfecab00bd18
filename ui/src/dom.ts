// Small DOM helpers: elements from a tag, attributes and children; accessible tables (caption, th).
type Child = Node | string | null | undefined | false;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string | boolean | undefined> = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === "text") e.textContent = String(v);
    else e.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page has no #${id}`);
  return e as T;
}

export interface Column<T> {
  header: string;
  cell: (row: T) => Child;
  /** The row's header cell (th scope=row), e.g. its name. */
  key?: boolean;
}

/** A table with a caption, a header row and one row per item; `rowAttrs` adds attributes (data-*, class) to a row. */
export function table<T>(caption: string, columns: Column<T>[], rows: readonly T[], rowAttrs: (row: T) => Record<string, string | undefined> = () => ({})): HTMLTableElement {
  return el(
    "table",
    {},
    el("caption", { text: caption }),
    el("thead", {}, el("tr", {}, ...columns.map((c) => el("th", { scope: "col", text: c.header })))),
    el(
      "tbody",
      {},
      ...rows.map((r) => el("tr", rowAttrs(r), ...columns.map((c) => (c.key ? el("th", { scope: "row" }, c.cell(r)) : el("td", {}, c.cell(r)))))),
    ),
  );
}

/** Replaces a container's content. */
export function show(container: HTMLElement, ...children: Child[]): void {
  container.replaceChildren(...children.filter((c): c is Node | string => c !== null && c !== undefined && c !== false));
}
