import { platformApi, type AuditEntry, type AuditFilter, type ChainCheck } from '../platform-api.js';
import { badge, formatDate, h, replace, section, uniqueId } from '../ui/dom.js';
import { errorState, loadingState } from '../ui/states.js';
import { pagedTable } from '../ui/table.js';
import { messageOf } from '../ui/text-lists.js';
import { toast } from '../ui/toast.js';
import type { Screen, ScreenContext } from './screen.js';

const FILTERS: ReadonlyArray<{ name: keyof AuditFilter & string; label: string; hint: string; type?: string }> = [
  { name: 'action', label: 'Action', hint: 'Exact (login.failed) or a prefix ending in * (user.*).' },
  { name: 'actor', label: 'Actor', hint: 'user:<id>, client:<id>, cli:<name> or anonymous.' },
  { name: 'target', label: 'Target starts with', hint: 'user:<id> also finds that user\'s grants.' },
  { name: 'from', label: 'From', hint: 'At or after.', type: 'datetime-local' },
  { name: 'to', label: 'To', hint: 'Before.', type: 'datetime-local' },
];

/** A datetime-local value (the person's time) as the API's ISO instant. */
const instant = (value: string) => (value ? new Date(value).toISOString() : undefined);
/** And back, for a filter kept in the URL. */
const local = (iso: string | null) => {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : new Date(d.getTime() - d.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
};

function chainPanel(check: ChainCheck): HTMLElement {
  return check.ok
    ? h('p', {}, badge('intact', 'good'), ` All ${check.rows} entries link to the one before and match their hashes (checked ${formatDate(check.checkedAt)}).`)
    : h('p', { role: 'alert' }, badge('broken', 'bad'), ` Entry ${check.brokenAt} does not match: ${check.reason}. Entries from there on cannot be trusted; compare with an export or backup.`);
}

function filtersForm(context: ScreenContext, apply: (filter: AuditFilter) => void): { form: HTMLFormElement; current: () => AuditFilter } {
  const inputs = new Map<string, HTMLInputElement>();
  const rows = FILTERS.map((f) => {
    const id = uniqueId(`audit-${f.name}`);
    const value = f.type ? local(context.query.get(f.name)) : context.query.get(f.name) ?? '';
    const input = h('input', { id, name: f.name, type: f.type ?? 'text', value, autocomplete: 'off', 'aria-describedby': `${id}-hint` });
    inputs.set(f.name, input);
    return h('div', { class: 'field' }, h('label', { for: id }, f.label), input, h('p', { class: 'hint', id: `${id}-hint` }, f.hint));
  });
  const current = (): AuditFilter => {
    const filter: AuditFilter = {};
    for (const f of FILTERS) {
      const raw = inputs.get(f.name)!.value.trim();
      if (!raw) continue;
      if (f.name === 'from' || f.name === 'to') filter[f.name] = instant(raw);
      else filter[f.name as 'action' | 'actor' | 'target'] = raw;
    }
    return filter;
  };
  const form = h('form', {
    class: 'filters', role: 'search', 'aria-label': 'Audit log filters',
    onsubmit: (event: Event) => {
      event.preventDefault();
      apply(current());
    },
  }, ...rows, h('div', { class: 'actions actions-wrap' },
    h('button', { type: 'submit', class: 'primary' }, 'Apply filters'),
    h('button', { type: 'button', onclick: () => { for (const input of inputs.values()) input.value = ''; apply({}); } }, 'Clear')));
  return { form, current };
}

/** audit: the chained audit log — filters, export as JSON lines, and whether the hash chain is intact. Platform admins only. */
export const auditScreen: Screen = {
  name: 'audit',
  path: 'audit',
  title: 'Audit log',
  nav: true,
  scopes: ['audit:read'],
  platformOnly: true,
  render(root, context) {
    const api = platformApi(context.api);
    // The chain check reads every row: it runs beside the page, which is usable meanwhile.
    const chain = h('div', { 'aria-live': 'polite', 'data-background': 'chain-check' });
    const results = h('div', {});
    const verify = async () => {
      chain.setAttribute('aria-busy', 'true');
      replace(chain, loadingState('Checking the hash chain…'));
      try {
        replace(chain, chainPanel(await api.audit.verify()), h('button', { type: 'button', onclick: () => void verify() }, 'Check again'));
      } catch (error) {
        replace(chain, errorState(error, () => void verify()));
      } finally {
        chain.removeAttribute('aria-busy');
      }
    };
    const show = (filter: AuditFilter) => {
      context.setQuery({ ...filter, offset: undefined });
      replace(results, pagedTable<AuditEntry>({
        caption: 'Audit entries', noun: ['entry', 'entries'],
        load: (page) => api.audit.query({ limit: page.limit, offset: page.offset, ...filter }),
        empty: { none: Object.keys(filter).length ? 'No entries match these filters.' : 'The audit log is empty.' },
        columns: [
          { header: 'When', primary: true, cell: (e) => formatDate(e.at) },
          { header: 'Action', cell: (e) => h('code', {}, e.action) },
          { header: 'Actor', cell: (e) => h('code', {}, e.actor) },
          { header: 'Target', cell: (e) => (e.target ? h('code', {}, e.target) : '—') },
          { header: 'Details', cell: (e) => (Object.keys(e.details).length ? h('code', { class: 'details-json' }, JSON.stringify(e.details)) : '—') },
        ],
      }));
    };
    const filters = filtersForm(context, show);
    const download = async () => {
      try {
        const blob = await context.api.download('/audit/export', filters.current());
        const url = URL.createObjectURL(blob);
        const link = h('a', { href: url, download: 'audit.ndjson', class: 'visually-hidden' }, 'audit.ndjson');
        document.body.append(link);
        link.click();
        link.remove();
        setTimeout(() => URL.revokeObjectURL(url), 10_000);
        toast('Export downloaded.');
      } catch (error) {
        toast(messageOf(error), 'error');
      }
    };
    root.append(
      section('Hash chain', h('p', { class: 'hint' }, 'Each entry\'s hash covers the one before it: an edited, removed or inserted entry breaks the chain from there on.'), chain),
      section('Entries', filters.form,
        h('div', { class: 'toolbar' }, h('p', {}, 'Newest first.'), h('button', { type: 'button', onclick: () => void download() }, 'Export as JSON lines')),
        results),
    );
    show(filters.current());
    void verify();
  },
};
