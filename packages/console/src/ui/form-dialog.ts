import { openDialog } from './dialog.js';
import { createForm, type FieldSpec, type FormValues } from './form.js';

/** A form in a modal dialog: resolves `true` once `submit` succeeded (errors stay in the form), undefined when cancelled. */
export function formDialog(title: string, fields: readonly FieldSpec[], submitLabel: string, submit: (values: FormValues) => Promise<void>): Promise<true | undefined> {
  return openDialog<true>(title, (close) => createForm({
    fields, submitLabel, onCancel: () => close(undefined),
    onSubmit: async (values) => {
      await submit(values);
      close(true);
    },
  }));
}
