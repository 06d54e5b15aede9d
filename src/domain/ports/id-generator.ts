import { randomUUID } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';

/** Where use cases get new ids: injected, so tests can predict them. */
export type IdGenerator = () => string;

export const randomIds: IdGenerator = () => randomUUID();

/** Time-ordered ids (UUIDv7, RFC 9562): events sort by creation without a second column. */
export const timeOrderedIds: IdGenerator = () => uuidv7();
