import { createHash } from 'node:crypto';

import type { Store } from '../ports/store.js';

/**
 * A poll arriving this much before the interval is up still counts as on time: a device that
 * waits exactly `interval` after reading the last answer must never be told to slow down
 * because of timer or clock granularity.
 */
const TOLERANCE_SECONDS = 0.2;

/**
 * The pace of a device's token polls (RFC 8628 §3.5): at most one every `intervalSeconds`,
 * counted from the device authorization and from each poll that was answered. One key per device
 * code in the shared store, claimed atomically, so the pace holds across nodes.
 */
export function createDevicePolling(options: { store: Store; intervalSeconds: number }) {
  // Hashed: the store never holds a device code that could be redeemed.
  const key = (deviceCode: string) => `device-poll:${createHash('sha256').update(deviceCode).digest('base64url')}`;
  const window = Math.max(options.intervalSeconds - TOLERANCE_SECONDS, TOLERANCE_SECONDS);
  return {
    intervalSeconds: options.intervalSeconds,
    /** A device code was just handed out: its first poll is due one interval from now. */
    async started(deviceCode: string): Promise<void> {
      await options.store.claim(key(deviceCode), window);
    },
    /** true when this poll came sooner than an interval after the last one (which then still counts as the last). */
    async tooSoon(deviceCode: string): Promise<boolean> {
      return !(await options.store.claim(key(deviceCode), window));
    },
  };
}

export type DevicePolling = ReturnType<typeof createDevicePolling>;
