import { DEVICE_CODE_GRANT, platformApi, type Client, type NewClient } from '../platform-api.js';
import { confirmAction, openDialog } from '../ui/dialog.js';
import { badge, details, formatDate, h, replace, section } from '../ui/dom.js';
import { formDialog } from '../ui/form-dialog.js';
import type { FieldSpec, FormValues } from '../ui/form.js';
import { showSecretOnce } from '../ui/secret-dialog.js';
import { errorState, loadingState } from '../ui/states.js';
import { pagedTable } from '../ui/table.js';
import { linesOf, messageOf, wordsOf } from '../ui/text-lists.js';
import { toast } from '../ui/toast.js';
import { may, type Screen, type ScreenContext } from './screen.js';

type ClientType = 'web' | 'spa' | 'service' | 'device';

/** What each kind of application needs: the defaults a person would otherwise have to know. */
const CLIENT_TYPES: Record<ClientType, { label: string; description: string; defaults: NewClient; redirects: boolean }> = {
  web: {
    label: 'Web application', description: 'Runs on a server and keeps a secret; people sign in through the browser.',
    defaults: { grantTypes: ['authorization_code', 'refresh_token'], tokenEndpointAuthMethod: 'client_secret_basic', scope: 'openid profile email offline_access' }, redirects: true,
  },
  spa: {
    label: 'Single-page app', description: 'Runs in the browser: no secret, authorization code with PKCE.',
    defaults: { grantTypes: ['authorization_code', 'refresh_token'], tokenEndpointAuthMethod: 'none', scope: 'openid profile email offline_access' }, redirects: true,
  },
  service: {
    label: 'Service', description: 'Machine to machine (client credentials): a secret, no people, tokens for its resources.',
    defaults: { grantTypes: ['client_credentials'], tokenEndpointAuthMethod: 'client_secret_basic' }, redirects: false,
  },
  device: {
    label: 'Device', description: 'TVs, consoles and command-line tools: the person signs in on another screen (device authorization grant), no secret.',
    defaults: { grantTypes: [DEVICE_CODE_GRANT, 'refresh_token'], tokenEndpointAuthMethod: 'none', scope: 'openid profile offline_access' }, redirects: false,
  },
};

const clientPath = (id: string) => `clients/${encodeURIComponent(id)}`;
const isPublic = (c: Client) => c.tokenEndpointAuthMethod === 'none';
const kindOf = (c: Client): string => {
  if (c.grantTypes.includes('client_credentials') && !c.grantTypes.includes('authorization_code')) return CLIENT_TYPES.service.label;
  if (c.grantTypes.includes(DEVICE_CODE_GRANT)) return CLIENT_TYPES.device.label;
  return isPublic(c) ? CLIENT_TYPES.spa.label : CLIENT_TYPES.web.label;
};

const resourceFields = (client?: Client): FieldSpec[] => [
  { name: 'resources', label: 'Resources (one per line)', type: 'textarea', value: client?.resources.join('\n') ?? '', hint: 'APIs the client may get tokens for, e.g. https://cms.example' },
  { name: 'resourceScopes', label: 'Resource scopes', value: client?.resourceScopes.join(' ') ?? '', hint: 'Space-separated scopes of those resources, e.g. cases:read' },
];

/** The optional lists: an empty field sends nothing on create, and clears the list on change. */
function listsOf(values: FormValues, change: boolean): NewClient {
  const out: NewClient = {};
  const put = (key: 'redirectUris' | 'postLogoutRedirectUris' | 'resources' | 'resourceScopes', list: string[]) => {
    if (key in values && (list.length || change)) out[key] = list;
  };
  put('redirectUris', linesOf(values.redirectUris));
  put('postLogoutRedirectUris', linesOf(values.postLogoutRedirectUris));
  put('resources', linesOf(values.resources));
  put('resourceScopes', wordsOf(values.resourceScopes));
  return out;
}

function secretNote(previousExpiresAt?: string) {
  return h('p', { class: 'hint' }, previousExpiresAt ? `The previous secret keeps working until ${formatDate(previousExpiresAt)}, so the application can be redeployed in between.` : 'Configure the application with it now.');
}

function createClient(context: ScreenContext): void {
  const api = platformApi(context.api);
  void openDialog<ClientType>('What are you connecting?', (close) => h('ul', { class: 'choice-list' },
    ...(Object.entries(CLIENT_TYPES) as Array<[ClientType, (typeof CLIENT_TYPES)[ClientType]]>).map(([type, spec]) => h('li', {},
      h('button', { type: 'button', class: 'choice', onclick: () => close(type) }, h('strong', {}, spec.label), h('span', { class: 'hint' }, spec.description)))),
  )).then((type) => {
    if (!type) return;
    const spec = CLIENT_TYPES[type];
    const fields: FieldSpec[] = [
      { name: 'clientName', label: 'Name', required: true, maxlength: 200 },
      { name: 'clientId', label: 'Client id (optional)', pattern: '[A-Za-z0-9._~\\-]{1,100}', hint: 'Letters, digits, “.”, “_”, “~” and “-”. Generated when left empty.' },
      ...(spec.redirects ? [
        { name: 'redirectUris', label: 'Redirect URIs (one per line)', type: 'textarea', required: true, hint: 'Where people come back after signing in, e.g. https://app.example/callback' },
        { name: 'postLogoutRedirectUris', label: 'After sign-out URIs (one per line)', type: 'textarea' },
      ] satisfies FieldSpec[] : []),
      ...resourceFields(),
    ];
    void formDialog(`New ${spec.label.toLowerCase()}`, fields, 'Create client', async (values) => {
      const created = await api.clients.create({
        ...spec.defaults, clientName: String(values.clientName), ...(values.clientId ? { clientId: String(values.clientId) } : {}), ...listsOf(values, false),
      });
      toast(`Client ${created.clientName ?? created.clientId} created.`);
      if (created.clientSecret) await showSecretOnce(`Secret of ${created.clientId}`, created.clientSecret, secretNote());
      context.navigate(clientPath(created.clientId));
    });
  });
}

/** clients: the OAuth applications, created from a type with its defaults. Platform admins only. */
export const clientsScreen: Screen = {
  name: 'clients',
  path: 'clients',
  title: 'Clients',
  nav: true,
  scopes: ['clients:read'],
  platformOnly: true,
  render(root, context) {
    const api = platformApi(context.api);
    const canCreate = may(context.caller, 'clients:write', true);
    root.append(
      h('div', { class: 'toolbar' },
        h('p', {}, 'Applications and services that get tokens from Gatehouse. Secrets are shown once, when made.'),
        canCreate && h('button', { type: 'button', class: 'primary', onclick: () => createClient(context) }, 'New client')),
      pagedTable<Client>({
        caption: 'Clients', noun: ['client', 'clients'],
        search: { label: 'Search clients', hint: 'Part of a client id or name.' },
        initial: { q: context.query.get('q') ?? '', offset: Number(context.query.get('offset') ?? 0) || 0 },
        onState: (state) => context.setQuery({ q: state.q, offset: state.offset }),
        load: (page) => api.clients.list(page),
        empty: { none: 'No clients yet.', action: canCreate ? h('button', { type: 'button', onclick: () => createClient(context) }, 'Create the first client') : undefined },
        columns: [
          { header: 'Client', primary: true, cell: (c) => h('a', { href: context.href(clientPath(c.clientId)) }, c.clientName ?? c.clientId) },
          { header: 'Id', cell: (c) => h('code', {}, c.clientId) },
          { header: 'Type', cell: kindOf },
          { header: 'Secret', cell: (c) => (isPublic(c) ? badge('public', 'neutral') : c.secretCount > 1 ? badge('rotating', 'warn') : badge('confidential', 'good')) },
        ],
      }),
    );
  },
};

/** One client: its settings, redirect URIs and resources; rotate its secret (shown once), delete it. */
export const clientScreen: Screen = {
  name: 'client',
  path: 'clients/:clientId',
  title: 'Client',
  nav: false,
  scopes: ['clients:read'],
  platformOnly: true,
  async render(root, context) {
    const api = platformApi(context.api);
    const clientId = context.params.clientId!;
    const canWrite = may(context.caller, 'clients:write', true);
    const body = h('div', { class: 'stack' });
    root.append(h('p', {}, h('a', { href: context.href('clients') }, '← All clients')), body);

    const show = async () => {
      replace(body, loadingState());
      let client: Client;
      try {
        client = await api.clients.get(clientId);
      } catch (error) {
        replace(body, errorState(error, () => void show()));
        return;
      }
      context.setTitle(client.clientName ?? client.clientId);
      const edit = () => void formDialog(`Change ${client.clientId}`, [
        { name: 'clientName', label: 'Name', required: true, maxlength: 200, value: client.clientName ?? '' },
        ...(client.grantTypes.includes('authorization_code') ? [
          { name: 'redirectUris', label: 'Redirect URIs (one per line)', type: 'textarea', required: true, value: client.redirectUris.join('\n') },
          { name: 'postLogoutRedirectUris', label: 'After sign-out URIs (one per line)', type: 'textarea', value: client.postLogoutRedirectUris.join('\n') },
        ] satisfies FieldSpec[] : []),
        ...resourceFields(client),
      ], 'Save', async (values) => {
        await api.clients.update(clientId, { clientName: String(values.clientName), ...listsOf(values, true) });
        toast('Client saved.');
        void show();
      });
      const rotate = async () => {
        const ok = await confirmAction({
          title: 'Rotate the secret?', confirmLabel: 'Rotate secret',
          message: h('p', {}, `A new secret for ${client.clientId} works at once; the current one keeps working for a while (the overlap), then stops.`),
        });
        if (!ok) return;
        try {
          const rotated = await api.clients.rotateSecret(clientId);
          await showSecretOnce(`New secret of ${client.clientId}`, rotated.clientSecret, secretNote(rotated.previousSecretExpiresAt));
          void show();
        } catch (error) {
          toast(messageOf(error), 'error');
        }
      };
      const remove = async () => {
        const ok = await confirmAction({
          title: `Delete ${client.clientId}?`, confirmLabel: 'Delete client', danger: true,
          message: h('p', {}, 'Its tokens and grants stop working and it can no longer sign anyone in. This cannot be undone.'),
        });
        if (!ok) return;
        try {
          await api.clients.remove(clientId);
          toast(`Client ${client.clientId} deleted.`);
          context.navigate('clients');
        } catch (error) {
          toast(messageOf(error), 'error');
        }
      };
      const list = (items: string[]) => (items.length ? h('ul', { class: 'plain-list' }, ...items.map((i) => h('li', {}, h('code', {}, i)))) : '—');
      replace(body,
        section('Settings',
          details([
            ['Client id', h('code', {}, client.clientId)],
            ['Type', kindOf(client)],
            ['Grant types', client.grantTypes.join(', ')],
            ['Authentication', isPublic(client) ? 'public (PKCE, no secret)' : client.tokenEndpointAuthMethod],
            ['Scopes', client.scope || '—'],
            ['First party', client.firstParty ? 'yes (no consent page)' : 'no'],
            ['Created', formatDate(client.createdAt)],
          ]),
          canWrite && h('div', { class: 'actions actions-wrap' }, h('button', { type: 'button', onclick: edit }, 'Change settings'))),
        section('Redirect URIs', list(client.redirectUris), client.postLogoutRedirectUris.length ? h('p', { class: 'hint' }, 'After sign-out:') : null,
          client.postLogoutRedirectUris.length ? list(client.postLogoutRedirectUris) : null),
        section('Resources', list(client.resources), client.resourceScopes.length ? h('p', {}, 'Scopes: ', client.resourceScopes.join(' ')) : null),
        section('Secret',
          isPublic(client)
            ? h('p', {}, 'A public client has no secret.')
            : h('p', {}, client.secretCount > 1 && client.previousSecretExpiresAt
              ? `Two secrets work until ${formatDate(client.previousSecretExpiresAt)}, when the previous one stops.`
              : 'One secret. It was shown when it was made and cannot be shown again.'),
          canWrite && !isPublic(client) && h('div', { class: 'actions actions-wrap' }, h('button', { type: 'button', onclick: () => void rotate() }, 'Rotate secret'))),
        canWrite && section('Delete', h('p', {}, 'Deleting a client ends its grants and tokens.'),
          h('div', { class: 'actions actions-wrap' }, h('button', { type: 'button', class: 'danger', onclick: () => void remove() }, 'Delete client'))),
      );
    };
    await show();
  },
};
