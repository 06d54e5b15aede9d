import { platformApi, type ResourceRecord } from '../platform-api.js';
import { confirmAction } from '../ui/dialog.js';
import { h } from '../ui/dom.js';
import { formDialog } from '../ui/form-dialog.js';
import type { FieldSpec, FormValues } from '../ui/form.js';
import { pagedTable } from '../ui/table.js';
import { messageOf, wordsOf } from '../ui/text-lists.js';
import { toast } from '../ui/toast.js';
import { may, type Screen, type ScreenContext } from './screen.js';

/** Role names may hold spaces, so roles are one per line (or comma-separated). */
const rolesOf = (value: string | boolean | undefined) => [...new Set(String(value ?? '').split(/[\n,]+/).map((r) => r.trim()).filter(Boolean))];

const fields = (resource?: ResourceRecord): FieldSpec[] => [
  { name: 'name', label: 'Name', required: true, maxlength: 200, value: resource?.name ?? '' },
  { name: 'accessTokenTtl', label: 'Access token lifetime (seconds)', required: true, pattern: '[0-9]{2,5}', value: String(resource?.accessTokenTtl ?? 300), hint: 'From 10 to 86400. Tokens already issued keep their lifetime.' },
  { name: 'scopes', label: 'Scopes', value: resource?.scopes.join(' ') ?? '', hint: 'Space-separated, e.g. cases:read cases:write' },
  { name: 'roles', label: 'Roles (one per line)', type: 'textarea', value: resource?.roles.join('\n') ?? '', hint: 'The roles users and services can be granted for this resource.' },
];

const bodyOf = (values: FormValues) => ({
  name: String(values.name), accessTokenTtl: Number(values.accessTokenTtl), scopes: wordsOf(values.scopes), roles: rolesOf(values.roles),
});

function createResource(context: ScreenContext, reload: () => void): void {
  void formDialog('New resource', [
    { name: 'uri', label: 'Resource indicator (URI)', required: true, type: 'text', pattern: 'https?://[^#]+', hint: 'The API\'s URI, e.g. https://cms.example: it becomes the tokens\' audience and cannot be changed.' },
    ...fields(),
  ], 'Create resource', async (values) => {
    const created = await platformApi(context.api).resources.create({ uri: String(values.uri), ...bodyOf(values) });
    toast(`Resource ${created.name} created.`);
    reload();
  });
}

/** resources: the APIs tokens are issued for — their scopes, role catalogue and token lifetime. Platform admins only. */
export const resourcesScreen: Screen = {
  name: 'resources',
  path: 'resources',
  title: 'Resources',
  nav: true,
  scopes: ['clients:read'],
  platformOnly: true,
  render(root, context) {
    const api = platformApi(context.api);
    const canWrite = may(context.caller, 'clients:write', true);
    const edit = (r: ResourceRecord) => void formDialog(`Change ${r.name}`, fields(r), 'Save', async (values) => {
      await api.resources.update(r.uri, bodyOf(values));
      toast(`Resource ${r.name} saved.`);
      void table.reload();
    });
    const remove = async (r: ResourceRecord) => {
      const ok = await confirmAction({
        title: `Delete ${r.name}?`, confirmLabel: 'Delete resource', danger: true,
        message: h('p', {}, `No new tokens will be issued for ${r.uri}, and its roles are withdrawn from everyone. This cannot be undone.`),
      });
      if (!ok) return;
      try {
        await api.resources.remove(r.uri);
        toast(`Resource ${r.name} deleted.`);
        void table.reload();
      } catch (error) {
        toast(messageOf(error), 'error');
      }
    };
    const table = pagedTable<ResourceRecord>({
      caption: 'Resources', noun: ['resource', 'resources'],
      initial: { offset: Number(context.query.get('offset') ?? 0) || 0 },
      onState: (state) => context.setQuery({ offset: state.offset }),
      load: (page) => api.resources.list(page),
      empty: { none: 'No resources yet.', action: canWrite ? h('button', { type: 'button', onclick: () => createResource(context, () => void table.reload()) }, 'Create the first resource') : undefined },
      columns: [
        { header: 'Resource', primary: true, cell: (r) => h('span', {}, r.name, h('br', {}), h('code', {}, r.uri)) },
        { header: 'Scopes', cell: (r) => r.scopes.join(' ') || '—' },
        { header: 'Roles', cell: (r) => r.roles.join(', ') || '—' },
        { header: 'Token lifetime', cell: (r) => `${r.accessTokenTtl} s` },
        ...(canWrite ? [{
          header: 'Actions',
          cell: (r: ResourceRecord) => h('span', { class: 'row-actions' },
            h('button', { type: 'button', onclick: () => edit(r), 'aria-label': `Change ${r.name}` }, 'Change'),
            h('button', { type: 'button', class: 'danger', onclick: () => void remove(r), 'aria-label': `Delete ${r.name}` }, 'Delete')),
        }] : []),
      ],
    });
    root.append(
      h('div', { class: 'toolbar' },
        h('p', {}, 'APIs that accept Gatehouse\'s access tokens: what they offer (scopes, roles) and how long their tokens live.'),
        canWrite && h('button', { type: 'button', class: 'primary', onclick: () => createResource(context, () => void table.reload()) }, 'New resource')),
      table);
  },
};
