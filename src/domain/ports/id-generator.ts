import { randomUUID } from 'node:crypto';

/** Where use cases get new ids: injected, so tests can predict them. */
export type IdGenerator = () => string;

export const randomIds: IdGenerator = () => randomUUID();
