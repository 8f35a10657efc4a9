import { environmentLabel, previewLabel, siteUrl } from "../domain/edge/hosts.ts";
import type { Deployment, Environment, LogLine, Service } from "../domain/releases/types.ts";

export type Urls = {
  environment(service: string, env: string): string;
  preview(service: string, deploymentId: string): string;
};

export function createUrls(publicUrl: string, baseDomain: string): Urls {
  return {
    environment: (service, env) => siteUrl(publicUrl, baseDomain, environmentLabel(service, env)),
    preview: (service, id) => siteUrl(publicUrl, baseDomain, previewLabel(service, id)),
  };
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function presentDeployment(urls: Urls, service: string, env: string, d: Deployment) {
  return {
    id: d.id,
    service,
    environment: env,
    status: d.status,
    source: d.source,
    artifactId: d.artifactId,
    redeployOf: d.redeployOf,
    message: d.message,
    commit: d.commit,
    stripFolder: d.stripFolder,
    bundle: { sha256: d.bundleSha256, format: d.bundleFormat, bytes: d.bundleBytes },
    fileCount: d.fileCount,
    totalBytes: d.totalBytes,
    failure: d.failedStage
      ? { stage: d.failedStage, code: d.errorCode, message: d.errorMessage }
      : null,
    onDisk: !d.pruned && (d.status === "live" || d.status === "superseded"),
    previewUrl: urls.preview(service, d.id),
    createdAt: iso(d.createdAt) as string,
    startedAt: iso(d.startedAt),
    finishedAt: iso(d.finishedAt),
    activatedAt: iso(d.activatedAt),
  };
}

export function presentEnvironment(
  urls: Urls,
  service: string,
  e: Environment,
  live: Deployment | undefined,
) {
  return {
    name: e.name,
    service,
    url: urls.environment(service, e.name),
    retention: e.retention,
    spaFallback: e.spaFallback,
    live: live ? presentDeployment(urls, service, e.name, live) : null,
    createdAt: iso(e.createdAt) as string,
  };
}

export function presentService<E>(s: Service, environments: E[]) {
  return { name: s.name, kind: s.kind, environments, createdAt: iso(s.createdAt) as string };
}

export function presentLogLine(l: LogLine) {
  return {
    id: l.id,
    at: new Date(l.at).toISOString(),
    step: l.step,
    level: l.level,
    message: l.message,
  };
}
