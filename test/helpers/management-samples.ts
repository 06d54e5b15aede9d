import type { ApiResponse } from './management-api.js';

export interface MatrixContext {
  issuer: string;
  /** Fixture users' ids by username. */
  ids: Record<string, string>;
  /** Calls the API as ops-service (every scope): for setting up a request's target. */
  ops(method: string, path: string, body?: unknown): Promise<ApiResponse>;
  unique(prefix: string): string;
}

export interface MatrixSample {
  /** A valid request on lab-1 (lena's lab) or global; called once per caller, so it may set up a fresh target. */
  request(ctx: MatrixContext): Promise<{ path: string; body?: unknown }>;
  /** Success status for callers that may call it. */
  ok: number;
  /** Whether a lab admin may call it (on their own lab). */
  labAdmin: boolean;
  /** The same request aimed at lab-2: a lab admin of lab-1 must get a 404 (or an empty list). */
  otherLab?(ctx: MatrixContext): Promise<{ path: string; body?: unknown; expect?: 404 | 'empty' }>;
}

const membership = async (ctx: MatrixContext, present: boolean) => {
  if (present) await ctx.ops('POST', '/labs/lab-1/members', { userId: ctx.ids.otto, role: 'viewer' });
  else await ctx.ops('DELETE', `/labs/lab-1/members/${ctx.ids.otto}`);
};

/** One row per operationId: the specification the matrix test checks the API against. */
export const matrixSamples: Record<string, MatrixSample> = {
  listLabs: { ok: 200, labAdmin: true, request: async () => ({ path: '/labs' }) },
  createLab: { ok: 201, labAdmin: false, request: async (ctx) => ({ path: '/labs', body: { name: ctx.unique('Lab') } }) },
  getLab: {
    ok: 200, labAdmin: true, request: async () => ({ path: '/labs/lab-1' }),
    otherLab: async () => ({ path: '/labs/lab-2' }),
  },
  updateLab: { ok: 200, labAdmin: false, request: async () => ({ path: '/labs/lab-1', body: { name: 'Test Lab' } }) },
  deleteLab: {
    ok: 204, labAdmin: false,
    request: async (ctx) => {
      const id = ctx.unique('doomed');
      await ctx.ops('POST', '/labs', { id, name: id });
      return { path: `/labs/${id}` };
    },
  },
  listMembers: {
    ok: 200, labAdmin: true, request: async () => ({ path: '/labs/lab-1/members' }),
    otherLab: async () => ({ path: '/labs/lab-2/members' }),
  },
  addMember: {
    ok: 201, labAdmin: true,
    request: async (ctx) => {
      await membership(ctx, false);
      return { path: '/labs/lab-1/members', body: { userId: ctx.ids.otto, role: 'viewer' } };
    },
    otherLab: async (ctx) => ({ path: '/labs/lab-2/members', body: { userId: ctx.ids.john, role: 'viewer' } }),
  },
  getMember: {
    ok: 200, labAdmin: true, request: async (ctx) => ({ path: `/labs/lab-1/members/${ctx.ids.john}` }),
    otherLab: async (ctx) => ({ path: `/labs/lab-2/members/${ctx.ids.otto}` }),
  },
  updateMember: {
    ok: 200, labAdmin: true, request: async (ctx) => ({ path: `/labs/lab-1/members/${ctx.ids.john}`, body: { role: 'member' } }),
    otherLab: async (ctx) => ({ path: `/labs/lab-2/members/${ctx.ids.otto}`, body: { role: 'admin' } }),
  },
  removeMember: {
    ok: 204, labAdmin: true,
    request: async (ctx) => {
      await membership(ctx, true);
      return { path: `/labs/lab-1/members/${ctx.ids.otto}` };
    },
    otherLab: async (ctx) => ({ path: `/labs/lab-2/members/${ctx.ids.otto}` }),
  },
};
