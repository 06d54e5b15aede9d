import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { Webhook } from 'standardwebhooks';

import type { GatehouseEvent } from './apply-user-event.js';
import { isGatehouseEvent, syncEvent, type SyncOutcome } from './sync-outcome.js';
import type { UserStore } from './user-store.js';

export interface WebhookReceiverOptions {
  /** The subscription's secret (`whsec_…`), shown once when it was created through `POST /api/v1/webhooks`. */
  secret: string;
  store: UserStore;
  port?: number;
  host?: string;
  onEvent?: (event: GatehouseEvent, outcome: SyncOutcome) => void;
}

/** Gatehouse's events are small; anything larger is not one of them. */
const MAX_BODY_BYTES = 256 * 1024;

/**
 * Receives Gatehouse's webhooks: checks the Standard Webhooks signature (HMAC-SHA256 of id,
 * timestamp and the raw body, timestamp within 5 minutes) before reading anything, applies the
 * event once by its id, and answers 204 (a duplicate too, so Gatehouse stops retrying it). Any
 * other answer makes Gatehouse retry with backoff.
 */
export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<{ url: string; close(): Promise<void> }> {
  const webhook = new Webhook(options.secret);
  const server: Server = createServer((req, res) => {
    const answer = (status: number) => res.writeHead(status).end();
    if (req.method !== 'POST') return answer(405);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) req.destroy();
      else chunks.push(chunk);
    });
    req.on('end', () => {
      let event: unknown;
      try {
        event = webhook.verify(Buffer.concat(chunks).toString('utf8'), req.headers as IncomingHttpHeaders & Record<string, string>);
      } catch {
        return answer(401); // not signed by Gatehouse with this subscription's secret, or too old
      }
      if (!isGatehouseEvent(event)) return answer(400);
      try {
        options.onEvent?.(event, syncEvent(options.store, event));
      } catch {
        return answer(503); // the store failed: Gatehouse retries
      }
      return answer(204);
    });
    return undefined;
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? '127.0.0.1'}:${port}/gatehouse-events`,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}
