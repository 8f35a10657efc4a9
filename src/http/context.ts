import type { OpenAPIHono } from "@hono/zod-openapi";
import type { DnsLookup } from "../adapters/dns/lookup.ts";
import type { Setup } from "../services/auth/setup.ts";
import type { Deps } from "../services/core/deps.ts";
import type { AuthVars } from "./middleware/auth.ts";
import type { RequestVars } from "./middleware/request-log.ts";
import type { Urls } from "./present.ts";

/** What the HTTP layer is built from: the use cases' deps plus how to spell URLs. */
export type HttpDeps = {
  deps: Deps;
  urls: Urls;
  baseDomain: string;
  publicUrl: string;
  setup: Setup;
  /** Proxies whose X-Forwarded-For is believed (BERTH_TRUSTED_PROXIES). */
  trustedProxies?: string[];
  /** How "check now" resolves names (default: the system's resolvers). */
  dnsLookup?: DnsLookup;
};

export type Env = { Variables: RequestVars & AuthVars };
export type Api = OpenAPIHono<Env>;
