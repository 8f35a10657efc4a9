/** One GET of a path of an environment's site, as visitors reach it. */
export type HealthProbe = (
  site: { service: string; environment: string },
  path: string,
  timeoutMs: number,
) => Promise<{ status: number; body: string }>;
