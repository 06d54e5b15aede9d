/** Plain domain records: what repositories return and use cases take. */

export type UserStatus = 'active' | 'blocked';
export type LabStatus = 'active' | 'suspended';
export type MembershipStatus = 'active' | 'invited' | 'suspended';

export interface User {
  id: string;
  username: string;
  email?: string;
  emailVerified: boolean;
  givenName?: string;
  familyName?: string;
  status: UserStatus;
  isAdmin: boolean;
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
}

export interface ResourceRole {
  resourceUri: string;
  role: string;
  labId?: string;
}

export type PrincipalType = 'user' | 'client';
