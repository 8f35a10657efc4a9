/**
 * A token bucket per project, in memory: `perMinute` events a minute with bursts of the
 * same size. Restarting Berth refills every bucket, which is harmless.
 */
export function createRateLimiter(perMinute: number, clock: () => number = Date.now) {
  const buckets = new Map<number, { tokens: number; at: number }>();
  const ratePerMs = perMinute / 60_000;
  return {
    /** Takes one token; null when allowed, else the seconds to wait. */
    take(project: number): number | null {
      const now = clock();
      const b = buckets.get(project) ?? { tokens: perMinute, at: now };
      b.tokens = Math.min(perMinute, b.tokens + (now - b.at) * ratePerMs);
      b.at = now;
      buckets.set(project, b);
      if (b.tokens >= 1) {
        b.tokens -= 1;
        return null;
      }
      return Math.max(1, Math.ceil((1 - b.tokens) / ratePerMs / 1000));
    },
  };
}
