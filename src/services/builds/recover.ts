import fs from "node:fs";
import { removeTree } from "../releases/release-files.ts";
import type { BuildsDeps } from "./deps.ts";
import { buildLog } from "./log.ts";

/**
 * At start-up, before any builder runs: a build whose process died with Berth is marked
 * interrupted (never left "running"); queued builds stay queued and run as usual.
 */
export async function recoverBuilds(deps: BuildsDeps): Promise<number> {
  const { tasks, builds } = deps.repos;
  let count = 0;
  for (const task of tasks.running()) {
    tasks.finish(task.id, "interrupted");
    const build = builds.byId(task.subjectId);
    if (build?.status === "running" || build?.status === "queued") {
      if (build.pgid !== null && stopLeftovers(build.id, build.pgid)) {
        buildLog(
          deps,
          build.id,
          `Stopped the processes the interrupted command left (group ${build.pgid}).`,
          "warn",
        );
      }
      buildLog(deps, build.id, "Interrupted: Berth stopped while this build was running.", "error");
      builds.update(build.id, {
        status: "interrupted",
        errorMessage: "Berth stopped while this build was running.",
        finishedAt: Date.now(),
      });
      count++;
    }
  }
  // a build row can be "running" with its task already ended only if Berth died in between
  for (const build of builds.inState("running")) {
    builds.update(build.id, { status: "interrupted", finishedAt: Date.now() });
    count++;
  }
  await removeTree(deps.layout.buildsDir);
  return count;
}

/**
 * Kills the process group a crashed Berth's build left running, but only when the group
 * leader still carries that build's BERTH_BUILD_ID: after a reboot the id may be anyone's.
 */
export function stopLeftovers(buildId: string, pgid: number): boolean {
  let environ: string;
  try {
    environ = fs.readFileSync(`/proc/${pgid}/environ`, "utf8");
  } catch {
    return false;
  }
  if (!environ.split("\0").includes(`BERTH_BUILD_ID=${buildId}`)) return false;
  try {
    process.kill(-pgid, "SIGKILL");
    return true;
  } catch {
    return false;
  }
}
