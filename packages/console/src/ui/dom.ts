/** Small DOM builders. Text always goes in as text nodes (never HTML), and no `style` attribute is ever set. */

export type Child = Node | string | number | false | null | undefined;
export type Attributes = Record<string, string | number | boolean | undefined | null | ((event: Event) => void)>;

/**
 * Creates an element: `on*` functions become listeners, `true` makes a bare attribute, `false`,
 * null and undefined leave it out; `class` is the class list.
 *
 * @example h('button', { type: 'button', class: 'danger', onclick: () => remove() }, 'Remove')
 */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'style') throw new Error('the console sets no style attributes (strict CSP): use a class');
    if (typeof value === 'function') element.addEventListener(name.slice(2), value as EventListener);
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, ...children);
  return element;
}

export function append(parent: Element | DocumentFragment, ...children: Child[]): void {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    parent.append(typeof child === 'number' ? String(child) : child);
  }
}

/** Replaces everything inside `parent`. */
export function replace(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, ...children);
}

let counter = 0;
/** A page-unique id, for label/aria pairs. */
export function uniqueId(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** A date as the person's locale writes it (with the time), or an em dash. */
export function formatDate(value: string | undefined): string {
  if (!value) return '—';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? value : date.toLocaleString();
}

/** A status as a small badge; the class gives its colour, the text says it (colour is never the only signal). */
export function badge(text: string, tone: 'good' | 'bad' | 'neutral' | 'warn' = 'neutral'): HTMLElement {
  return h('span', { class: `badge badge-${tone}` }, text);
}

/** A titled part of a screen (an <h2> and its content), labelled by its heading. */
export function section(title: string, ...children: Child[]): HTMLElement {
  const id = uniqueId('section');
  return h('section', { class: 'panel', 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

/** Label/value pairs as a description list; values left out when undefined. */
export function details(rows: ReadonlyArray<[string, Child]>): HTMLElement {
  return h('dl', { class: 'details' }, ...rows.flatMap(([label, value]) => [h('dt', {}, label), h('dd', {}, value ?? '—')]));
}
