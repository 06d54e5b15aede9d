/** The one client of bench/bare-provider.ts; the load generator authenticates as it. */
export const bareClient = { id: 'bench-client', secret: 'bench-secret-value-0123456789' } as const;
