import { EVENT_TYPES } from '../events/event-types.js';
import { strictObject } from './strict-object.js';

/** An event type, as subscriptions and feed filters name it. */
export const eventTypeSchema = { enum: Object.keys(EVENT_TYPES), description: 'An event type (see the Events tag and the AsyncAPI document at /api/v1/asyncapi.json).' } as const;

/**
 * The one shape of a published event: the pull feed and its live stream, webhook bodies and
 * RabbitMQ messages all carry it; the OpenAPI components and the AsyncAPI document show it.
 */
export const eventEnvelopeSchema = strictObject({
  id: { type: 'string', format: 'uuid', description: 'Unique and time-ordered (UUIDv7). A delivery repeated after a failure carries the same id: drop what you have seen.' },
  type: eventTypeSchema,
  time: { type: 'string', format: 'date-time', description: 'When the change committed.' },
  actor: { type: 'string', description: 'Who caused it: `user:<id>`, `client:<id>`, `cli:<os user>`, `import:<file>`, `system:<part>` or `anonymous`.' },
  subject: { type: 'string', description: 'What it is about, and the key of its order: events of one subject arrive in the order they happened (`user:<id>`, `lab:<id>`, `client:<id>`, `resource:<uri>`, `grant:<id>`, `jti:<id>`).' },
  labs: { type: 'array', items: { type: 'string' }, description: 'The labs it concerns; empty for platform-wide events.' },
  data: { type: 'object', description: 'The type\'s details (identifiers and state, never a secret, password or token).' },
  cursor: { type: 'string', description: 'Its position in the feed: pass it as `after` to read what came next.' },
}, ['id', 'type', 'time', 'actor', 'subject', 'labs', 'data', 'cursor']);
