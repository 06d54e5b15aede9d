import { openDialog } from './dialog.js';
import { h, uniqueId, type Child } from './dom.js';

/**
 * Shows a secret the API returns only once (a client secret, a webhook signing secret): in a
 * read-only field, selected for copying, with a Copy button. Closing the dialog is the last chance.
 */
export function showSecretOnce(title: string, secret: string, note: Child): Promise<unknown> {
  return openDialog<true>(title, (close) => {
    const id = uniqueId('secret');
    const input = h('input', { id, type: 'text', readonly: true, value: secret, class: 'secret', spellcheck: 'false', autocomplete: 'off' });
    const status = h('p', { class: 'hint', role: 'status' });
    input.addEventListener('focus', () => input.select());
    return h('div', { class: 'form' },
      h('p', { class: 'warning' }, 'Shown only now: store it before closing. Gatehouse keeps only its hash.'),
      h('div', { class: 'field' }, h('label', { for: id }, 'Secret'), input),
      note,
      status,
      h('div', { class: 'actions' },
        h('button', {
          type: 'button',
          onclick: async () => {
            input.select();
            try {
              await navigator.clipboard.writeText(secret);
              status.textContent = 'Copied.';
            } catch {
              status.textContent = 'Select the field and copy it (Ctrl+C).';
            }
          },
        }, 'Copy'),
        h('button', { type: 'button', class: 'primary', autofocus: true, onclick: () => close(true) }, 'I have stored it')));
  });
}
