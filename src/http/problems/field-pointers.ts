import type { FieldError } from '../../domain/errors.js';

/** One entry of a problem's `errors`: where in the request, and what is wrong there. */
export interface PointedError {
  pointer: string;
  detail: string;
}

/** Which part of the request carried a domain field. */
export type FieldLocator = (field: string) => 'params' | 'query' | 'body';

const escapeSegment = (segment: string) => segment.replace(/~/g, '~0').replace(/\//g, '~1');

/** `labs.0.labId` in the body → `#/body/labs/0/labId` (RFC 6901 escaping per segment); '' is the whole part. */
export function pointerTo(part: 'params' | 'query' | 'body', field: string): string {
  return field ? `#/${part}/${field.split('.').map(escapeSegment).join('/')}` : `#/${part}`;
}

/** A use case's field errors as the problem's `errors`; fields travel in the body unless the locator says otherwise. */
export function pointedErrors(fields: readonly FieldError[], locate: FieldLocator = () => 'body'): PointedError[] {
  return fields.map(({ field, detail }) => ({ pointer: pointerTo(locate(field), field), detail }));
}

type Schema = Record<string, unknown> | undefined;
const propertyNames = (schema: Schema) => new Set(Object.keys((schema?.properties as Record<string, unknown> | undefined) ?? {}));

/**
 * Finds a field among an operation's declared path parameters, body and query (in that order:
 * a path parameter names the resource itself); a field none of them declares is the body's.
 */
export function locatorFor(schemas: { params?: Schema; query?: Schema; body?: Schema }): FieldLocator {
  const params = propertyNames(schemas.params);
  const body = propertyNames(schemas.body);
  const query = propertyNames(schemas.query);
  return (field) => {
    const head = field.split('.')[0]!;
    if (params.has(head)) return 'params';
    if (body.has(head) || !query.has(head)) return 'body';
    return 'query';
  };
}
