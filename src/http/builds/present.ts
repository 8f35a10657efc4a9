import type { Artifact } from "../../services/builds/artifacts.ts";
import { type getBuild, queuePosition } from "../../services/builds/queue.ts";
import type { SourceView } from "../../services/builds/source.ts";
import type { Deps } from "../../services/core/deps.ts";

export type Build = ReturnType<typeof getBuild>;
export type BuildLogLine = ReturnType<Deps["repos"]["builds"]["logs"]>[number];

/** A build in one of these states is over: its log is complete. */
export const BUILD_TERMINAL: ReadonlySet<Build["status"]> = new Set<Build["status"]>([
  "succeeded",
  "failed",
  "cancelled",
  "interrupted",
]);

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** Where a service's deploy hooks are reached from the outside. */
export function hookUrls(publicUrl: string, service: string) {
  const base = publicUrl.replace(/\/+$/, "");
  return {
    github: { url: `${base}/hooks/github/${service}` },
    gitlab: { url: `${base}/hooks/gitlab/${service}` },
  };
}

/** Milliseconds from start to end, or so far while it runs; null before it starts. */
export function buildDuration(b: Build, now = Date.now()): number | null {
  return b.startedAt === null ? null : (b.finishedAt ?? now) - b.startedAt;
}

export function presentSource(publicUrl: string, service: string, s: SourceView) {
  return {
    service,
    repoUrl: s.repoUrl,
    authKind: s.authKind,
    credentialSet: s.credentialSet,
    commands: s.commands,
    outputDir: s.outputDir,
    branches: s.branches,
    variables: s.variables,
    timeoutSeconds: s.timeoutSeconds,
    hooks: hookUrls(publicUrl, service),
    updatedAt: iso(s.updatedAt) as string,
  };
}

export function presentArtifact(service: string, a: Artifact) {
  return {
    id: a.id,
    service,
    buildId: a.buildId,
    commitSha: a.commitSha,
    bundle: { sha256: a.bundleSha256, format: "zip" as const, bytes: a.bundleBytes },
    fileCount: a.fileCount,
    good: a.good,
    createdAt: iso(a.createdAt) as string,
  };
}

/** A build with what a client wants beside it: queue place, duration, artifact, deployment. */
export function presentBuild(deps: Deps, service: string, b: Build) {
  const artifact = b.artifactId ? deps.repos.builds.artifact(b.artifactId) : undefined;
  const deployment = b.deploymentId ? deps.repos.deployments.byId(b.deploymentId) : undefined;
  return {
    id: b.id,
    service,
    status: b.status,
    trigger: b.trigger,
    triggeredBy: b.triggeredBy,
    ref: b.ref,
    environment: b.environment,
    commitSha: b.commitSha,
    commitMessage: b.commitMessage,
    failure:
      b.status === "failed"
        ? { command: b.failedCommand, exitCode: b.exitCode, message: b.errorMessage }
        : null,
    cancelRequested: b.cancelRequested,
    queuePosition: b.status === "queued" ? queuePosition(deps, b.id) : null,
    durationMs: buildDuration(b),
    artifact: artifact ? presentArtifact(service, artifact) : null,
    deployment: deployment
      ? { id: deployment.id, status: deployment.status, environment: b.environment }
      : null,
    createdAt: iso(b.createdAt) as string,
    startedAt: iso(b.startedAt),
    finishedAt: iso(b.finishedAt),
  };
}

export function presentBuildLine(l: BuildLogLine) {
  return {
    id: l.id,
    at: new Date(l.at).toISOString(),
    stream: l.stream,
    level: l.level,
    message: l.message,
  };
}
