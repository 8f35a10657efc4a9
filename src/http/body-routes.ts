import type { Limits } from "../domain/config-types.ts";
import { bodyTooLarge } from "../services/releases/bundle-store.ts";
import { HOOK_BODY_MAX } from "./builds/hooks-api.ts";
import type { BodyRoute } from "./middleware/body-limit.ts";

/** Room for multipart boundaries and the small text fields around an uploaded bundle. */
const MULTIPART_SLACK = 64 * 1024;

/**
 * The routes allowed a body larger than SMALL_BODY_MAX, each with its own bound; every
 * other route gets the small one. A capability with a big body adds its line here.
 */
export function bodyRoutes(limits: Limits, reportEnvelopeBytes: number): BodyRoute[] {
  const { code, message } = bodyTooLarge(limits.maxBundleBytes);
  const upload = {
    max: limits.maxBundleBytes + MULTIPART_SLACK,
    streamed: true,
    error: { code, message },
  };
  const env = "services/[a-z0-9-]+/environments/[a-z0-9-]+";
  return [
    { method: "POST", path: new RegExp(`^/api/v1/${env}/deployments$`), ...upload },
    { method: "POST", path: new RegExp(`^/${env}/deployments$`), ...upload },
    {
      method: "POST",
      path: /^\/hooks\/(github|gitlab)\/[^/]+$/,
      max: HOOK_BODY_MAX,
      streamed: true,
    },
    // Sentry envelopes: the intake counts the bytes itself as they arrive
    {
      method: "POST",
      path: /^\/api\/[0-9]+\/(envelope|store)\/$/,
      max: reportEnvelopeBytes,
      streamed: true,
    },
  ];
}
