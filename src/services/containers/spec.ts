import { writeTx } from "../../db/client.ts";
import type { SpecRow } from "../../db/containers/containers-repo.ts";
import {
  type ContainerSecrets,
  validateContainerInput,
} from "../../domain/containers/containers.ts";
import { unprocessable } from "../../domain/errors.ts";
import type { Environment, Service } from "../../domain/releases/types.ts";
import { getEnvironment } from "../releases/catalog.ts";
import type { ContainersDeps } from "./deps.ts";

export function containerEnvironment(
  deps: ContainersDeps,
  serviceName: string,
  envName: string,
): { service: Service; environment: Environment } {
  const found = getEnvironment(deps, serviceName, envName);
  if (found.service.kind !== "container") {
    throw unprocessable(
      "not_a_container_service",
      `Service "${serviceName}" is not a container service.`,
      "service",
    );
  }
  return found;
}

/**
 * Saves an environment's container spec. Secret env values and registry credentials are
 * encrypted; leaving `secretEnv` or `registry` out keeps what was saved.
 */
export function putContainerSpec(
  deps: ContainersDeps,
  serviceName: string,
  envName: string,
  body: unknown,
) {
  const { environment } = containerEnvironment(deps, serviceName, envName);
  const { spec, secrets } = validateContainerInput(body);
  const has = (k: string) => body !== null && typeof body === "object" && k in body;
  const before = deps.repos.containers.spec(environment.id);
  const secretEnv = has("secretEnv")
    ? Object.keys(secrets.secretEnv).length
      ? deps.secrets.encrypt(JSON.stringify(secrets.secretEnv))
      : null
    : (before?.secretEnv ?? null);
  const secretNames = has("secretEnv")
    ? Object.keys(secrets.secretEnv).sort()
    : (before?.secretNames ?? []);
  const changed = has("secretEnv") && secretEnv !== before?.secretEnv;
  const registry = has("registry")
    ? secrets.registry
      ? deps.secrets.encrypt(JSON.stringify(secrets.registry))
      : null
    : (before?.registry ?? null);
  writeTx(deps.db, (tx) => {
    deps.repos.containers.putSpec(tx, {
      environmentId: environment.id,
      spec,
      secretEnv,
      secretNames,
      secretVersion: (before?.secretVersion ?? 0) + (changed ? 1 : 0),
      registry,
      stoppedReplicas: before?.stoppedReplicas ?? null,
    });
    deps.repos.environments.addEvent(tx, {
      environmentId: environment.id,
      action: "container.spec",
      message: `Container spec saved: ${spec.image}, ${spec.replicas} replica(s).`,
    });
  });
  return presentSpec(deps, deps.repos.containers.spec(environment.id) as SpecRow);
}

/** The spec as the API shows it: secret names and the registry server, never values. */
export function presentSpec(deps: ContainersDeps, row: SpecRow) {
  const registry = row.registry ? decryptRegistry(deps, row.registry) : null;
  return {
    ...row.spec,
    secretEnv: row.secretNames,
    secretVersion: row.secretVersion,
    registry: registry ? { server: registry.server, username: registry.username } : null,
    stopped: row.stoppedReplicas !== null,
  };
}

export function getContainerSpec(deps: ContainersDeps, serviceName: string, envName: string) {
  const { environment } = containerEnvironment(deps, serviceName, envName);
  const row = deps.repos.containers.spec(environment.id);
  return row ? presentSpec(deps, row) : null;
}

export function decryptSecretEnv(
  deps: ContainersDeps,
  blob: string | null,
): Record<string, string> {
  return blob ? (JSON.parse(deps.secrets.decrypt(blob)) as Record<string, string>) : {};
}

export function decryptRegistry(
  deps: ContainersDeps,
  blob: string | null,
): ContainerSecrets["registry"] {
  return blob ? (JSON.parse(deps.secrets.decrypt(blob)) as ContainerSecrets["registry"]) : null;
}
