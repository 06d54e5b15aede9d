import { platformApi, type SigningKey } from '../platform-api.js';
import { openDialog } from '../ui/dialog.js';
import { badge, formatDate, h, replace, uniqueId } from '../ui/dom.js';
import { emptyState, errorState, loadingState } from '../ui/states.js';
import { messageOf } from '../ui/text-lists.js';
import { toast } from '../ui/toast.js';
import { may, type Screen } from './screen.js';

const STATUS = { signing: ['signing', 'good'], next: ['next', 'warn'], published: ['published', 'neutral'] } as const;

const WHEN: ReadonlyArray<{ seconds: number; label: string }> = [
  { seconds: 3600, label: 'In 1 hour (recommended: services that cache the key set learn the key first)' },
  { seconds: 86_400, label: 'In 24 hours' },
  { seconds: 0, label: 'Now (services with a cached key set may refuse new tokens until they refetch it)' },
];

/** Asks when the new key should start signing; undefined when cancelled. */
function askActivation(): Promise<number | undefined> {
  return openDialog<number>('Rotate the signing key', (close) => {
    const name = uniqueId('activate');
    const options = WHEN.map((w, i) => {
      const id = `${name}-${i}`;
      return h('div', { class: 'field field-checkbox' }, h('input', { type: 'radio', id, name, value: String(w.seconds), checked: i === 0 }), h('label', { for: id }, w.label));
    });
    return h('form', {
      onsubmit: (event: Event) => {
        event.preventDefault();
        const chosen = (event.currentTarget as HTMLFormElement).querySelector<HTMLInputElement>('input:checked');
        close(Number(chosen?.value ?? 3600));
      },
    },
    h('p', {}, 'A new key is published at once. Choose when it starts signing; the current key then retires, and stays published until the tokens it signed have expired.'),
    h('fieldset', {}, h('legend', {}, 'The new key signs'), ...options),
    h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => close(undefined) }, 'Cancel'), h('button', { type: 'submit', class: 'primary' }, 'Rotate')));
  });
}

/** signing-keys: the keys tokens are signed with — which signs now, which is next — and rotation with pre-publication. Platform admins only. */
export const signingKeysScreen: Screen = {
  name: 'signing-keys',
  path: 'signing-keys',
  title: 'Signing keys',
  nav: true,
  scopes: ['keys:read'],
  platformOnly: true,
  async render(root, context) {
    const api = platformApi(context.api);
    const canRotate = may(context.caller, 'keys:write', true);
    const body = h('div', {});
    const rotate = async () => {
      const seconds = await askActivation();
      if (seconds === undefined) return;
      try {
        const result = await api.signingKeys.rotate(seconds);
        toast(seconds ? `New key ${result.added.slice(0, 12)}… published; it signs from ${formatDate(result.activatesAt)}.` : `New key ${result.added.slice(0, 12)}… signs now.`);
        render(result.keys);
      } catch (error) {
        toast(messageOf(error), 'error');
      }
    };
    const render = (keys: SigningKey[]) => {
      if (!keys.length) {
        replace(body, emptyState('No signing keys.'));
        return;
      }
      replace(body, h('div', { class: 'table-scroll' }, h('table', { class: 'data' },
        h('caption', { class: 'visually-hidden' }, 'Signing keys, newest first'),
        h('thead', {}, h('tr', {}, ...['Key id', 'Status', 'Created', 'Signs from', 'Retires'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, ...keys.map((k) => h('tr', {},
          h('th', { scope: 'row', 'data-label': 'Key id' }, h('code', {}, k.kid)),
          h('td', { 'data-label': 'Status' }, badge(STATUS[k.status][0], STATUS[k.status][1])),
          h('td', { 'data-label': 'Created' }, formatDate(k.createdAt)),
          h('td', { 'data-label': 'Signs from' }, formatDate(k.activatesAt ?? k.createdAt)),
          h('td', { 'data-label': 'Retires' }, formatDate(k.retiredAt))))))));
    };
    const load = async () => {
      replace(body, loadingState());
      try {
        render((await api.signingKeys.list()).items);
      } catch (error) {
        replace(body, errorState(error, () => void load()));
      }
    };
    root.append(
      h('div', { class: 'toolbar' },
        h('p', {}, 'Tokens are signed with one key; the others stay published at /jwks so tokens they signed still verify.'),
        canRotate && h('button', { type: 'button', class: 'primary', onclick: () => void rotate() }, 'Rotate key')),
      body);
    await load();
  },
};
