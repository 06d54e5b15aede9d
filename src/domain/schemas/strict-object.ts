type RequiredPart<R extends readonly string[]> = R extends readonly [] ? unknown : { readonly required: R };

/**
 * An object schema that rejects unknown fields. Generic so the literal schema survives and
 * {@link SchemaType} can derive the value's type from it.
 */
export function strictObject<
  const P extends Readonly<Record<string, unknown>>,
  const R extends ReadonlyArray<keyof P & string> = readonly [],
  const E extends Readonly<Record<string, unknown>> = Readonly<Record<never, never>>,
>(properties: P, required?: R, extra?: E): { readonly type: 'object'; readonly additionalProperties: false; readonly properties: P } & RequiredPart<R> & E {
  return { type: 'object', additionalProperties: false, properties, ...(required?.length ? { required } : {}), ...(extra ?? {}) } as never;
}

/** The schema, or JSON null (a PATCH body's way of clearing an optional field). */
export const nullable = <const S>(schema: S) => ({ anyOf: [schema, { type: 'null' }] }) as const;
