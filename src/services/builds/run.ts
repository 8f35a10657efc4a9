import fs from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { packDirectory } from "../../adapters/archive/zip-writer.ts";
import { checkout, type GitCredentials } from "../../adapters/git/index.ts";
import { cleanEnv, commandArgv } from "../../adapters/process/index.ts";
import type { Build, GitSourceRow } from "../../db/builds/builds-repo.ts";
import { writeTx } from "../../db/client.ts";
import type { TaskEnd } from "../../db/core/tasks-repo.ts";
import { DomainError } from "../../domain/errors.ts";
import { berthRelease } from "../../domain/reports/reports.ts";
import { Secret } from "../../domain/secret.ts";
import { discardUpload, fileBundle, storeBundle } from "../releases/bundle-store.ts";
import { getEnvironment } from "../releases/catalog.ts";
import { acceptBundle } from "../releases/deploy.ts";
import type { BuildsDeps } from "./deps.ts";
import { buildLog } from "./log.ts";

export type BuildRunnerOptions = {
  /** The environment build commands start from (Berth's own, cleaned of its secrets). */
  baseEnv: Readonly<Record<string, string | undefined>>;
  /** Output kept in the log per command. */
  maxOutputBytes?: number;
  /** Between SIGTERM and SIGKILL on cancel. */
  graceMs?: number;
};

class BuildStop extends Error {
  readonly end: TaskEnd;
  readonly fields: Partial<Build>;
  constructor(message: string, end: TaskEnd, fields: Partial<Build> = {}) {
    super(message);
    this.end = end;
    this.fields = fields;
  }
}

/** `<service>-<UTC timestamp>`, e.g. site-20261122T114502Z. */
export function artifactName(service: string, at: number): string {
  return `${service}-${new Date(at)
    .toISOString()
    .replace(/[-:]/g, "")
    .replace(/\.\d+Z$/, "Z")}`;
}

const stamp = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/**
 * Runs one build: shallow checkout of the ref, the commands in order (each its own
 * process group, with a timeout, an output cap and secrets masked), then the output
 * directory zipped into a content-addressed artifact and deployed through the release
 * pipeline to the environment mapped to the branch. Answers how the task ended.
 */
export async function runBuild(
  deps: BuildsDeps,
  buildId: string,
  signal: AbortSignal,
  opts: BuildRunnerOptions,
): Promise<TaskEnd> {
  const { builds } = deps.repos;
  const build = builds.byId(buildId);
  if (build?.status !== "queued") return "done";
  const service = deps.repos.services.byId(build.serviceId);
  const source = service && builds.source(service.id);
  const log = (message: string, level: "info" | "warn" | "error" = "info") =>
    buildLog(deps, buildId, message, level);
  const finish = (status: Build["status"], fields: Partial<Build> = {}) => {
    builds.update(buildId, { status, finishedAt: Date.now(), ...fields });
    deps.buildBus.publish(buildId, { type: "end", status });
    // for notifications, metrics and monitors (services/core/events.ts)
    const at = builds.byId(buildId);
    deps.events.emit("build.finished", {
      service: service?.name ?? "",
      buildId,
      status,
      message: at?.errorMessage ?? null,
      durationMs: at?.startedAt && at.finishedAt ? at.finishedAt - at.startedAt : null,
    });
  };
  if (!service || !source) {
    log("The service or its git source is gone.", "error");
    finish("failed", { errorMessage: "The service or its git source is gone." });
    return "failed";
  }
  const started = Date.now();
  builds.update(buildId, { status: "running", startedAt: started });
  deps.events.emit("build.started", { service: service.name, buildId });
  const work = deps.layout.build(buildId);
  const dir = path.join(work, "src");
  try {
    const secrets = secretValues(deps, source);
    // BERTH_BUILD_ID marks the build's processes, so a restart can tell them from others
    const env: Record<string, string> = {
      ...cleanEnv(opts.baseEnv, buildVariables(deps, source)),
      BERTH_BUILD_ID: buildId,
    };
    const stopIfCancelled = () => {
      if (signal.aborted) throw new BuildStop("Cancelled.", "cancelled");
    };
    // no sandbox, no build (unless BERTH_SANDBOX=off, which says so on every run)
    const sandbox = await deps.sandbox.check();
    if (!sandbox.ok) throw new BuildStop(sandbox.message, "failed");
    if (!sandbox.sandboxed) {
      log(sandbox.warning, "warn");
      deps.logger.warn({ buildId }, sandbox.warning);
    }
    await deps.sandbox.makeWorkDir(work);

    // a push names its commit: build exactly that, even if the branch has moved on since
    const wanted = build.commitSha ?? build.ref;
    log(
      `Checking out ${build.commitSha ? `${build.ref} at ${build.commitSha.slice(0, 12)}` : build.ref} of ${source.repoUrl}.`,
    );
    const t0 = Date.now();
    const head = await checkout({
      url: source.repoUrl,
      ref: wanted,
      dir,
      credentials: credentialsOf(deps, source),
      env: cleanEnv(opts.baseEnv, {}),
      onOutput: (c) => buildLog(deps, buildId, c.text, "info", c.stream),
      signal,
      timeoutMs: source.timeoutSeconds * 1000,
    }).catch((err: unknown) => {
      stopIfCancelled();
      throw err;
    });
    // error reports name the commit they came from (docs/ERRORS.md: releases)
    env.BERTH_RELEASE = berthRelease(null, head.commit);
    builds.update(buildId, {
      commitSha: head.commit,
      commitMessage: head.message.split("\n")[0] ?? null,
    });
    log(
      `Checked out ${head.commit.slice(0, 12)} "${head.message.split("\n")[0]}" in ${stamp(Date.now() - t0)}.`,
    );
    await deps.sandbox.handOver(work);

    const deadline = started + source.timeoutSeconds * 1000;
    for (const [i, command] of source.commands.entries()) {
      stopIfCancelled();
      const step = `[${i + 1}/${source.commands.length}] ${command}`;
      log(`$ ${step}`);
      const res = await deps.sandbox.run({
        workDir: work,
        cwd: "src",
        argv: commandArgv(command),
        env,
        timeoutMs: Math.max(1000, deadline - Date.now()),
        maxOutputBytes: opts.maxOutputBytes ?? 4 * 1024 * 1024,
        secrets,
        onOutput: (c) => buildLog(deps, buildId, c.text, "info", c.stream),
        signal,
        graceMs: opts.graceMs,
        onStart: (pgid) => builds.update(buildId, { pgid }),
      }).result;
      if (res.limit) log(res.limit.message, res.exitCode === 0 ? "warn" : "error");
      if (res.cancelled) throw new BuildStop("Cancelled: the command was stopped.", "cancelled");
      if (res.timedOut) {
        throw new BuildStop(
          `Timed out after ${source.timeoutSeconds} s in "${command}".`,
          "failed",
          {
            failedCommand: command,
          },
        );
      }
      if (res.exitCode !== 0) {
        const how =
          res.exitCode === null ? `was killed by ${res.signal}` : `exited with ${res.exitCode}`;
        const why = res.limit ? ` ${res.limit.message}` : "";
        throw new BuildStop(`"${command}" ${how}.${why}`, "failed", {
          failedCommand: command,
          exitCode: res.exitCode,
        });
      }
      log(`"${command}" finished in ${stamp(res.durationMs)}.`);
    }
    stopIfCancelled();
    const artifact = await packArtifact(deps, build, service.name, source, dir, head.commit);
    log(`Artifact ${artifact.id}: ${artifact.fileCount} files, sha256 ${artifact.bundleSha256}.`);
    builds.update(buildId, { artifactId: artifact.id });
    if (build.environment) {
      const target = getEnvironment(deps, service.name, build.environment);
      const deployment = await acceptBundle(
        deps,
        target,
        {
          sha256: artifact.bundleSha256,
          format: "zip",
          bytes: artifact.bundleBytes,
          path: deps.layout.bundle(artifact.bundleSha256, "zip"),
        },
        {
          message: head.message.split("\n")[0] ?? null,
          commit: head.commit,
          artifactId: artifact.id,
        },
      );
      builds.update(buildId, { deploymentId: deployment.id });
      log(`Deploying to ${build.environment} as deployment ${deployment.id}.`);
    }
    log(`Build succeeded in ${stamp(Date.now() - started)}.`);
    finish("succeeded");
    return "done";
  } catch (err) {
    const stop =
      err instanceof BuildStop
        ? err
        : signal.aborted
          ? new BuildStop("Cancelled.", "cancelled")
          : new BuildStop(err instanceof Error ? err.message : String(err), "failed");
    if (!(err instanceof BuildStop) && !(err instanceof DomainError) && !signal.aborted) {
      deps.logger.error({ err, buildId }, "build crashed");
    }
    log(stop.end === "cancelled" ? stop.message : `Failed: ${stop.message}`, "error");
    finish(stop.end === "cancelled" ? "cancelled" : "failed", {
      errorMessage: stop.message,
      ...stop.fields,
    });
    return stop.end;
  } finally {
    await deps.sandbox.removeWorkDir(work);
  }
}

function credentialsOf(deps: BuildsDeps, source: GitSourceRow): GitCredentials | undefined {
  if (!source.credential || source.authKind === "none") return undefined;
  const value = new Secret(deps.secrets.decrypt(source.credential));
  return source.authKind === "ssh_key"
    ? { kind: "ssh_key", privateKey: value }
    : { kind: "token", token: value };
}

function buildVariables(deps: BuildsDeps, source: GitSourceRow): Record<string, string> {
  return Object.fromEntries(
    source.variables.map((v) => [v.name, v.secret ? deps.secrets.decrypt(v.value) : v.value]),
  );
}

/** Everything that must never show in a build log. */
function secretValues(deps: BuildsDeps, source: GitSourceRow): string[] {
  const out = source.variables
    .filter((v) => v.secret && v.value)
    .map((v) => deps.secrets.decrypt(v.value));
  if (source.credential) out.push(deps.secrets.decrypt(source.credential));
  return out;
}

/** Zips the output directory into the bundle store and records it as a good artifact. */
async function packArtifact(
  deps: BuildsDeps,
  build: Build,
  service: string,
  source: GitSourceRow,
  dir: string,
  commit: string,
) {
  const out = path.resolve(dir, source.outputDir);
  const real = await fs.realpath(out).catch(() => null);
  const stat = real ? await fs.stat(real) : null;
  if (
    !real ||
    !stat?.isDirectory() ||
    !(real === dir || real.startsWith(`${await fs.realpath(dir)}${path.sep}`))
  ) {
    throw new BuildStop(
      `The output directory "${source.outputDir}" does not exist after the build.`,
      "failed",
    );
  }
  // streamed and deflated off the event loop, one file at a time
  const zip = packDirectory(real);
  const stored = await storeBundle(deps.layout, Readable.from(zip.chunks), Number.MAX_SAFE_INTEGER);
  const fileCount = zip.fileCount();
  if (fileCount === 0) {
    await discardUpload(deps.layout, stored);
    throw new BuildStop(`The output directory "${source.outputDir}" is empty.`, "failed");
  }
  const filed = await fileBundle(deps.layout, stored);
  const at = Date.now();
  const base = artifactName(service, at);
  return writeTx(deps.db, (tx) => {
    // two builds of a service can end within one second
    let id = base;
    for (let n = 2; deps.repos.builds.artifact(id); n++) id = `${base}-${n}`;
    return deps.repos.builds.insertArtifact(tx, {
      id,
      serviceId: build.serviceId,
      buildId: build.id,
      commitSha: commit,
      bundleSha256: filed.sha256,
      bundleBytes: filed.bytes,
      fileCount,
      good: true,
      createdAt: at,
    });
  });
}
