import { unwatchFile, watchFile } from 'node:fs';

import type { Logger } from '../logger.js';
import { keyFilePath, readKeyFile, type KeyFile } from './keys.js';

/**
 * Polls keys/jwks.json (polling, not inotify: it works on shared volumes and secret mounts)
 * and hands a changed, valid key set to `onChange`. A broken file is logged and ignored: the
 * node keeps signing with the keys it has.
 */
export function watchKeyFile(keysDir: string, intervalSeconds: number, log: Logger, onChange: (file: KeyFile) => void): () => void {
  const path = keyFilePath(keysDir);
  let lastKids = JSON.stringify(readKeyFile(keysDir)?.keys.map((k) => k.kid) ?? []);
  const listener = () => {
    try {
      const file = readKeyFile(keysDir);
      if (!file) return;
      const kids = JSON.stringify(file.keys.map((k) => k.kid));
      if (kids === lastKids) return;
      lastKids = kids;
      log.info('signing keys reloaded', { kids: file.keys.map((k) => k.kid), signing: file.keys[0]!.kid });
      onChange(file);
    } catch (error) {
      log.error('ignoring unreadable key file', { error });
    }
  };
  watchFile(path, { interval: Math.round(intervalSeconds * 1000), persistent: false }, listener);
  return () => unwatchFile(path, listener);
}
