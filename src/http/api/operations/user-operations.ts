import type { ApiOperation } from '../api-operation.js';
import type { ManagementDeps } from '../management-deps.js';

// Being written in this session; see issue 4.
export function createUserOperations(_deps: ManagementDeps): ApiOperation[] {
  return [];
}
