import type { Build } from "../../db/builds/builds-repo.ts";
import { writeTx } from "../../db/client.ts";
import { conflict, notFound, unprocessable } from "../../domain/errors.ts";
import { newId } from "../../domain/ids.ts";
import type { Service } from "../../domain/releases/types.ts";
import type { BuildsDeps } from "./deps.ts";
import { buildLog } from "./log.ts";
import { getSource } from "./source.ts";

export type BuildRequest = {
  ref?: string;
  trigger: Build["trigger"];
  triggeredBy: string;
  commitSha?: string | null;
  commitMessage?: string | null;
};

const branchOf = (ref: string) => ref.replace(/^refs\/heads\//, "");

/**
 * Commits a build and its task in one transaction, so nothing queued is ever lost, then
 * wakes the builders. A ref mapped to an environment deploys there once built.
 */
export function queueBuild(deps: BuildsDeps, service: Service, req: BuildRequest): Build {
  const source = getSource(deps, service);
  const ref = req.ref?.trim() || Object.keys(source.branches)[0] || "main";
  if (ref.startsWith("-") || !/^[\w./-]{1,200}$/.test(ref) || ref.includes("..")) {
    throw unprocessable("invalid_ref", `"${ref}" is not a branch, tag or commit.`, "ref");
  }
  const environment = source.branches[branchOf(ref)] ?? null;
  const id = newId();
  const build = writeTx(deps.db, (tx) => {
    const row = deps.repos.builds.insert(tx, {
      id,
      serviceId: service.id,
      status: "queued",
      trigger: req.trigger,
      triggeredBy: req.triggeredBy,
      ref,
      environment,
      commitSha: req.commitSha ?? null,
      commitMessage: req.commitMessage ?? null,
      createdAt: Date.now(),
    });
    deps.repos.tasks.enqueue(tx, "build", id);
    return row;
  });
  buildLog(
    deps,
    id,
    `Queued by ${req.triggeredBy} for ${ref}${environment ? `, to deploy to ${environment}` : " (no environment is mapped to it: the artifact is kept, not deployed)"}.`,
  );
  deps.workers.poke();
  return build;
}

export function getBuild(deps: BuildsDeps, id: string): Build {
  const build = deps.repos.builds.byId(id);
  if (!build) throw notFound("build_not_found", `There is no build ${id}.`);
  return build;
}

/** Cancels a queued build at once, or asks a running one to stop (SIGTERM, then SIGKILL). */
export function cancelBuild(deps: BuildsDeps, id: string, by: string): Build {
  const build = getBuild(deps, id);
  if (build.status === "queued" && deps.repos.tasks.cancelQueued("build", id)) {
    buildLog(deps, id, `Cancelled by ${by} before it started.`, "warn");
    const done = deps.repos.builds.update(id, {
      status: "cancelled",
      finishedAt: Date.now(),
    }) as Build;
    deps.buildBus.publish(id, { type: "end", status: "cancelled" });
    return done;
  }
  if (build.status === "running") {
    buildLog(deps, id, `Cancel requested by ${by}.`, "warn");
    deps.repos.builds.update(id, { cancelRequested: true });
    deps.workers.abort("build", id);
    return getBuild(deps, id);
  }
  throw conflict("build_finished", `Build ${id} is ${build.status}; there is nothing to cancel.`);
}

/** 1 for the next build to start, ...; null when the build is not waiting. */
export function queuePosition(deps: BuildsDeps, buildId: string): number | null {
  const task = deps.repos.tasks.bySubject("build", buildId);
  return task ? deps.repos.tasks.position(task.id) : null;
}
