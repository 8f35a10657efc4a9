import type { CheckableDnsProvider } from "./types.ts";

/** No DNS automation: records are managed by hand, so there is nothing to write. */
export function noneProvider(): CheckableDnsProvider {
  return {
    kind: "none",
    upsert: async () => ({ writes: 0 }),
    lookup: async () => [],
    remove: async () => ({ writes: 0 }),
    check: async () => "No DNS provider: records are managed by hand.",
  };
}
