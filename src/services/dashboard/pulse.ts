/**
 * One timer for every live dashboard: it reads a cheap version of the data (the newest
 * log, build log, event and environment-event ids) and tells subscribers when it moves.
 * Error reports also poke it at once. No timer runs while nobody watches.
 */
export function createPulse(version: () => string, everyMs = 1000) {
  const subscribers = new Set<() => void>();
  let timer: ReturnType<typeof setInterval> | null = null;
  let last = "";
  const check = () => {
    const v = version();
    if (v === last) return;
    last = v;
    for (const fn of subscribers) fn();
  };
  let soon: ReturnType<typeof setTimeout> | null = null;
  return {
    /** Something changed: look within 200 ms (many pokes in a burst make one look). */
    poke(): void {
      if (subscribers.size === 0 || soon) return;
      soon = setTimeout(() => {
        soon = null;
        check();
      }, 200);
    },
    subscribe(fn: () => void): () => void {
      if (subscribers.size === 0) {
        last = version();
        timer = setInterval(check, everyMs);
        timer.unref();
      }
      subscribers.add(fn);
      return () => {
        subscribers.delete(fn);
        if (subscribers.size === 0 && timer) {
          clearInterval(timer);
          timer = null;
        }
      };
    },
  };
}

export type Pulse = ReturnType<typeof createPulse>;
