import { ApiError } from '../api.js';
import { h, uniqueId } from './dom.js';
import { describeError } from './states.js';

export interface FieldSpec {
  name: string;
  label: string;
  type?: 'text' | 'email' | 'password' | 'select' | 'checkbox' | 'textarea';
  required?: boolean;
  value?: string | boolean;
  hint?: string;
  autocomplete?: string;
  options?: ReadonlyArray<{ value: string; label: string }>;
  pattern?: string;
  maxlength?: number;
  minlength?: number;
}

export type FormValues = Record<string, string | boolean>;

export interface FormOptions {
  fields: readonly FieldSpec[];
  submitLabel: string;
  /** Throwing an ApiError shows its field errors beside the fields and the rest above the form. */
  onSubmit: (values: FormValues) => Promise<void>;
  onCancel?: () => void;
  /** The API names fields differently (e.g. `role` for the field `membershipRole`). */
  fieldOf?: (apiField: string) => string | undefined;
}

type Control = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

/**
 * A form whose errors are shown field by field: the browser's own checks (required, pattern,
 * type) and the API's problem `errors` both land beside the field they name (`aria-invalid`,
 * `aria-describedby`); anything else goes in an alert above the form. Focus moves to the first
 * field in error.
 */
export function createForm(options: FormOptions): HTMLFormElement {
  const controls = new Map<string, { control: Control; error: HTMLElement; hintId?: string }>();
  const summary = h('div', { class: 'form-errors', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary' }, options.submitLabel);

  const rows = options.fields.map((field) => {
    const id = uniqueId(`field-${field.name}`);
    const errorId = `${id}-error`;
    const hintId = field.hint ? `${id}-hint` : undefined;
    const common = { id, name: field.name, required: field.required, 'aria-describedby': [hintId, errorId].filter(Boolean).join(' ') };
    let control: Control;
    if (field.type === 'select') {
      control = h('select', common, ...(field.options ?? []).map((o) => h('option', { value: o.value, selected: o.value === field.value }, o.label)));
    } else if (field.type === 'textarea') {
      control = h('textarea', { ...common, maxlength: field.maxlength, rows: 3 }, typeof field.value === 'string' ? field.value : '');
    } else if (field.type === 'checkbox') {
      control = h('input', { ...common, type: 'checkbox', checked: field.value === true });
    } else {
      control = h('input', {
        ...common, type: field.type ?? 'text', value: typeof field.value === 'string' ? field.value : undefined,
        autocomplete: field.autocomplete ?? 'off', pattern: field.pattern, maxlength: field.maxlength, minlength: field.minlength,
        spellcheck: field.type === 'password' || field.type === 'email' ? 'false' : undefined,
      });
    }
    const error = h('p', { class: 'field-error', id: errorId });
    controls.set(field.name, { control, error, hintId });
    const label = h('label', { for: id }, field.label, field.required ? h('span', { class: 'required', 'aria-hidden': 'true' }, ' *') : null);
    return h('div', { class: field.type === 'checkbox' ? 'field field-checkbox' : 'field' },
      field.type === 'checkbox' ? control : label,
      field.type === 'checkbox' ? label : control,
      hintId && h('p', { class: 'hint', id: hintId }, field.hint),
      error);
  });

  const clear = () => {
    summary.replaceChildren();
    for (const { control, error } of controls.values()) {
      control.removeAttribute('aria-invalid');
      error.replaceChildren();
    }
  };
  const mark = (name: string, message: string) => {
    const entry = controls.get(name);
    if (!entry) return false;
    entry.control.setAttribute('aria-invalid', 'true');
    entry.error.textContent = message;
    return true;
  };
  const focusFirstInvalid = () => {
    const first = [...controls.values()].find((c) => c.control.getAttribute('aria-invalid') === 'true');
    (first?.control ?? summary).focus();
  };

  const form = h('form', {
    class: 'form', novalidate: true,
    onsubmit: async (event: Event) => {
      event.preventDefault();
      clear();
      let valid = true;
      for (const [name, { control }] of controls) {
        if (!control.checkValidity()) {
          mark(name, control.validationMessage);
          valid = false;
        }
      }
      if (!valid) return focusFirstInvalid();
      const values: FormValues = {};
      for (const [name, { control }] of controls) {
        values[name] = control instanceof HTMLInputElement && control.type === 'checkbox' ? control.checked : control.value.trim();
      }
      submit.disabled = true;
      form.setAttribute('aria-busy', 'true');
      try {
        await options.onSubmit(values);
      } catch (error) {
        const unplaced: string[] = [];
        if (error instanceof ApiError && error.fields.length) {
          for (const f of error.fields) {
            const name = options.fieldOf?.(f.field) ?? [...controls.keys()].find((n) => f.field === n || f.field.startsWith(`${n}.`));
            if (!name || !mark(name, f.detail)) unplaced.push(`${f.field}: ${f.detail}`);
          }
          if (unplaced.length) summary.append(h('p', {}, error.title), ...unplaced.map((u) => h('p', {}, u)));
        } else {
          summary.append(h('p', {}, describeError(error)));
        }
        summary.tabIndex = -1;
        focusFirstInvalid();
      } finally {
        submit.disabled = false;
        form.removeAttribute('aria-busy');
      }
    },
  }, summary, ...rows, h('div', { class: 'actions' }, options.onCancel && h('button', { type: 'button', onclick: options.onCancel }, 'Cancel'), submit));
  return form;
}
