import { writeTx } from "../../db/client.ts";
import type { PushEvent } from "../../domain/builds/webhooks.ts";
import type { Service } from "../../domain/releases/types.ts";
import type { BuildsDeps } from "./deps.ts";
import { queueBuild } from "./queue.ts";
import { getSource } from "./source.ts";

export type PushOutcome =
  | { status: "queued"; buildId: string }
  | { status: "ignored"; reason: string }
  | { status: "duplicate" };

const MESSAGE_MAX = 2000;

/** Why a push builds nothing, or null when it builds its branch. */
function ignoredBecause(branches: Record<string, string>, push: PushEvent): string | null {
  if (push.deleted) return `${push.ref} was deleted`;
  if (push.branch === null) return `${push.ref} is not a branch`;
  if (!Object.hasOwn(branches, push.branch)) {
    return `branch ${push.branch} is not mapped to an environment`;
  }
  return null;
}

/**
 * Takes a verified push delivery: a push to a mapped branch queues a build of its
 * commit, anything else is ignored, and a delivery seen before does nothing.
 *
 * The delivery is recorded in the same transaction that commits the build. The unique
 * index answers "seen before?" atomically, even for two copies arriving together, and if
 * queueing throws, the record is rolled back with it, so the host's retry is taken as
 * new rather than answered "duplicate" with nothing built.
 */
export function takePush(
  deps: BuildsDeps,
  service: Service,
  delivery: { provider: "github" | "gitlab"; id: string },
  push: PushEvent,
): PushOutcome {
  const source = getSource(deps, service);
  const reason = ignoredBecause(source.branches, push);
  return writeTx(deps.db, (tx): PushOutcome => {
    const fresh = deps.repos.builds.recordDelivery(tx, {
      provider: delivery.provider,
      // keyed per service: one push to a repository hooked to two services builds both
      deliveryId: `${service.id}:${delivery.id}`,
      serviceId: service.id,
      outcome: reason ? `ignored: ${reason}` : "queued",
    });
    if (!fresh) return { status: "duplicate" };
    if (reason) return { status: "ignored", reason };
    const build = queueBuild(deps, service, {
      ref: push.branch as string,
      trigger: delivery.provider,
      triggeredBy: `push by ${push.pusher ?? "unknown"}`,
      commitSha: push.commit,
      commitMessage: push.message?.slice(0, MESSAGE_MAX) ?? null,
    });
    return { status: "queued", buildId: build.id };
  });
}
