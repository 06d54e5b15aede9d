import { h, uniqueId, type Child } from './dom.js';

/**
 * A modal dialog (the native <dialog>: focus stays inside, Esc closes it, focus returns to what
 * opened it). `content` gets a `close` function; the promise settles with what it is closed with.
 */
export function openDialog<T>(title: string, content: (close: (value: T | undefined) => void) => Child): Promise<T | undefined> {
  const opener = document.activeElement as HTMLElement | null;
  const titleId = uniqueId('dialog-title');
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId });
  return new Promise((resolve) => {
    let result: T | undefined;
    const close = (value: T | undefined) => {
      result = value;
      dialog.close();
    };
    dialog.addEventListener('close', () => {
      dialog.remove();
      opener?.focus();
      resolve(result);
    });
    dialog.append(h('h2', { id: titleId }, title), h('div', { class: 'dialog-body' }, content(close)));
    document.body.append(dialog);
    dialog.showModal();
  });
}

export interface ConfirmOptions {
  title: string;
  message: Child;
  confirmLabel: string;
  /** A destructive action: its button is styled as such. */
  danger?: boolean;
  /** Asks for a reason (required, up to `maxLength`), returned instead of `true`. */
  reason?: { label: string; maxLength?: number };
}

/**
 * Asks before a destructive or consequential action. Resolves `true` (or the reason given) when
 * confirmed, undefined when cancelled. Focus starts on Cancel, so Enter alone never confirms.
 */
export function confirmAction(options: ConfirmOptions): Promise<string | true | undefined> {
  return openDialog<string | true>(options.title, (close) => {
    const reasonId = uniqueId('reason');
    const reasonError = h('p', { class: 'field-error', id: `${reasonId}-error` });
    const reason = options.reason
      ? h('textarea', { id: reasonId, name: 'reason', required: true, maxlength: options.reason.maxLength ?? 500, rows: 3, 'aria-describedby': reasonError.id })
      : undefined;
    const cancel = h('button', { type: 'button', autofocus: true, onclick: () => close(undefined) }, 'Cancel');
    const form = h('form', {
      method: 'dialog', novalidate: true,
      onsubmit: (event: Event) => {
        event.preventDefault();
        if (reason && !reason.value.trim()) {
          reason.setAttribute('aria-invalid', 'true');
          reasonError.textContent = 'A reason is required.';
          reason.focus();
          return;
        }
        close(reason ? reason.value.trim() : true);
      },
    },
    h('div', { class: 'confirm-message' }, options.message),
    options.reason && reason && h('div', { class: 'field' }, h('label', { for: reasonId }, options.reason.label), reason, reasonError),
    h('div', { class: 'actions' }, cancel, h('button', { type: 'submit', class: options.danger ? 'danger' : 'primary' }, options.confirmLabel)));
    return form;
  });
}
