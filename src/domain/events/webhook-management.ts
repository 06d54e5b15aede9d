import { randomBytes } from 'node:crypto';

import { NotFoundError, ValidationError } from '../errors.js';
import type { AuditedChange, ChangeOrigin } from '../management/audited-change.js';
import { randomIds, type IdGenerator } from '../ports/id-generator.js';
import type { Page, Paging } from '../ports/paging.js';
import type { Clock } from '../ports/clock.js';
import type { DeliveryRecord, WebhookRecord, WebhookRepository } from '../ports/webhook-repository.js';
import type { LabRepository } from '../ports/lab-repository.js';
import { isEventType } from './event-types.js';

export interface WebhookInput {
  url: string;
  description?: string;
  eventTypes?: string[];
  labId?: string;
}

export interface WebhookUpdate {
  url?: string;
  description?: string;
  eventTypes?: string[];
  enabled?: boolean;
}

/** Refuses a target the outbound policy does not allow; resolves with nothing when it may be used. Rejects with a reason a person can act on. */
export type CheckWebhookUrl = (url: string) => Promise<void>;

/** A Standard Webhooks secret: `whsec_` and 32 random bytes in base64. Shown once, at creation. */
export const newWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * Webhook subscriptions: created, changed and deleted through audited changes. A lab admin's
 * subscriptions are confined to their lab (the lab filter is forced to it, and other labs'
 * subscriptions answer as absent).
 */
export function createWebhookManagement(deps: {
  webhooks: WebhookRepository; labs: LabRepository; change: AuditedChange; checkUrl: CheckWebhookUrl; clock: Clock; ids?: IdGenerator;
}) {
  const ids = deps.ids ?? randomIds;

  async function checked(input: { url?: string; eventTypes?: string[] }): Promise<void> {
    const unknown = (input.eventTypes ?? []).map((type, i) => [type, i] as const).filter(([type]) => !isEventType(type));
    if (unknown.length) throw new ValidationError('unknown event type', unknown.map(([type, i]) => ({ field: `eventTypes.${i}`, detail: `${type} is not an event type` })));
    if (input.url !== undefined) {
      try {
        await deps.checkUrl(input.url);
      } catch (error) {
        throw new ValidationError('the webhook URL is not allowed', [{ field: 'url', detail: error instanceof Error && 'reason' in error ? String(error.reason) : 'is not allowed' }]);
      }
    }
  }

  async function found(id: string, confinedTo: string | undefined): Promise<WebhookRecord> {
    const webhook = await deps.webhooks.find(id, confinedTo);
    if (!webhook) throw new NotFoundError('webhook');
    return webhook;
  }

  return {
    async create(origin: ChangeOrigin, input: WebhookInput, confinedTo: string | undefined): Promise<{ webhook: WebhookRecord; secret: string }> {
      const labId = confinedTo ?? input.labId;
      if (confinedTo !== undefined && input.labId !== undefined && input.labId !== confinedTo) throw new ValidationError('a lab admin subscribes to their own lab only', [{ field: 'labId', detail: 'must be your lab' }]);
      await checked(input);
      if (labId !== undefined && !(await deps.labs.find(labId))) throw new ValidationError('no such lab', [{ field: 'labId', detail: 'no such lab' }]);
      const id = ids();
      const secret = newWebhookSecret();
      const eventTypes = [...new Set(input.eventTypes ?? [])];
      const webhook = await deps.change(origin, async (repos, record) => {
        await repos.webhooks.insert({ id, url: input.url, description: input.description, eventTypes, labId, secret });
        const created = (await repos.webhooks.find(id))!;
        await record('webhook.created', `webhook:${id}`, { after: created });
        return created;
      });
      return { webhook, secret };
    },
    get: found,
    list: (confinedTo: string | undefined, paging: Paging): Promise<Page<WebhookRecord>> => deps.webhooks.list(confinedTo, paging),
    async update(origin: ChangeOrigin, id: string, input: WebhookUpdate, confinedTo: string | undefined): Promise<WebhookRecord> {
      await found(id, confinedTo);
      await checked(input);
      return deps.change(origin, async (repos, record) => {
        const before = await repos.webhooks.find(id);
        if (!before) throw new NotFoundError('webhook');
        await repos.webhooks.update(id, {
          ...input, ...(input.eventTypes ? { eventTypes: [...new Set(input.eventTypes)] } : {}), ...(input.enabled === true ? { disabledReason: null } : {}),
        });
        const after = (await repos.webhooks.find(id))!;
        await record(input.enabled === false && before.enabled ? 'webhook.disabled' : 'webhook.updated', `webhook:${id}`, { before, after });
        return after;
      });
    },
    async remove(origin: ChangeOrigin, id: string, confinedTo: string | undefined): Promise<void> {
      await found(id, confinedTo);
      await deps.change(origin, async (repos, record) => {
        const before = await repos.webhooks.find(id);
        if (!before || !(await repos.webhooks.delete(id))) throw new NotFoundError('webhook');
        await record('webhook.deleted', `webhook:${id}`, { before });
      });
    },
    async deliveries(id: string, confinedTo: string | undefined, paging: Paging): Promise<Page<DeliveryRecord>> {
      await found(id, confinedTo);
      return deps.webhooks.deliveries(id, paging);
    },
    async redeliver(origin: ChangeOrigin, id: string, deliveryId: number, confinedTo: string | undefined): Promise<void> {
      await found(id, confinedTo);
      await deps.change(origin, async (repos, record) => {
        if (!(await repos.webhooks.redeliver(id, deliveryId, deps.clock.now()))) throw new NotFoundError('delivery');
        await record('webhook.redelivery_requested', `webhook:${id}`, { deliveryId });
      });
    },
  };
}

export type WebhookManagement = ReturnType<typeof createWebhookManagement>;
