import type { OpenAPIHono } from "@hono/zod-openapi";
import type { DnsLookup } from "../adapters/dns/lookup.ts";
import type { Setup } from "../services/auth/setup.ts";
import type { Deps } from "../services/core/deps.ts";
import type { Dashboard } from "../services/dashboard/index.ts";
import type { ReportsCore } from "../services/reports/core.ts";
import type { AuditVars } from "./middleware/access.ts";
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
  /** Error reporting (main.ts passes its configured one; tests get the defaults). */
  reports?: ReportsCore;
  /** The home page's board, live cue and usage counters (likewise). */
  dashboard?: Dashboard;
  /** How "check now" resolves names (default: the system's resolvers). */
  dnsLookup?: DnsLookup;
};

export type Env = { Variables: RequestVars & AuthVars & AuditVars };
export type Api = OpenAPIHono<Env>;
