import { Ajv, type JSONSchemaType } from 'ajv';

import type { NewCase } from './case-repository.js';
import { Problem } from './problem.js';

// A non-blank string: at least one non-space character.
const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength, pattern: '\\S' }) as const;

/** The body of POST /api/cases. No lab_id or created_by: those come from the token. */
export const newCaseSchema: JSONSchemaType<NewCase> = {
  type: 'object',
  properties: {
    patient_name: text(200),
    case_type: text(50),
    doctor: text(200),
    product: text(200),
  },
  required: ['patient_name', 'case_type', 'doctor', 'product'],
  additionalProperties: false,
};

const validate = new Ajv({ allErrors: true, strict: true }).compile(newCaseSchema);

/** Returns the body as a NewCase, or throws a 400 Problem listing every invalid field. */
export function parseNewCase(body: unknown): NewCase {
  if (validate(body)) {
    const { patient_name, case_type, doctor, product } = body;
    return { patient_name: patient_name.trim(), case_type: case_type.trim(), doctor: doctor.trim(), product: product.trim() };
  }
  const errors = (validate.errors ?? []).map((e) => {
    let pointer = e.instancePath;
    if (e.keyword === 'required') pointer += `/${String(e.params.missingProperty)}`;
    if (e.keyword === 'additionalProperties') pointer += `/${String(e.params.additionalProperty)}`;
    const detail = e.keyword === 'additionalProperties' ? 'is not an accepted field' : e.keyword === 'pattern' ? 'must not be blank' : e.message ?? 'is invalid';
    return { pointer: pointer || '/', detail };
  });
  throw new Problem(400, 'validation_failed', 'the case is invalid', { errors });
}
