import fs from "node:fs/promises";
import path from "node:path";
import { writeTx } from "../../db/client.ts";
import { conflict, notFound, unprocessable } from "../../domain/errors.ts";
import { assertName } from "../../domain/names.ts";
import type { ServiceKind } from "../../domain/releases/deployment.ts";
import type { Environment, Service } from "../../domain/releases/types.ts";
import { removeContainerObjects } from "../containers/cleanup.ts";
import type { Needs } from "../core/deps.ts";
import {
  applyEnvironment,
  applyEnvironments,
  removeEnvironment,
  removeService,
} from "../edge/edge.ts";
import type { ReleasesDeps } from "./deps.ts";
import { removeTree } from "./release-files.ts";

export const MAX_RETENTION = 100;
const BUNDLE_GRACE_MS = 10 * 60 * 1000;

function assertRetention(retention: number): number {
  if (!Number.isInteger(retention) || retention < 1 || retention > MAX_RETENTION) {
    throw unprocessable(
      "invalid_retention",
      `Retention must be a whole number of releases from 1 to ${MAX_RETENTION}.`,
      "retention",
    );
  }
  return retention;
}

/** Finding a service or environment by name needs only the catalog's repos. */
type Lookup = Needs<never, "services" | "environments">;

export function getService(deps: Lookup, name: string): Service {
  const service = deps.repos.services.byName(name);
  if (!service) throw notFound("service_not_found", `There is no service named "${name}".`);
  return service;
}

export function getEnvironment(
  deps: Lookup,
  serviceName: string,
  envName: string,
): { service: Service; environment: Environment } {
  const service = getService(deps, serviceName);
  const environment = deps.repos.environments.byName(service.id, envName);
  if (!environment) {
    throw notFound(
      "environment_not_found",
      `Service "${serviceName}" has no environment named "${envName}".`,
    );
  }
  return { service, environment };
}

export async function createService(
  deps: ReleasesDeps,
  input: { name: string; kind?: ServiceKind; environments?: string[] },
): Promise<{ service: Service; environments: Environment[] }> {
  assertName("service", input.name);
  const envNames = input.environments ?? ["production"];
  if (envNames.length === 0) {
    throw unprocessable(
      "no_environments",
      "A service needs at least one environment.",
      "environments",
    );
  }
  for (const env of envNames) assertName("environment", env);
  if (new Set(envNames).size !== envNames.length) {
    throw unprocessable(
      "duplicate_environment",
      "Environment names must be unique.",
      "environments",
    );
  }
  const created = writeTx(deps.db, (tx) => {
    if (deps.repos.services.byName(input.name)) {
      throw conflict("service_exists", `A service named "${input.name}" already exists.`);
    }
    return deps.repos.services.insert(tx, {
      name: input.name,
      kind: input.kind ?? "static",
      environments: envNames,
      retention: deps.defaultRetention,
    });
  });
  await undoUnlessServed(
    () =>
      applyEnvironments(
        deps,
        created.environments.map((e) => e.id),
      ),
    () => writeTx(deps.db, (tx) => deps.repos.services.delete(tx, created.service.id)),
  );
  return created;
}

/** Runs an edge change; when nginx refuses it, undoes the row change before rethrowing. */
async function undoUnlessServed(edge: () => Promise<void>, undo: () => void): Promise<void> {
  try {
    await edge();
  } catch (err) {
    undo();
    throw err;
  }
}

function refuseWhileRunning(deps: ReleasesDeps, environmentIds: number[], what: string): void {
  if (deps.repos.deployments.inFlightForEnvironments(environmentIds) > 0) {
    throw conflict(
      "deployment_running",
      `${what} has a deployment in progress; try again when it has finished.`,
    );
  }
}

/** Deletes a service, its environments, history and files; unreferenced bundles go too. */
export async function deleteService(deps: ReleasesDeps, name: string): Promise<void> {
  const service = getService(deps, name);
  const envIds = deps.repos.environments.listForService(service.id).map((e) => e.id);
  refuseWhileRunning(deps, envIds, `Service "${name}"`);
  if (service.kind === "container") await removeContainerObjects(deps, name);
  await removeService(deps, name);
  writeTx(deps.db, (tx) => {
    refuseWhileRunning(deps, envIds, `Service "${name}"`);
    deps.repos.services.delete(tx, service.id);
  });
  await removeTree(deps.layout.serviceDir(name));
  await collectBundles(deps);
}

export async function createEnvironment(
  deps: ReleasesDeps,
  serviceName: string,
  input: { name: string; retention?: number; spaFallback?: boolean },
): Promise<Environment> {
  const service = getService(deps, serviceName);
  assertName("environment", input.name);
  const retention = assertRetention(input.retention ?? deps.defaultRetention);
  const env = writeTx(deps.db, (tx) => {
    if (deps.repos.environments.byName(service.id, input.name)) {
      throw conflict(
        "environment_exists",
        `Service "${serviceName}" already has an environment named "${input.name}".`,
      );
    }
    const env = deps.repos.environments.insert(tx, {
      serviceId: service.id,
      name: input.name,
      retention,
      spaFallback: input.spaFallback ?? false,
    });
    deps.repos.environments.addEvent(tx, {
      environmentId: env.id,
      action: "environment.created",
      message: `Environment created with retention ${retention}.`,
    });
    return env;
  });
  await undoUnlessServed(
    () => applyEnvironment(deps, env.id),
    () => writeTx(deps.db, (tx) => deps.repos.environments.delete(tx, env.id)),
  );
  return env;
}

export async function updateEnvironment(
  deps: ReleasesDeps,
  serviceName: string,
  envName: string,
  patch: { retention?: number; spaFallback?: boolean },
): Promise<Environment> {
  const { environment } = getEnvironment(deps, serviceName, envName);
  if (patch.retention !== undefined) assertRetention(patch.retention);
  const updated = writeTx(deps.db, (tx) => {
    const updated = deps.repos.environments.update(tx, environment.id, patch);
    const changes = [
      patch.retention !== undefined ? `retention ${patch.retention}` : null,
      patch.spaFallback !== undefined ? `SPA fallback ${patch.spaFallback ? "on" : "off"}` : null,
    ].filter(Boolean);
    if (changes.length > 0) {
      deps.repos.environments.addEvent(tx, {
        environmentId: environment.id,
        action: "environment.updated",
        message: `Settings changed: ${changes.join(", ")}.`,
      });
    }
    return updated;
  });
  // the SPA fallback is part of the vhost
  if (patch.spaFallback !== undefined && patch.spaFallback !== environment.spaFallback) {
    await undoUnlessServed(
      () => applyEnvironment(deps, environment.id),
      () =>
        writeTx(deps.db, (tx) =>
          deps.repos.environments.update(tx, environment.id, {
            spaFallback: environment.spaFallback,
          }),
        ),
    );
  }
  return updated;
}

export async function deleteEnvironment(deps: ReleasesDeps, serviceName: string, envName: string) {
  const { service, environment } = getEnvironment(deps, serviceName, envName);
  refuseWhileRunning(deps, [environment.id], `Environment "${envName}"`);
  if (service.kind === "container") await removeContainerObjects(deps, serviceName, envName);
  await removeEnvironment(deps, serviceName, envName);
  writeTx(deps.db, (tx) => {
    refuseWhileRunning(deps, [environment.id], `Environment "${envName}"`);
    deps.repos.environments.delete(tx, environment.id);
  });
  await removeTree(deps.layout.environmentDir(serviceName, envName));
  await collectBundles(deps);
}

/** Removes stored bundles that no deployment and no build artifact refers to any more. */
async function collectBundles(deps: ReleasesDeps): Promise<void> {
  const referenced = new Set([
    ...deps.repos.deployments.referencedBundles(),
    ...deps.repos.builds.referencedBundles(),
  ]);
  const dir = deps.layout.bundlesDir;
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  // a bundle stored moments ago may belong to an upload whose deployment row is not written yet
  const settled = Date.now() - BUNDLE_GRACE_MS;
  for (const name of names) {
    if (referenced.has(name.split(".")[0] ?? "")) continue;
    const file = path.join(dir, name);
    const stat = await fs.stat(file).catch(() => null);
    if (stat && stat.mtimeMs < settled) await fs.rm(file, { force: true });
  }
}
