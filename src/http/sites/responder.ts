import fs from "node:fs";
import type { Context } from "hono";
import { parseSiteHost, type SiteTarget } from "../../domain/edge/hosts.ts";
import type { HttpDeps } from "../context.ts";
import { brandedNotFound } from "./branded.ts";
import { serveRelease } from "./serve-release.ts";

/** One answer for a name that is not a site, whichever part is unknown: names stay private. */
const NO_SITE = "There is no site at this address.";

const notHere = (message: string) =>
  new Response(`${message}\n`, {
    status: 404,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });

/**
 * Serves environments and previews by Host header, before any other route: a request for
 * `<env>--<service>.<base>` or `<deploymentId>--<service>.<base>` never reaches the app.
 */
export function siteResponder(h: HttpDeps) {
  const { deps, baseDomain } = h;

  async function serve(target: SiteTarget, request: Request): Promise<Response> {
    const service = deps.repos.services.byName(target.service);
    if (!service) return notHere(NO_SITE);
    if (target.kind === "environment") {
      const env = deps.repos.environments.byName(service.id, target.environment);
      if (!env) return notHere(NO_SITE);
      const root = deps.layout.current(service.name, env.name);
      // `current` decides, not the live id: a first release under its health check is served
      if (!env.liveDeploymentId && !fs.existsSync(root))
        return (
          brandedNotFound(
            request,
            "Nothing deployed yet",
            `${target.service} has no release in ${target.environment} yet. Deploy one and it appears here.`,
            request.method === "HEAD",
          ) ?? notHere(`Nothing is deployed to ${target.environment} yet.`)
        );
      const res = await serveRelease(root, request, { spaFallback: env.spaFallback });
      // usage graphs: requests and bytes per environment per hour
      h.dashboard?.traffic.count(env.id, Number(res.headers.get("content-length")) || 0);
      return res;
    }
    const d = deps.repos.deployments.byId(target.deploymentId);
    const env = d && deps.repos.environments.byId(d.environmentId);
    if (!d || !env || env.serviceId !== service.id) {
      return notHere(NO_SITE);
    }
    if (d.pruned || (d.status !== "live" && d.status !== "superseded")) {
      return notHere(
        d.pruned
          ? `The release of ${d.id} was pruned; redeploy it to preview it again.`
          : `Deployment ${d.id} is ${d.status}: it has no release to preview.`,
      );
    }
    const root = deps.layout.release(service.name, env.name, d.id);
    return serveRelease(root, request, { spaFallback: env.spaFallback });
  }

  const ownHost = new URL(h.publicUrl).hostname;

  /** A custom domain of an environment (or its www name, which redirects to it). */
  function customDomain(host: string | undefined, request: Request): Promise<Response> | null {
    const hostname = host?.replace(/:\d+$/, "").replace(/\.$/, "").toLowerCase();
    // Berth's own address is never a site; a name without a dot is never a domain
    if (!hostname || hostname === ownHost || !hostname.includes(".")) return null;
    const domain = deps.repos.domains.byHostname(hostname);
    if (domain) {
      const env = deps.repos.environments.byId(domain.environmentId);
      const service = env && deps.repos.services.byId(env.serviceId);
      if (!env || !service) return null;
      return serve({ kind: "environment", service: service.name, environment: env.name }, request);
    }
    if (!hostname.startsWith("www.")) return null;
    const bare = deps.repos.domains.byHostname(hostname.slice(4));
    if (!bare?.wwwRedirect) return null;
    const url = new URL(request.url);
    const port = host?.match(/:\d+$/)?.[0] ?? "";
    return Promise.resolve(
      new Response(null, {
        status: 301,
        headers: {
          location: `${url.protocol}//${bare.hostname}${port}${url.pathname}${url.search}`,
        },
      }),
    );
  }

  return (c: Context): Promise<Response> | null => {
    const host = c.req.header("host");
    const target = parseSiteHost(host, baseDomain);
    return target ? serve(target, c.req.raw) : customDomain(host, c.req.raw);
  };
}
