import { MEMBERSHIP_ROLES, type Api, type Resource, type User } from '../api.js';
import { confirmAction, openDialog } from '../ui/dialog.js';
import { badge, details, formatDate, h, replace, section, type Child } from '../ui/dom.js';
import { createForm, type FieldSpec, type FormValues } from '../ui/form.js';
import { formDialog } from '../ui/form-dialog.js';
import { emptyState, errorState, loadingState } from '../ui/states.js';
import { pagedTable } from '../ui/table.js';
import { toast } from '../ui/toast.js';
import { may, type Caller, type Screen, type ScreenContext } from './screen.js';

const roleOptions = MEMBERSHIP_ROLES.map((r) => ({ value: r, label: r }));
const USERNAME_PATTERN = '[A-Za-z0-9][A-Za-z0-9._\\-]{0,99}';

const fullName = (u: Pick<User, 'givenName' | 'familyName'>) => [u.givenName, u.familyName].filter(Boolean).join(' ');
const statusBadge = (u: User) => badge(u.status, u.status === 'active' ? 'good' : 'bad');
/** Only the fields given: the API treats a missing field as "unchanged" and rejects empty strings. */
const given = (values: FormValues, names: readonly string[]) => Object.fromEntries(names.filter((n) => values[n] !== '' && values[n] !== undefined).map((n) => [n, values[n]]));

function createUserDialog(context: ScreenContext): void {
  const { api, caller } = context;
  const platform = caller.kind === 'platform_admin';
  const fields: FieldSpec[] = [
    { name: 'username', label: 'Username', required: true, pattern: USERNAME_PATTERN, maxlength: 100, hint: 'Letters, digits, “.”, “_” and “-”; no “@”.' },
    { name: 'email', label: 'Email', type: 'email', maxlength: 254 },
    { name: 'givenName', label: 'Given name', maxlength: 100 },
    { name: 'familyName', label: 'Family name', maxlength: 100 },
    { name: 'password', label: 'First password', type: 'password', autocomplete: 'new-password', hint: 'Optional: without one the user cannot sign in until a password is set. At least 12 characters, not a common password.' },
    ...(platform
      ? [
          { name: 'labId', label: 'Lab (optional)', hint: 'Id of a lab the user joins at once.' },
          { name: 'labRole', label: 'Role in that lab', type: 'select', options: roleOptions, value: 'member' },
          { name: 'isAdmin', label: 'Platform admin', type: 'checkbox' },
        ] satisfies FieldSpec[]
      : [{ name: 'membershipRole', label: `Role in ${caller.labId}`, type: 'select', options: roleOptions, value: 'member', required: true }] satisfies FieldSpec[]),
  ];
  void openDialog<true>('New user', (close) => createForm({
    fields, submitLabel: 'Create user', onCancel: () => close(undefined),
    fieldOf: (field) => (field.startsWith('labs') ? 'labId' : field.startsWith('membership') ? 'membershipRole' : undefined),
    onSubmit: async (values) => {
      const body: Record<string, unknown> = given(values, ['username', 'email', 'givenName', 'familyName', 'password']);
      if (platform) {
        if (values.isAdmin === true) body.isAdmin = true;
        if (values.labId) body.labs = [{ labId: values.labId, role: values.labRole }];
      } else {
        body.membership = { role: values.membershipRole };
      }
      const user = await api.users.create(body);
      close(true);
      toast(`User ${user.username} created.`);
      context.navigate(`users/${encodeURIComponent(user.id)}`);
    },
  }));
}

/** users: server-side search and paging; creating a user. */
export const usersScreen: Screen = {
  name: 'users',
  path: 'users',
  title: 'Users',
  nav: true,
  scopes: ['users:read'],
  render(root, context) {
    const { api, caller, query, href } = context;
    const canCreate = may(caller, 'users:write');
    const create = canCreate ? h('button', { type: 'button', class: 'primary', onclick: () => createUserDialog(context) }, 'New user') : null;
    root.append(
      h('div', { class: 'toolbar' }, h('p', {}, caller.kind === 'lab_admin' ? `Members of ${caller.labId}.` : 'Everyone with an account.'), create),
      pagedTable<User>({
        caption: 'Users', noun: ['user', 'users'],
        search: { label: 'Search users', hint: 'Part of a username, email or name.' },
        filters: [{ name: 'status', label: 'Status', options: [{ value: 'active', label: 'active' }, { value: 'blocked', label: 'blocked' }] }],
        initial: { q: query.get('q') ?? '', offset: Number(query.get('offset') ?? 0) || 0, filters: { status: query.get('status') ?? '' } },
        onState: (state) => context.setQuery({ q: state.q, offset: state.offset, ...state.filters }),
        load: (page) => api.users.list(page),
        empty: { none: 'No users yet.', action: canCreate ? h('button', { type: 'button', onclick: () => createUserDialog(context) }, 'Create the first user') : undefined },
        columns: [
          { header: 'Username', primary: true, cell: (u) => h('a', { href: href(`users/${encodeURIComponent(u.id)}`) }, u.username) },
          { header: 'Name', cell: (u) => fullName(u) || '—' },
          { header: 'Email', cell: (u) => u.email ?? '—' },
          { header: 'Status', cell: (u) => h('span', {}, statusBadge(u), u.isAdmin ? ' ' : null, u.isAdmin ? badge('platform admin', 'warn') : null) },
          { header: 'Labs', cell: (u) => u.labs.map((l) => `${l.labId} (${l.role}${l.status === 'active' ? '' : `, ${l.status}`})`).join(', ') || '—' },
        ],
      }),
    );
  },
};

/** One user: profile, access (block, password, factors), labs, resource roles, sessions and grants. */
export const userScreen: Screen = {
  name: 'user',
  path: 'users/:userId',
  title: 'User',
  nav: false,
  scopes: ['users:read'],
  async render(root, context) {
    const { api, params } = context;
    const userId = params.userId!;
    const body = h('div', { class: 'stack' });
    root.append(h('p', {}, h('a', { href: context.href('users') }, '← All users')), body);

    const show = async () => {
      replace(body, loadingState());
      try {
        const user = await api.users.get(userId);
        context.setTitle(user.username);
        replace(body, profilePanel(user, context, show), accessPanel(user, context, show), labsPanel(user, context),
          rolesPanel(user, context), sessionsPanel(user, context));
      } catch (error) {
        replace(body, errorState(error, () => void show()));
      }
    };
    await show();
  },
};

function profilePanel(user: User, context: ScreenContext, refresh: () => Promise<void>): HTMLElement {
  const { api, caller } = context;
  const platform = caller.kind === 'platform_admin';
  // Lab admins change given and family names only, and not those of platform admins (the API's rule).
  const canEdit = may(caller, 'users:write') && (platform || !user.isAdmin);
  const edit = () => formDialog(`Edit ${user.username}`, [
    ...(platform ? [
      { name: 'username', label: 'Username', required: true, value: user.username, pattern: USERNAME_PATTERN },
      { name: 'email', label: 'Email', type: 'email', value: user.email ?? '', hint: 'Leave empty to remove. A changed address is unverified until confirmed.' },
    ] satisfies FieldSpec[] : []),
    { name: 'givenName', label: 'Given name', value: user.givenName ?? '', hint: 'Leave empty to remove.' },
    { name: 'familyName', label: 'Family name', value: user.familyName ?? '', hint: 'Leave empty to remove.' },
    ...(platform ? [{ name: 'isAdmin', label: 'Platform admin', type: 'checkbox', value: user.isAdmin }] satisfies FieldSpec[] : []),
  ], 'Save', async (values) => {
    const change: Record<string, unknown> = {};
    const text = (name: 'username' | 'email' | 'givenName' | 'familyName') => {
      if (!(name in values)) return;
      const value = values[name] as string;
      if (value !== (user[name] ?? '')) change[name] = value === '' ? null : value;
    };
    text('username'); text('email'); text('givenName'); text('familyName');
    if (platform && values.isAdmin !== user.isAdmin) change.isAdmin = values.isAdmin;
    if (!Object.keys(change).length) return;
    await api.users.update(user.id, change);
    toast('Profile saved.');
  }).then((done) => { if (done) void refresh(); });

  return section('Profile',
    details([
      ['Username', user.username], ['Name', fullName(user) || '—'],
      ['Email', user.email ? `${user.email}${user.emailVerified ? ' (verified)' : ' (not verified)'}` : '—'],
      ['Platform admin', user.isAdmin ? 'yes' : 'no'], ['Id', h('code', {}, user.id)],
      ['Created', formatDate(user.createdAt)], ['Changed', formatDate(user.updatedAt)],
    ]),
    canEdit && h('div', { class: 'actions' }, h('button', { type: 'button', onclick: edit }, 'Edit profile')));
}

function accessPanel(user: User, context: ScreenContext, refresh: () => Promise<void>): HTMLElement {
  const { api, caller } = context;
  const self = user.id === caller.userId;
  const actions: Child[] = [];
  const run = async <R>(work: () => Promise<R>, message: string | ((result: R) => string), after: () => void = () => void refresh()) => {
    try {
      const result = await work();
      toast(typeof message === 'string' ? message : message(result));
      after();
    } catch (error) {
      toast(error instanceof Error ? error.message : String(error), 'error');
    }
  };
  // Blocking, restoring and deleting are platform-admin operations (the API refuses lab admins).
  if (may(caller, 'users:write', true) && !self) {
    if (user.status === 'active') {
      actions.push(h('button', {
        type: 'button', class: 'danger',
        onclick: async () => {
          const reason = await confirmAction({
            title: `Block ${user.username}?`, confirmLabel: 'Block user', danger: true,
            message: 'They are signed out everywhere at once: grants are revoked (refresh tokens fail, access tokens introspect inactive) and sign-in is refused.',
            reason: { label: 'Reason (kept in the audit log)' },
          });
          if (typeof reason === 'string') await run(() => api.users.block(user.id, reason), `${user.username} is blocked.`);
        },
      }, 'Block'));
    } else {
      actions.push(h('button', {
        type: 'button',
        onclick: async () => {
          const ok = await confirmAction({ title: `Restore ${user.username}?`, confirmLabel: 'Restore user', message: 'They may sign in again; sessions and grants ended by blocking stay ended.' });
          if (ok) await run(() => api.users.restore(user.id), `${user.username} is restored.`);
        },
      }, 'Restore'));
    }
  }
  if (may(caller, 'users:write')) {
    actions.push(h('button', {
      type: 'button',
      onclick: () => void formDialog(`Set a password for ${user.username}`, [
        { name: 'password', label: 'New password', type: 'password', required: true, autocomplete: 'new-password', hint: 'At least 12 characters, not a common password, not the username or email. Their browser sessions end.' },
      ], 'Set password', async (values) => {
        await api.users.setPassword(user.id, String(values.password));
        toast(`Password set for ${user.username}.`);
      }),
    }, 'Set password'));
  }
  if (may(caller, 'users:factors')) {
    actions.push(h('button', {
      type: 'button',
      onclick: async () => {
        const ok = await confirmAction({
          title: `Reset second factors of ${user.username}?`, confirmLabel: 'Reset factors', danger: true,
          message: 'Every authenticator app, passkey and recovery code is removed. They enrol again at their next sign-in that needs a factor.',
        });
        if (ok) await run(() => api.users.resetFactors(user.id), ({ removed }) => `Second factors reset: ${removed} removed.`, () => {});
      },
    }, 'Reset second factors'));
  }
  if (may(caller, 'users:write', true) && !self) {
    actions.push(h('button', {
      type: 'button', class: 'danger',
      onclick: async () => {
        const ok = await confirmAction({ title: `Delete ${user.username}?`, confirmLabel: 'Delete user', danger: true, message: 'All their access ends and the user is deleted with their memberships and roles. This cannot be undone.' });
        if (ok) await run(() => api.users.remove(user.id), `${user.username} deleted.`, () => context.navigate('users', { replace: true }));
      },
    }, 'Delete user'));
  }
  return section('Access',
    h('p', {}, 'Status: ', h('span', { 'data-testid': 'user-status' }, user.status === 'active' ? badge('active', 'good') : badge('blocked', 'bad'))),
    actions.length ? h('div', { class: 'actions actions-wrap' }, ...actions) : h('p', { class: 'hint' }, 'Your role allows no changes here.'));
}

function labsPanel(user: User, context: ScreenContext): HTMLElement {
  if (!user.labs.length) return section('Labs', emptyState('Not a member of any lab.'));
  return section('Labs',
    h('ul', { class: 'link-list' }, ...user.labs.map((l) => h('li', {},
      h('a', { href: context.href(`labs/${encodeURIComponent(l.labId)}`) }, l.labId), ` — ${l.role}, `,
      badge(l.status, l.status === 'active' ? 'good' : 'warn')))),
    h('p', { class: 'hint' }, 'Memberships are changed on the lab’s page.'));
}

/** The resources a platform admin may pick from (lab admins type the URI: listing resources is for platform admins). */
async function resourcesFor(api: Api, caller: Caller): Promise<Resource[] | undefined> {
  if (!may(caller, 'clients:read', true)) return undefined;
  const page = await api.resources.list({ limit: 200, offset: 0 });
  return page.items.filter((r) => r.roles.length > 0);
}

function rolesPanel(user: User, context: ScreenContext): HTMLElement {
  const { api, caller } = context;
  const list = h('div', {});
  const canWrite = may(caller, 'users:write');

  const load = async () => {
    replace(list, loadingState());
    try {
      const { items } = await api.users.roles(user.id);
      if (!items.length) return replace(list, emptyState('No resource roles.'));
      replace(list, h('div', { class: 'table-scroll' }, h('table', { class: 'data' },
        h('caption', { class: 'visually-hidden' }, 'Resource roles'),
        h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Resource'), h('th', { scope: 'col' }, 'Role'), h('th', { scope: 'col' }, 'Where'), canWrite ? h('th', { scope: 'col' }, 'Actions') : null)),
        h('tbody', {}, ...items.map((a) => h('tr', {},
          h('td', { 'data-label': 'Resource' }, a.resource), h('th', { scope: 'row', 'data-label': 'Role' }, a.role),
          h('td', { 'data-label': 'Where' }, a.lab ? `lab ${a.lab}` : 'every lab (global)'),
          canWrite && (caller.kind === 'platform_admin' || a.lab === caller.labId) ? h('td', { 'data-label': 'Actions' }, h('button', {
            type: 'button', class: 'danger',
            'aria-label': `Withdraw ${a.role} on ${a.resource}${a.lab ? ` in ${a.lab}` : ''}`,
            onclick: async () => {
              const ok = await confirmAction({ title: 'Withdraw this role?', confirmLabel: 'Withdraw', danger: true, message: `${user.username} loses ${a.role} on ${a.resource}${a.lab ? ` in ${a.lab}` : ''} from their next token; introspection drops it at once.` });
              if (!ok) return;
              try {
                await api.users.withdrawRole(user.id, a);
                toast('Role withdrawn.');
                void load();
              } catch (error) {
                toast(error instanceof Error ? error.message : String(error), 'error');
              }
            },
          }, 'Withdraw')) : canWrite ? h('td', { 'data-label': 'Actions' }, '—') : null))))));
    } catch (error) {
      replace(list, errorState(error, () => void load()));
    }
  };

  const grant = async () => {
    let resources: Resource[] | undefined;
    try {
      resources = await resourcesFor(api, caller);
    } catch {
      resources = undefined;
    }
    const labOptions = caller.kind === 'platform_admin'
      ? [{ value: '', label: 'Every lab (global)' }, ...user.labs.map((l) => ({ value: l.labId, label: `Only in ${l.labId}` }))]
      : [{ value: caller.labId, label: `Only in ${caller.labId}` }];
    // A platform admin picks from each resource's catalogue; a lab admin (who may not list resources) types the URI and role.
    const choices = (resources ?? []).flatMap((r) => r.roles.map((role) => ({ resource: r.uri, role, label: `${r.name} (${r.uri}): ${role}` })));
    const fields: FieldSpec[] = [
      ...(choices.length
        ? [{ name: 'choice', label: 'Role', type: 'select', required: true, options: choices.map((c, i) => ({ value: String(i), label: c.label })) }] satisfies FieldSpec[]
        : [
            { name: 'resource', label: 'Resource URI', required: true, hint: 'The resource indicator, e.g. https://cms.example.' },
            { name: 'role', label: 'Role', required: true, hint: 'A role from the resource’s catalogue.' },
          ] satisfies FieldSpec[]),
      { name: 'lab', label: 'Where', type: 'select', options: labOptions, value: labOptions[0]!.value },
    ];
    const done = await formDialog(`Grant ${user.username} a role`, fields, 'Grant role', async (values) => {
      const chosen = choices[Number(values.choice)];
      const assignment = chosen ? { resource: chosen.resource, role: chosen.role } : { resource: String(values.resource), role: String(values.role) };
      await api.users.grantRole(user.id, { ...assignment, ...(values.lab ? { lab: String(values.lab) } : {}) });
      toast('Role granted: it is in their next token.');
    });
    if (done) void load();
  };

  void load();
  return section('Resource roles', list, canWrite && h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => void grant() }, 'Grant a role')),
    h('p', { class: 'hint' }, 'Roles are read when a token is minted: a change shows in the user’s next token.'));
}

function sessionsPanel(user: User, context: ScreenContext): HTMLElement {
  const { api, caller } = context;
  const content = h('div', {});
  const canWrite = may(caller, 'users:write');
  const act = async (confirm: Parameters<typeof confirmAction>[0], work: () => Promise<unknown>, message: string) => {
    if (!(await confirmAction(confirm))) return;
    try {
      await work();
      toast(message);
      void load();
    } catch (error) {
      toast(error instanceof Error ? error.message : String(error), 'error');
    }
  };

  const load = async () => {
    replace(content, loadingState());
    try {
      const { sessions, grants } = await api.users.sessions(user.id);
      const sessionList = sessions.length
        ? h('div', { class: 'table-scroll' }, h('table', { class: 'data' }, h('caption', {}, 'Browser sessions'),
          h('thead', {}, h('tr', {}, ...['Signed in', 'Expires', 'Applications', ...(canWrite ? ['Actions'] : [])].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, ...sessions.map((s) => h('tr', {},
            h('th', { scope: 'row', 'data-label': 'Signed in' }, formatDate(s.loginAt)), h('td', { 'data-label': 'Expires' }, formatDate(s.expiresAt)),
            h('td', { 'data-label': 'Applications' }, s.clients.join(', ') || '—'),
            canWrite && h('td', { 'data-label': 'Actions' }, h('button', {
              type: 'button', class: 'danger', 'aria-label': `End the session from ${formatDate(s.loginAt)}`,
              onclick: () => act({ title: 'End this session?', confirmLabel: 'End session', danger: true, message: 'That browser must sign in again; applications keep their grants (revoke them below).' },
                () => api.users.endSession(user.id, s.id), 'Session ended.'),
            }, 'End')))))))
        : emptyState('No browser sessions.');
      const grantList = grants.length
        ? h('div', { class: 'table-scroll' }, h('table', { class: 'data' }, h('caption', {}, 'Application grants'),
          h('thead', {}, h('tr', {}, ...['Application', 'Lab', 'Created', 'Last token', 'From', ...(canWrite ? ['Actions'] : [])].map((t) => h('th', { scope: 'col' }, t)))),
          h('tbody', {}, ...grants.map((g) => h('tr', {},
            h('th', { scope: 'row', 'data-label': 'Application' }, g.clientId), h('td', { 'data-label': 'Lab' }, g.labId ?? '—'),
            h('td', { 'data-label': 'Created' }, formatDate(g.createdAt)), h('td', { 'data-label': 'Last token' }, formatDate(g.lastUsedAt)),
            h('td', { 'data-label': 'From' }, [g.ip, g.userAgent].filter(Boolean).join(' · ') || '—'),
            canWrite && h('td', { 'data-label': 'Actions' }, h('button', {
              type: 'button', class: 'danger', 'aria-label': `Revoke the grant of ${g.clientId} from ${formatDate(g.createdAt)}`,
              onclick: () => act({ title: `Revoke ${g.clientId}’s grant?`, confirmLabel: 'Revoke', danger: true, message: 'Its refresh tokens fail from now on and its access tokens introspect inactive.' },
                () => api.users.revokeGrant(user.id, g.id), 'Grant revoked.'),
            }, 'Revoke')))))))
        : emptyState('No application grants.');
      replace(content, sessionList, grantList,
        canWrite && (sessions.length || grants.length) ? h('div', { class: 'actions' }, h('button', {
          type: 'button', class: 'danger',
          onclick: () => act({ title: `Sign ${user.username} out everywhere?`, confirmLabel: 'Sign out everywhere', danger: true, message: 'Every browser session ends and every grant is revoked (a lab admin: grants in their lab or in none).' },
            () => api.users.endAllSessions(user.id), `${user.username} is signed out everywhere.`),
        }, 'Sign out everywhere')) : null);
    } catch (error) {
      replace(content, errorState(error, () => void load()));
    }
  };
  void load();
  return section('Sessions and devices', content);
}
