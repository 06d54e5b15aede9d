import type { Page, PageQuery } from '../api.js';
import { h, replace, uniqueId, type Child } from './dom.js';
import { emptyState, errorState, loadingState } from './states.js';

export interface Column<T> {
  header: string;
  cell: (item: T) => Child;
  /** The cell that names the row (a row header for screen readers). */
  primary?: boolean;
}

/** The search text, the page, and the chosen value of each filter ('' for any). */
export interface TableState { q: string; offset: number; filters: Record<string, string> }

/** A server-side filter offered as a select ("any" first). */
export interface TableFilter { name: string; label: string; options: ReadonlyArray<{ value: string; label: string }> }

export interface PagedTableOptions<T> {
  caption: string;
  columns: ReadonlyArray<Column<T>>;
  /** One page from the server: search and paging happen there, never on a downloaded list. */
  load: (query: PageQuery & { q?: string } & Record<string, string | number>) => Promise<Page<T>>;
  /** Filters sent with each page (e.g. `status`). */
  filters?: readonly TableFilter[];
  /** A search box (server-side `q`); absent: no search. */
  search?: { label: string; hint?: string };
  /** What an empty result says, with and without a search. */
  empty: { none: string; noMatch?: string; action?: Child };
  pageSize?: number;
  initial?: Partial<TableState>;
  /** The search or page changed (e.g. to keep it in the URL). */
  onState?: (state: TableState) => void;
  /** Several words: "user", "users". */
  noun: [string, string];
}

/**
 * A table fed page by page from the API: a search box (submitted, or after a pause in typing), Previous/Next,
 * a polite count of results, and loading, empty and error states. Rows become stacked cards on narrow screens
 * (CSS reads each cell's `data-label`).
 */
export function pagedTable<T>(options: PagedTableOptions<T>): HTMLElement & { reload: () => Promise<void> } {
  const limit = options.pageSize ?? 25;
  const state: TableState = { q: options.initial?.q ?? '', offset: options.initial?.offset ?? 0, filters: { ...options.initial?.filters } };
  const filtered = () => state.q !== '' || Object.values(state.filters).some(Boolean);
  const body = h('div', { class: 'table-body' });
  const status = h('p', { class: 'table-status', role: 'status', 'aria-live': 'polite' });
  let generation = 0;

  async function reload(): Promise<void> {
    const mine = ++generation;
    options.onState?.({ ...state, filters: { ...state.filters } });
    body.setAttribute('aria-busy', 'true');
    if (!body.firstChild) replace(body, loadingState());
    else status.textContent = 'Loading…';
    try {
      const chosen = Object.fromEntries(Object.entries(state.filters).filter(([, v]) => v));
      const page = await options.load({ ...chosen, limit, offset: state.offset, ...(state.q ? { q: state.q } : {}) });
      if (mine !== generation) return;
      render(page);
    } catch (error) {
      if (mine !== generation) return;
      replace(body, errorState(error, () => void reload()));
      status.textContent = '';
    } finally {
      if (mine === generation) body.removeAttribute('aria-busy');
    }
  }

  function render(page: Page<T>): void {
    if (page.total === 0 || page.items.length === 0) {
      if (state.offset > 0 && page.total > 0) {
        state.offset = Math.max(0, page.total - limit);
        void reload();
        return;
      }
      replace(body, emptyState(filtered() ? options.empty.noMatch ?? (state.q ? `Nothing matches “${state.q}”.` : 'Nothing matches these filters.') : options.empty.none, filtered() ? undefined : options.empty.action));
      status.textContent = filtered() ? `No ${options.noun[1]} match.` : '';
      return;
    }
    const first = page.offset + 1;
    const last = page.offset + page.items.length;
    const summary = `${first}–${last} of ${page.total} ${page.total === 1 ? options.noun[0] : options.noun[1]}`;
    const table = h('table', { class: 'data' },
      h('caption', { class: 'visually-hidden' }, `${options.caption}, ${summary}`),
      h('thead', {}, h('tr', {}, ...options.columns.map((c) => h('th', { scope: 'col' }, c.header)))),
      h('tbody', {}, ...page.items.map((item) => h('tr', {}, ...options.columns.map((c) => c.primary
        ? h('th', { scope: 'row', 'data-label': c.header }, c.cell(item))
        : h('td', { 'data-label': c.header }, c.cell(item)))))));
    const previous = h('button', { type: 'button', disabled: page.offset === 0, onclick: () => { state.offset = Math.max(0, state.offset - limit); void reload(); } }, 'Previous page');
    const next = h('button', { type: 'button', disabled: last >= page.total, onclick: () => { state.offset += limit; void reload(); } }, 'Next page');
    replace(body, h('div', { class: 'table-scroll' }, table), h('nav', { class: 'pager', 'aria-label': `${options.caption} pages` }, previous, h('span', {}, summary), next));
    status.textContent = summary;
  }

  const parts: Child[] = [];
  if (options.search) {
    const id = uniqueId('search');
    const hintId = options.search.hint ? `${id}-hint` : undefined;
    const input = h('input', { id, type: 'search', name: 'q', value: state.q, autocomplete: 'off', 'aria-describedby': hintId });
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = () => {
      clearTimeout(timer);
      if (input.value.trim() === state.q) return;
      state.q = input.value.trim();
      state.offset = 0;
      void reload();
    };
    input.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(run, 300);
    });
    parts.push(h('form', { class: 'search', role: 'search', onsubmit: (e: Event) => { e.preventDefault(); run(); } },
      h('label', { for: id }, options.search.label), input, h('button', { type: 'submit' }, 'Search'),
      hintId && h('p', { class: 'hint', id: hintId }, options.search.hint)));
  }
  if (options.filters?.length) {
    parts.push(h('div', { class: 'filters' }, ...options.filters.map((filter) => {
      const id = uniqueId(`filter-${filter.name}`);
      const select = h('select', {
        id, name: filter.name,
        onchange: () => {
          state.filters[filter.name] = select.value;
          state.offset = 0;
          void reload();
        },
      }, h('option', { value: '' }, 'Any'), ...filter.options.map((o) => h('option', { value: o.value, selected: state.filters[filter.name] === o.value }, o.label)));
      return h('div', { class: 'filter' }, h('label', { for: id }, filter.label), select);
    })));
  }
  const element = Object.assign(h('div', { class: 'paged-table' }, ...parts, status, body), { reload });
  void reload();
  return element;
}
