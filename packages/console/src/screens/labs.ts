import { MEMBERSHIP_ROLES, MEMBERSHIP_STATUSES, type Lab, type Member } from '../api.js';
import { confirmAction } from '../ui/dialog.js';
import { badge, details, formatDate, h, replace, section, type Child } from '../ui/dom.js';
import { formDialog } from '../ui/form-dialog.js';
import type { FieldSpec } from '../ui/form.js';
import { errorState, loadingState } from '../ui/states.js';
import { pagedTable } from '../ui/table.js';
import { toast } from '../ui/toast.js';
import { may, type Screen, type ScreenContext } from './screen.js';

const roleOptions = MEMBERSHIP_ROLES.map((r) => ({ value: r, label: r }));
const statusOptions = MEMBERSHIP_STATUSES.map((s) => ({ value: s, label: s }));
const labStatus = (lab: Lab) => badge(lab.status, lab.status === 'active' ? 'good' : 'bad');
const memberStatus = (m: Member) => badge(m.status, m.status === 'active' ? 'good' : m.status === 'invited' ? 'neutral' : 'warn');
const labPath = (id: string) => `labs/${encodeURIComponent(id)}`;

const failed = (error: unknown) => toast(error instanceof Error ? error.message : String(error), 'error');

function createLabDialog(context: ScreenContext): void {
  void formDialog('New lab', [
    { name: 'name', label: 'Name', required: true, maxlength: 200 },
    { name: 'id', label: 'Id (optional)', hint: 'Letters, digits, “.”, “_” and “-”. Generated when left empty; it cannot be changed later.' },
  ], 'Create lab', async (values) => {
    const lab = await context.api.labs.create({ name: String(values.name), ...(values.id ? { id: String(values.id) } : {}) });
    toast(`Lab ${lab.name} created.`);
    context.navigate(labPath(lab.id));
  });
}

/** labs: the list (a lab admin sees only her own), creating a lab. */
export const labsScreen: Screen = {
  name: 'labs',
  path: 'labs',
  title: 'Labs',
  nav: true,
  scopes: ['labs:read'],
  render(root, context) {
    const { api, caller, query, href } = context;
    const canCreate = may(caller, 'labs:write', true);
    root.append(
      h('div', { class: 'toolbar' },
        h('p', {}, caller.kind === 'lab_admin' ? 'The lab you administer.' : 'Every lab. Suspending a lab makes every token acting in it inactive.'),
        canCreate && h('button', { type: 'button', class: 'primary', onclick: () => createLabDialog(context) }, 'New lab')),
      pagedTable<Lab>({
        caption: 'Labs', noun: ['lab', 'labs'],
        search: { label: 'Search labs', hint: 'Part of a name or id.' },
        filters: [{ name: 'status', label: 'Status', options: [{ value: 'active', label: 'active' }, { value: 'suspended', label: 'suspended' }] }],
        initial: { q: query.get('q') ?? '', offset: Number(query.get('offset') ?? 0) || 0, filters: { status: query.get('status') ?? '' } },
        onState: (state) => context.setQuery({ q: state.q, offset: state.offset, ...state.filters }),
        load: (page) => api.labs.list(page),
        empty: { none: 'No labs yet.', action: canCreate ? h('button', { type: 'button', onclick: () => createLabDialog(context) }, 'Create the first lab') : undefined },
        columns: [
          { header: 'Name', primary: true, cell: (l) => h('a', { href: href(labPath(l.id)) }, l.name) },
          { header: 'Id', cell: (l) => h('code', {}, l.id) },
          { header: 'Status', cell: labStatus },
          { header: 'Members', cell: (l) => l.memberCount },
        ],
      }),
    );
  },
};

/** One lab: rename, suspend or reactivate, delete; its members with role and status. */
export const labScreen: Screen = {
  name: 'lab',
  path: 'labs/:labId',
  title: 'Lab',
  nav: false,
  scopes: ['labs:read'],
  async render(root, context) {
    const { api, caller, params } = context;
    const labId = params.labId!;
    const summary = h('div', {});
    const members = h('div', {});
    root.append(h('p', {}, h('a', { href: context.href('labs') }, caller.kind === 'lab_admin' ? '← Your lab' : '← All labs')), summary, members);

    const showLab = async () => {
      replace(summary, loadingState());
      try {
        const lab = await api.labs.get(labId);
        context.setTitle(lab.name);
        replace(summary, labPanel(lab, context, showLab));
      } catch (error) {
        replace(summary, errorState(error, () => void showLab()));
        return false;
      }
      return true;
    };
    if (await showLab()) members.append(membersPanel(labId, context, () => void showLab()));
  },
};

function labPanel(lab: Lab, context: ScreenContext, refresh: () => Promise<unknown>): HTMLElement {
  const { api, caller } = context;
  const actions: Child[] = [];
  // Renaming, suspending and deleting labs are platform-admin operations.
  if (may(caller, 'labs:write', true)) {
    const change = async (body: { name?: string; status?: 'active' | 'suspended' }, message: string) => {
      try {
        await api.labs.update(lab.id, body);
        toast(message);
        void refresh();
      } catch (error) {
        failed(error);
      }
    };
    actions.push(h('button', {
      type: 'button',
      onclick: async () => {
        const done = await formDialog(`Rename ${lab.name}`, [{ name: 'name', label: 'Name', required: true, value: lab.name, maxlength: 200 }], 'Rename', async (values) => {
          await api.labs.update(lab.id, { name: String(values.name) });
          toast('Lab renamed.');
        });
        if (done) void refresh();
      },
    }, 'Rename'));
    actions.push(lab.status === 'active'
      ? h('button', {
          type: 'button', class: 'danger',
          onclick: async () => {
            const ok = await confirmAction({ title: `Suspend ${lab.name}?`, confirmLabel: 'Suspend lab', danger: true, message: 'Every token acting in this lab becomes inactive at once; refreshes and sign-ins into it fail until it is reactivated.' });
            if (ok) await change({ status: 'suspended' }, `${lab.name} is suspended.`);
          },
        }, 'Suspend')
      : h('button', {
          type: 'button',
          onclick: async () => {
            const ok = await confirmAction({ title: `Reactivate ${lab.name}?`, confirmLabel: 'Reactivate lab', message: 'Members may act in this lab again.' });
            if (ok) await change({ status: 'active' }, `${lab.name} is active again.`);
          },
        }, 'Reactivate'));
    actions.push(h('button', {
      type: 'button', class: 'danger',
      onclick: async () => {
        const ok = await confirmAction({ title: `Delete ${lab.name}?`, confirmLabel: 'Delete lab', danger: true, message: 'The lab is deleted with its memberships and the roles limited to it. This cannot be undone.' });
        if (!ok) return;
        try {
          await api.labs.remove(lab.id);
          toast(`${lab.name} deleted.`);
          context.navigate('labs', { replace: true });
        } catch (error) {
          failed(error);
        }
      },
    }, 'Delete lab'));
  }
  return section('Lab',
    details([['Name', lab.name], ['Id', h('code', {}, lab.id)], ['Status', labStatus(lab)], ['Members', lab.memberCount], ['Created', formatDate(lab.createdAt)]]),
    actions.length ? h('div', { class: 'actions actions-wrap' }, ...actions) : null);
}

function membersPanel(labId: string, context: ScreenContext, labChanged: () => void): HTMLElement {
  const { api, caller, href } = context;
  const canWrite = may(caller, 'labs:write');
  const changed = () => {
    void table.reload();
    labChanged();
  };

  const addMember = () => void formDialog('Add a member', [
    { name: 'user', label: 'Username or user id', required: true, hint: caller.kind === 'lab_admin' ? 'New people: create them on the Users page; they join your lab.' : undefined },
    { name: 'role', label: 'Role', type: 'select', options: roleOptions, value: 'member' },
    { name: 'status', label: 'Status', type: 'select', options: statusOptions, value: 'active' },
  ] satisfies FieldSpec[], 'Add member', async (values) => {
    const wanted = String(values.user);
    // A username is looked up (exactly, any case); anything else is taken as the user's id.
    const found = await api.users.list({ username: wanted, limit: 1, offset: 0 }).catch(() => undefined);
    const userId = found?.items[0]?.id ?? wanted;
    const member = await api.labs.addMember(labId, { userId, role: values.role as Member['role'], status: values.status as Member['status'] });
    toast(`${member.username} added as ${member.role}.`);
  }).then((done) => { if (done) changed(); });

  const editMember = (m: Member) => void formDialog(`Change ${m.username}’s membership`, [
    { name: 'role', label: 'Role', type: 'select', options: roleOptions, value: m.role },
    { name: 'status', label: 'Status', type: 'select', options: statusOptions, value: m.status, hint: 'A suspended member’s tokens for this lab become inactive at once.' },
  ], 'Save', async (values) => {
    await api.labs.updateMember(labId, m.userId, { role: values.role as Member['role'], status: values.status as Member['status'] });
    toast(`${m.username}’s membership saved.`);
  }).then((done) => { if (done) changed(); });

  const removeMember = async (m: Member) => {
    const ok = await confirmAction({ title: `Remove ${m.username} from the lab?`, confirmLabel: 'Remove member', danger: true, message: 'Their tokens acting in this lab stop working; roles limited to this lab stay until withdrawn.' });
    if (!ok) return;
    try {
      await api.labs.removeMember(labId, m.userId);
      toast(`${m.username} removed.`);
      changed();
    } catch (error) {
      failed(error);
    }
  };

  const table = pagedTable<Member>({
    caption: 'Members', noun: ['member', 'members'],
    filters: [{ name: 'role', label: 'Role', options: roleOptions }, { name: 'status', label: 'Status', options: statusOptions }],
    load: (page) => api.labs.members(labId, page),
    empty: { none: 'No members yet.', action: canWrite ? h('button', { type: 'button', onclick: addMember }, 'Add the first member') : undefined },
    columns: [
      { header: 'Username', primary: true, cell: (m) => h('a', { href: href(`users/${encodeURIComponent(m.userId)}`) }, m.username) },
      { header: 'Email', cell: (m) => m.email ?? '—' },
      { header: 'Role', cell: (m) => m.role },
      { header: 'Status', cell: memberStatus },
      ...(canWrite ? [{
        header: 'Actions',
        cell: (m: Member) => m.userId === caller.userId ? '—' : h('span', { class: 'row-actions' },
          h('button', { type: 'button', 'aria-label': `Change ${m.username}’s membership`, onclick: () => editMember(m) }, 'Change'),
          h('button', { type: 'button', class: 'danger', 'aria-label': `Remove ${m.username}`, onclick: () => void removeMember(m) }, 'Remove')),
      }] : []),
    ],
  });
  return section('Members', canWrite && h('div', { class: 'toolbar' }, h('button', { type: 'button', class: 'primary', onclick: addMember }, 'Add member')), table);
}
