/** Plain domain records: what repositories return and use cases take. */

import type { LAB_STATUSES, MEMBERSHIP_STATUSES } from './schemas/lab-schemas.js';
import type { USER_STATUSES } from './schemas/user-schemas.js';

export type UserStatus = typeof USER_STATUSES[number];
export type LabStatus = typeof LAB_STATUSES[number];
export type MembershipStatus = typeof MEMBERSHIP_STATUSES[number];

export interface User {
  id: string;
  username: string;
  email?: string;
  emailVerified: boolean;
  givenName?: string;
  familyName?: string;
  status: UserStatus;
  isAdmin: boolean;
  /** Custom attributes, valid against the configured schema (configuration `userAttributes`). */
  attributes: Record<string, unknown>;
  createdAt: Date;
  updatedAt: Date;
}

export interface UserWithSecret extends User {
  passwordHash?: string;
}

export interface Lab {
  id: string;
  name: string;
  status: LabStatus;
}

export interface Membership {
  labId: string;
  labName: string;
  labStatus: LabStatus;
  userId: string;
  role: string;
  status: MembershipStatus;
}

export interface Resource {
  uri: string;
  name: string;
  accessTokenTtl: number;
  scopes: string[];
  roles: string[];
  /** User claims its access tokens carry (standard ones such as `email`, `user_id`, or custom attributes); absent: none. */
  tokenClaims?: string[];
}

export interface ResourceRole {
  resourceUri: string;
  role: string;
  labId?: string;
}

export type PrincipalType = 'user' | 'client';
