import { platformApi, type Delivery, type Webhook } from '../platform-api.js';
import { confirmAction } from '../ui/dialog.js';
import { badge, details, formatDate, h, replace, section } from '../ui/dom.js';
import { formDialog } from '../ui/form-dialog.js';
import type { FieldSpec } from '../ui/form.js';
import { showSecretOnce } from '../ui/secret-dialog.js';
import { errorState, loadingState } from '../ui/states.js';
import { pagedTable } from '../ui/table.js';
import { messageOf, wordsOf } from '../ui/text-lists.js';
import { toast } from '../ui/toast.js';
import { may, type Screen, type ScreenContext } from './screen.js';

const webhookPath = (id: string) => `webhooks/${encodeURIComponent(id)}`;
const state = (w: Webhook) => (!w.enabled ? badge('disabled', 'bad') : w.failingSince ? badge('failing', 'warn') : badge('enabled', 'good'));
const deliveryBadge = (d: Delivery) => badge(d.status, d.status === 'delivered' ? 'good' : d.status === 'failed' ? 'bad' : 'neutral');

const eventTypesField = (value = ''): FieldSpec => ({
  name: 'eventTypes', label: 'Event types', value, hint: 'Space-separated, e.g. user.created user.blocked member.added. Empty: every event.',
});

function createWebhook(context: ScreenContext): void {
  const lab = context.caller.kind === 'lab_admin' ? context.caller.labId : undefined;
  void formDialog('New webhook', [
    { name: 'url', label: 'URL', required: true, type: 'text', pattern: 'https?://.+', hint: 'Where events are POSTed, signed per Standard Webhooks.' },
    { name: 'description', label: 'Description', maxlength: 500 },
    eventTypesField(),
    ...(lab ? [] : [{ name: 'labId', label: 'Only events of lab (optional)', hint: 'A lab id; empty: events of every lab.' }]),
  ], 'Create webhook', async (values) => {
    const types = wordsOf(values.eventTypes);
    const labId = lab ?? (values.labId ? String(values.labId) : undefined);
    const { webhook, secret } = await platformApi(context.api).webhooks.create({
      url: String(values.url), ...(values.description ? { description: String(values.description) } : {}), ...(types.length ? { eventTypes: types } : {}), ...(labId ? { labId } : {}),
    });
    toast('Webhook created.');
    await showSecretOnce('Signing secret of the webhook', secret, h('p', { class: 'hint' }, 'The receiver checks each delivery\'s webhook-signature header with it.'));
    context.navigate(webhookPath(webhook.id));
  });
}

/** webhooks: subscriptions to events (a lab admin's: her lab's), their state. */
export const webhooksScreen: Screen = {
  name: 'webhooks',
  path: 'webhooks',
  title: 'Webhooks',
  nav: true,
  scopes: ['webhooks:read'],
  render(root, context) {
    const api = platformApi(context.api);
    const canWrite = may(context.caller, 'webhooks:write');
    root.append(
      h('div', { class: 'toolbar' },
        h('p', {}, 'Events POSTed to your services as they happen, retried for a day when a receiver fails.'),
        canWrite && h('button', { type: 'button', class: 'primary', onclick: () => createWebhook(context) }, 'New webhook')),
      pagedTable<Webhook>({
        caption: 'Webhooks', noun: ['webhook', 'webhooks'],
        initial: { offset: Number(context.query.get('offset') ?? 0) || 0 },
        onState: (s) => context.setQuery({ offset: s.offset }),
        load: (page) => api.webhooks.list(page),
        empty: { none: 'No webhooks yet.', action: canWrite ? h('button', { type: 'button', onclick: () => createWebhook(context) }, 'Create the first webhook') : undefined },
        columns: [
          { header: 'URL', primary: true, cell: (w) => h('a', { href: context.href(webhookPath(w.id)) }, w.url) },
          { header: 'Description', cell: (w) => w.description || '—' },
          { header: 'Events', cell: (w) => (w.eventTypes.length ? w.eventTypes.join(' ') : 'all') },
          { header: 'State', cell: state },
        ],
      }),
    );
  },
};

/** One webhook: settings, enable/disable, delete, and its deliveries with redelivery. */
export const webhookScreen: Screen = {
  name: 'webhook',
  path: 'webhooks/:webhookId',
  title: 'Webhook',
  nav: false,
  scopes: ['webhooks:read'],
  async render(root, context) {
    const api = platformApi(context.api);
    const id = context.params.webhookId!;
    const canWrite = may(context.caller, 'webhooks:write');
    const summary = h('div', {});
    const log = h('div', {});
    root.append(h('p', {}, h('a', { href: context.href('webhooks') }, '← All webhooks')), summary, log);

    const act = async (work: () => Promise<unknown>, done: string) => {
      try {
        await work();
        toast(done);
        void show();
      } catch (error) {
        toast(messageOf(error), 'error');
      }
    };

    const show = async () => {
      replace(summary, loadingState());
      let webhook: Webhook;
      try {
        webhook = await api.webhooks.get(id);
      } catch (error) {
        replace(summary, errorState(error, () => void show()));
        return;
      }
      context.setTitle(webhook.description || webhook.url);
      const edit = () => void formDialog('Change webhook', [
        { name: 'url', label: 'URL', required: true, pattern: 'https?://.+', value: webhook.url },
        { name: 'description', label: 'Description', maxlength: 500, value: webhook.description ?? '' },
        eventTypesField(webhook.eventTypes.join(' ')),
      ], 'Save', async (values) => {
        await api.webhooks.update(id, { url: String(values.url), description: String(values.description ?? ''), eventTypes: wordsOf(values.eventTypes) });
        toast('Webhook saved.');
        void show();
      });
      const toggle = async () => {
        if (webhook.enabled) {
          const ok = await confirmAction({ title: 'Disable this webhook?', confirmLabel: 'Disable', danger: true, message: h('p', {}, 'No events are delivered until it is enabled again.') });
          if (!ok) return;
        }
        await act(() => api.webhooks.update(id, { enabled: !webhook.enabled }), webhook.enabled ? 'Webhook disabled.' : 'Webhook enabled.');
      };
      const remove = async () => {
        const ok = await confirmAction({ title: 'Delete this webhook?', confirmLabel: 'Delete webhook', danger: true, message: h('p', {}, `Events stop going to ${webhook.url}, and its delivery log goes too.`) });
        if (!ok) return;
        try {
          await api.webhooks.remove(id);
          toast('Webhook deleted.');
          context.navigate('webhooks');
        } catch (error) {
          toast(messageOf(error), 'error');
        }
      };
      replace(summary, section('Settings',
        details([
          ['URL', h('code', {}, webhook.url)],
          ['State', state(webhook)],
          ...(webhook.disabledReason ? [['Why disabled', webhook.disabledReason] as [string, string]] : []),
          ...(webhook.failingSince ? [['Failing since', formatDate(webhook.failingSince)] as [string, string]] : []),
          ['Events', webhook.eventTypes.length ? webhook.eventTypes.join(' ') : 'every event'],
          ['Lab', webhook.labId ?? 'every lab'],
          ['Created', formatDate(webhook.createdAt)],
        ]),
        canWrite && h('div', { class: 'actions actions-wrap' },
          h('button', { type: 'button', onclick: edit }, 'Change'),
          h('button', { type: 'button', class: webhook.enabled ? 'danger' : 'primary', onclick: () => void toggle() }, webhook.enabled ? 'Disable' : 'Enable'),
          h('button', { type: 'button', class: 'danger', onclick: () => void remove() }, 'Delete'))));
    };

    const deliveries = pagedTable<Delivery>({
      caption: 'Deliveries', noun: ['delivery', 'deliveries'],
      load: (page) => api.webhooks.deliveries(id, page),
      empty: { none: 'Nothing delivered yet: deliveries appear when a subscribed event happens.' },
      columns: [
        { header: 'Event', primary: true, cell: (d) => h('span', {}, d.eventType, h('br', {}), h('code', {}, d.eventId)) },
        { header: 'Status', cell: deliveryBadge },
        { header: 'Attempts', cell: (d) => d.attempts },
        { header: 'Last answer', cell: (d) => (d.lastError ?? (d.lastStatus ? `HTTP ${d.lastStatus}` : '—')) },
        { header: 'When', cell: (d) => formatDate(d.finishedAt ?? d.createdAt) },
        ...(canWrite ? [{
          header: 'Actions',
          cell: (d: Delivery) => h('button', {
            type: 'button', 'aria-label': `Redeliver ${d.eventType} ${d.id}`,
            onclick: () => void api.webhooks.redeliver(id, d.id).then(() => { toast('Queued for delivery.'); void deliveries.reload(); }, (error: unknown) => toast(messageOf(error), 'error')),
          }, 'Redeliver'),
        }] : []),
      ],
    });
    log.append(section('Deliveries', deliveries));
    await show();
  },
};
