import { userInfo } from 'node:os';

import type { ChangeOrigin } from '../domain/management/audited-change.js';

/** How the CLI appears in the audit log: the operating-system account that ran it. */
export function operatorOrigin(): ChangeOrigin {
  try {
    return { actor: `cli:${userInfo().username}` };
  } catch {
    // No passwd entry (some containers run as an anonymous uid).
    return { actor: 'cli' };
  }
}
