import type { OpenAPIHono } from "@hono/zod-openapi";
import type { Setup } from "../services/auth/setup.ts";
import type { Deps } from "../services/core/deps.ts";
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
};

export type Env = { Variables: RequestVars & AuthVars & AuditVars };
export type Api = OpenAPIHono<Env>;
