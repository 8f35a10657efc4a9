import { createHash } from "node:crypto";
import type { ContainerSpec, ProbeSpec } from "../../domain/containers/containers.ts";

/**
 * The objects of one environment, as pure functions of its spec. Secret values go only
 * into the Secret; the Deployment names the Secret, whose name is a hash of its content,
 * so a changed secret rolls the pods and an old snapshot still finds its own.
 */
export type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace: string;
    labels: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [k: string]: unknown;
};

export type Target = {
  namespace: string;
  service: string;
  environment: string;
  deploymentId: string;
  hosts: string[];
  ingressClass: string | null;
};

export const objectName = (service: string, environment: string) => `${service}-${environment}`;

export function labels(service: string, environment: string): Record<string, string> {
  return {
    "app.kubernetes.io/managed-by": "berth",
    "berth.dev/service": service,
    "berth.dev/environment": environment,
  };
}

export const selectorOf = (service: string, environment: string) =>
  Object.entries(labels(service, environment))
    .map(([k, v]) => `${k}=${v}`)
    .join(",");

const hashOf = (value: unknown) =>
  createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 10);

function sorted(env: Record<string, string>): [string, string][] {
  return Object.entries(env).sort(([a], [b]) => a.localeCompare(b));
}

export const secretName = (t: Target, secretEnv: Record<string, string>) =>
  `${objectName(t.service, t.environment)}-env-${hashOf(sorted(secretEnv))}`;

export function secretManifest(t: Target, secretEnv: Record<string, string>): Manifest {
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: secretName(t, secretEnv),
      namespace: t.namespace,
      labels: labels(t.service, t.environment),
    },
    type: "Opaque",
    data: Object.fromEntries(
      sorted(secretEnv).map(([k, v]) => [k, Buffer.from(v).toString("base64")]),
    ),
  };
}

export type Registry = { server: string; username: string; password: string };

export function registryManifest(t: Target, r: Registry): Manifest {
  const auth = Buffer.from(`${r.username}:${r.password}`).toString("base64");
  const config = JSON.stringify({
    auths: { [r.server]: { username: r.username, password: r.password, auth } },
  });
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: {
      name: `${objectName(t.service, t.environment)}-registry-${hashOf(config)}`,
      namespace: t.namespace,
      labels: labels(t.service, t.environment),
    },
    type: "kubernetes.io/dockerconfigjson",
    data: { ".dockerconfigjson": Buffer.from(config).toString("base64") },
  };
}

function probe(p: ProbeSpec | null) {
  if (!p) return undefined;
  const { httpGet, tcpSocket, exec, ...timing } = p;
  return { ...timing, ...(httpGet ? { httpGet } : tcpSocket ? { tcpSocket } : { exec }) };
}

export function deploymentManifest(
  t: Target,
  spec: ContainerSpec,
  secret: string | null,
  pullSecret: string | null,
): Manifest {
  const name = objectName(t.service, t.environment);
  const base = labels(t.service, t.environment);
  const container = {
    name: "app",
    image: spec.image,
    ...(spec.command.length ? { command: spec.command } : {}),
    ...(spec.args.length ? { args: spec.args } : {}),
    ports: [{ name: "http", containerPort: spec.port }],
    env: sorted(spec.env).map(([n, value]) => ({ name: n, value })),
    ...(secret ? { envFrom: [{ secretRef: { name: secret } }] } : {}),
    resources: spec.resources,
    ...(spec.readinessProbe ? { readinessProbe: probe(spec.readinessProbe) } : {}),
    ...(spec.livenessProbe ? { livenessProbe: probe(spec.livenessProbe) } : {}),
  };
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name,
      namespace: t.namespace,
      labels: base,
      annotations: { "berth.dev/deployment": t.deploymentId },
    },
    spec: {
      replicas: spec.replicas,
      progressDeadlineSeconds: 600,
      revisionHistoryLimit: 10,
      selector: { matchLabels: base },
      template: {
        metadata: { labels: { ...base, "berth.dev/deployment": t.deploymentId } },
        spec: {
          containers: [container],
          ...(pullSecret ? { imagePullSecrets: [{ name: pullSecret }] } : {}),
        },
      },
    },
  };
}

export function serviceManifest(t: Target, port: number): Manifest {
  const base = labels(t.service, t.environment);
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: objectName(t.service, t.environment), namespace: t.namespace, labels: base },
    spec: {
      selector: base,
      ports: [{ name: "http", port: 80, targetPort: port, protocol: "TCP" }],
    },
  };
}

export function ingressManifest(t: Target): Manifest {
  const name = objectName(t.service, t.environment);
  return {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name, namespace: t.namespace, labels: labels(t.service, t.environment) },
    spec: {
      ...(t.ingressClass ? { ingressClassName: t.ingressClass } : {}),
      rules: t.hosts.map((host) => ({
        host,
        http: {
          paths: [
            { path: "/", pathType: "Prefix", backend: { service: { name, port: { number: 80 } } } },
          ],
        },
      })),
    },
  };
}
