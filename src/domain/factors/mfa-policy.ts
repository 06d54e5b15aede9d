import type { LabAccess } from '../tenancy/lab-access.js';
import type { User } from '../types.js';
import { ACR_MULTI_FACTOR } from './authentication-methods.js';

export interface MfaPolicySettings {
  forAdmins: boolean;
  labs: readonly string[];
  clients: readonly string[];
  resources: readonly string[];
}

/** What a sign-in is for: who, through which application, for which resources, asking for what. */
export interface SignInPurpose {
  user: Pick<User, 'id' | 'isAdmin'>;
  clientId?: string;
  resources?: readonly string[];
  acrValues?: readonly string[];
  /** Whether the person has a factor, when the caller already looked (the login did): saves the lookups. */
  hasFactor?: boolean;
}

/** Why a second factor is needed; undefined when it is not. `enrolled`: the person has one, so it is always asked for. */
export type MfaReason = 'enrolled' | 'acr_values' | 'client' | 'resource' | 'lab' | 'admin';

/**
 * When a sign-in needs a second factor: always for a person who has one (a factor that can be
 * skipped protects nothing); and, for everyone, when the application asks for it (`acr_values`
 * naming the multi-factor class), when the client or a requested resource is configured to
 * require it, when the person is an active member of a lab that requires it, and for platform
 * and lab admins (configurable).
 */
export function createMfaPolicy(deps: { settings: MfaPolicySettings; labs: Pick<LabAccess, 'activeLabs'>; hasFactor: (userId: string) => Promise<boolean> }) {
  const { settings } = deps;
  const clients = new Set(settings.clients);
  const resources = new Set(settings.resources);
  const labs = new Set(settings.labs);

  return {
    /** Whether a token for `resource` may be issued from a sign-in without a second factor. */
    resourceRequiresMfa: (resource: string | undefined): boolean => resource !== undefined && resources.has(resource),

    labRequiresMfa: (labId: string | undefined): boolean => labId !== undefined && labs.has(labId),

    /** The reason this person must use a second factor for this purpose, if any (those needing no lookup first). */
    async reason(purpose: SignInPurpose): Promise<MfaReason | undefined> {
      if (purpose.acrValues?.includes(ACR_MULTI_FACTOR)) return 'acr_values';
      if (purpose.clientId !== undefined && clients.has(purpose.clientId)) return 'client';
      if (purpose.resources?.some((r) => resources.has(r))) return 'resource';
      if (settings.forAdmins && purpose.user.isAdmin) return 'admin';
      // A factor is asked for anyway: no need to look up the labs that would also require one.
      if (purpose.hasFactor) return 'enrolled';
      if (labs.size || settings.forAdmins) {
        const memberships = await deps.labs.activeLabs(purpose.user.id);
        if (memberships.some((m) => labs.has(m.id))) return 'lab';
        if (settings.forAdmins && memberships.some((m) => m.role === 'admin')) return 'admin';
      }
      if (purpose.hasFactor ?? await deps.hasFactor(purpose.user.id)) return 'enrolled';
      return undefined;
    },
  };
}

export type MfaPolicy = ReturnType<typeof createMfaPolicy>;
