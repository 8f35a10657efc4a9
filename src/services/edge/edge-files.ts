import { renderPreviews, renderVhost } from "../../adapters/nginx/render.ts";
import { wwwOf } from "../../domain/edge/hostnames.ts";
import { environmentLabel } from "../../domain/edge/hosts.ts";
import type { Environment, Service } from "../../domain/releases/types.ts";
import { usageLogFile } from "../usage/nginx-log.ts";
import { certificateFor } from "./certificates.ts";
import type { EdgeDeps } from "./deps.ts";

/** What Berth's nginx files say, from the database and the certificates on disk. */

export function siteHost(deps: EdgeDeps, service: string, env: string): string {
  return `${environmentLabel(service, env)}.${deps.baseDomain}`;
}

/** The vhost text of one environment at `generation`, from its row, domains and certificates. */
export function vhostText(
  deps: EdgeDeps,
  service: Service,
  env: Environment,
  generation: number,
): string {
  const domains = deps.repos.domains.listForEnvironment(env.id);
  const host = siteHost(deps, service.name, env.name);
  return renderVhost({
    service: service.name,
    environment: env.name,
    generation,
    root: deps.layout.current(service.name, env.name),
    acmeWebroot: deps.layout.acmeWebroot,
    spaFallback: env.spaFallback,
    listen: deps.edge.nginx.listenAll,
    listenTls: deps.edge.nginx.listenTlsAll,
    names: [
      { name: host, cert: certificateFor(deps, host) },
      ...domains.map((d) => ({ name: d.hostname, cert: certificateFor(deps, d.hostname) })),
    ],
    // one certificate covers <host> and www.<host> (see domain/certificates.ts)
    redirects: domains
      .filter((d) => d.wwwRedirect)
      .map((d) => ({
        from: wwwOf(d.hostname),
        to: d.hostname,
        cert: certificateFor(deps, d.hostname),
      })),
    usageLog: usageLogFile(deps.layout.dataDir, service.name, env.name),
  });
}

export function previewsText(deps: EdgeDeps, service: Service, envs: Environment[]): string | null {
  if (envs.length === 0) return null;
  return renderPreviews({
    service: service.name,
    baseDomain: deps.baseDomain,
    listen: deps.edge.nginx.listenAll,
    acmeWebroot: deps.layout.acmeWebroot,
    environments: envs.map((e) => ({
      name: e.name,
      releasesDir: deps.layout.releasesDir(service.name, e.name),
      spaFallback: e.spaFallback,
    })),
  });
}

export function serverNames(deps: EdgeDeps, service: Service, env: Environment): string[] {
  const domains = deps.repos.domains.listForEnvironment(env.id);
  return [
    siteHost(deps, service.name, env.name),
    ...domains.map((d) => d.hostname),
    ...domains.filter((d) => d.wwwRedirect).map((d) => wwwOf(d.hostname)),
  ];
}

/**
 * The next vhost generations. They are unique across Berth, not only per environment, so
 * no other vhost (one that claims the same name, or the default server) can answer a
 * verification with the number it waits for.
 */
export function nextGenerations(deps: EdgeDeps): () => number {
  let last = deps.repos.environments.maxVhostGeneration();
  return () => ++last;
}
