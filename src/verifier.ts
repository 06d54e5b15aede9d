/**
 * `gatehouse/verifier`, kept for services that imported the verifier from the server package
 * before it became its own package. New code installs and imports `@gatehouse/verifier`, which
 * depends on jose only (see packages/verifier/README.md).
 *
 * @example
 * ```ts
 * import { createVerifier } from 'gatehouse/verifier'; // same as '@gatehouse/verifier'
 * ```
 */
export * from '@gatehouse/verifier';
