import type { FieldError } from '../errors.js';

/** What an attribute name looks like: a JWT claim name a service can read without quoting. */
export const ATTRIBUTE_NAME_PATTERN = '^[a-z][a-z0-9_]{0,63}$';

/** Largest stored attribute set (its JSON), whatever the configured schema allows. */
export const MAX_ATTRIBUTES_BYTES = 8192;

/**
 * The custom user attributes an operator declared in configuration (name → JSON Schema), e.g.
 * `company_id`. Validation itself is the configuration layer's (ajv); the domain only asks.
 */
export interface UserAttributeSchema {
  /** Declared names, in declaration order. */
  readonly names: readonly string[];
  /** Errors for a complete attribute set, each naming `attributes.<name>`; empty when valid. */
  check(attributes: Record<string, unknown>): FieldError[];
}

/** No attributes declared: any attribute is refused. */
export const noUserAttributes: UserAttributeSchema = {
  names: [],
  check: (attributes) => Object.keys(attributes).map((name) => ({ field: `attributes.${name}`, detail: 'is not a declared user attribute' })),
};

/**
 * A user's attributes after a change: given keys replace, null removes, the rest stay.
 * (PATCH semantics, like the profile's `null` clears a field.)
 */
export function mergeAttributes(current: Record<string, unknown>, change: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...current };
  for (const [name, value] of Object.entries(change)) {
    if (value === null) delete merged[name];
    else merged[name] = value;
  }
  return merged;
}
