import { unwatchFile, watchFile } from 'node:fs';

import type { Logger } from '../logger.js';
import { keyFilePath, keysInSigningOrder, nextActivation, readKeyFile, type KeyFile } from './keys.js';

/**
 * Polls keys/jwks.json (polling, not inotify: it works on shared volumes and secret mounts)
 * and hands a changed, valid key set to `onChange` — again when a published key's activation
 * time arrives, so every node switches signing key at the same moment. A broken file is logged
 * and ignored: the node keeps signing with the keys it has.
 */
export function watchKeyFile(keysDir: string, intervalSeconds: number, log: Logger, onChange: (file: KeyFile) => void): () => void {
  const path = keyFilePath(keysDir);
  const fingerprint = (file: KeyFile | undefined) => (file ? keysInSigningOrder(file).map((k) => k.kid).join(',') : '');
  let last = fingerprint(readKeyFile(keysDir));
  let activation: NodeJS.Timeout | undefined;

  const check = () => {
    try {
      const file = readKeyFile(keysDir);
      if (!file) return;
      clearTimeout(activation);
      const next = nextActivation(file);
      // +50 ms: wake just after the activation instant, not before it.
      if (next !== undefined) activation = setTimeout(check, Math.min(next - Date.now() + 50, 2 ** 31 - 1)).unref();
      const current = fingerprint(file);
      if (current === last) return;
      last = current;
      const ordered = keysInSigningOrder(file);
      log.info('signing keys reloaded', { kids: ordered.map((k) => k.kid), signing: ordered[0]!.kid });
      onChange(file);
    } catch (error) {
      log.error('ignoring unreadable key file', { error });
    }
  };
  watchFile(path, { interval: Math.round(intervalSeconds * 1000), persistent: false }, check);
  check();
  return () => {
    clearTimeout(activation);
    unwatchFile(path, check);
  };
}
