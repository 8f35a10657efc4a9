/**
 * Runs work for one environment at a time, in arrival order; different environments
 * run in parallel. A failure of one task does not stop the ones behind it.
 */
export function createEnvQueue() {
  const tails = new Map<number, Promise<unknown>>();
  return {
    run<T>(environmentId: number, task: () => Promise<T>): Promise<T> {
      const previous = tails.get(environmentId) ?? Promise.resolve();
      const next = previous.then(task, task);
      const tail = next.then(
        () => undefined,
        () => undefined,
      );
      tails.set(environmentId, tail);
      void tail.then(() => {
        if (tails.get(environmentId) === tail) tails.delete(environmentId);
      });
      return next;
    },
    /** Resolves once every task queued so far has settled. */
    async idle(): Promise<void> {
      while (tails.size > 0) await Promise.all(tails.values());
    },
  };
}

export type EnvQueue = ReturnType<typeof createEnvQueue>;
