import { unprocessable } from "../errors.ts";

/**
 * A container service's per-environment spec and its validation: pure functions whose
 * errors name the field (`env.1X`, `readinessProbe`), so a bad request is a 422 with
 * nothing applied.
 */
export type ProbeSpec = {
  httpGet?: { path: string; port: number };
  tcpSocket?: { port: number };
  exec?: { command: string[] };
  initialDelaySeconds: number;
  periodSeconds: number;
  timeoutSeconds: number;
  failureThreshold: number;
  successThreshold: number;
};

export type Resources = {
  requests: { cpu?: string; memory?: string };
  limits: { cpu?: string; memory?: string };
};

export type ContainerSpec = {
  image: string;
  port: number;
  command: string[];
  args: string[];
  env: Record<string, string>;
  replicas: number;
  resources: Resources;
  readinessProbe: ProbeSpec | null;
  livenessProbe: ProbeSpec | null;
};

/** What a PUT carries beside the spec: values that live only encrypted and in a Secret. */
export type ContainerSecrets = {
  secretEnv: Record<string, string>;
  registry: { server: string; username: string; password: string } | null;
};

// github.com/distribution/reference, regexp.go
const alnum = "[a-z0-9]+";
const separator = "(?:[._]|__|[-]+)";
const pathComponent = `${alnum}(?:${separator}${alnum})*`;
const domainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const domainName = `${domainComponent}(?:\\.${domainComponent})*`;
const domain = `(?:${domainName}|\\[[a-fA-F0-9:]+\\])(?::[0-9]+)?`;
const tag = "[\\w][\\w.-]{0,127}";
const digest = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
const reference = new RegExp(
  `^((?:${domain}/)?${pathComponent}(?:/${pathComponent})*)(?::(${tag}))?(?:@(${digest}))?$`,
);

export type ImageRef = { name: string; tag: string | null; digest: string | null };

export function parseImageRef(ref: string): ImageRef | null {
  const m = reference.exec(ref);
  if (!m || (m[1] ?? "").length > 255) return null;
  return { name: m[1] ?? "", tag: m[2] ?? null, digest: m[3] ?? null };
}

/** The image pinned to a digest (`name@sha256:...`), dropping any tag. */
export function pinImage(image: string, digestRef: string): string {
  const ref = parseImageRef(image);
  return ref ? `${ref.name}@${digestRef}` : image;
}

/** A Kubernetes resource quantity (apimachinery resource.Quantity): `500m`, `1.5Gi`, `2e3`. */
const quantity =
  /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[KMGTPE]i|[numkMGTPE]|[eE][+-]?[0-9]+)?$/;
export const isQuantity = (s: string) => quantity.test(s);

export const isEnvName = (s: string) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s);

const fail = (field: string, message: string) =>
  unprocessable("invalid_container_spec", `${field}: ${message}`, field);

type In = Record<string, unknown>;
const isObj = (v: unknown): v is In => v !== null && typeof v === "object" && !Array.isArray(v);

function int(v: unknown, field: string, min: number, max: number, fallback: number): number {
  if (v === undefined || v === null) return fallback;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
    throw fail(field, `must be a whole number from ${min} to ${max}`);
  }
  return v;
}

function strings(v: unknown, field: string): string[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || v.some((x) => typeof x !== "string")) {
    throw fail(field, "must be a list of strings");
  }
  return v as string[];
}

export function envMap(v: unknown, field: string): Record<string, string> {
  if (v === undefined || v === null) return {};
  if (!isObj(v)) throw fail(field, "must be an object of NAME: value");
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) {
    if (!isEnvName(k)) throw fail(`${field}.${k}`, "is not a valid name (a C identifier)");
    if (typeof val !== "string") throw fail(`${field}.${k}`, "must be a string");
    out[k] = val;
  }
  return out;
}

export function validateImage(v: unknown, field = "image"): string {
  if (typeof v !== "string" || !parseImageRef(v)) {
    throw fail(field, "is not a valid image reference (name[:tag][@digest])");
  }
  return v;
}

function probe(v: unknown, field: string, port: number): ProbeSpec | null {
  if (v === undefined || v === null) return null;
  if (!isObj(v)) throw fail(field, "must be an object");
  const p: ProbeSpec = {
    initialDelaySeconds: int(v.initialDelaySeconds, `${field}.initialDelaySeconds`, 0, 3600, 0),
    periodSeconds: int(v.periodSeconds, `${field}.periodSeconds`, 1, 3600, 10),
    timeoutSeconds: int(v.timeoutSeconds, `${field}.timeoutSeconds`, 1, 3600, 1),
    failureThreshold: int(v.failureThreshold, `${field}.failureThreshold`, 1, 100, 3),
    successThreshold: int(v.successThreshold, `${field}.successThreshold`, 1, 100, 1),
  };
  if (isObj(v.httpGet)) {
    const path = v.httpGet.path;
    if (typeof path !== "string" || !path.startsWith("/")) {
      throw fail(`${field}.httpGet.path`, "must be a path starting with /");
    }
    p.httpGet = { path, port: int(v.httpGet.port, `${field}.httpGet.port`, 1, 65535, port) };
  } else if (isObj(v.tcpSocket)) {
    p.tcpSocket = { port: int(v.tcpSocket.port, `${field}.tcpSocket.port`, 1, 65535, port) };
  } else if (isObj(v.exec)) {
    const command = strings(v.exec.command, `${field}.exec.command`);
    if (command.length === 0) throw fail(`${field}.exec.command`, "must not be empty");
    p.exec = { command };
  } else {
    throw fail(field, "needs a target: httpGet, tcpSocket or exec");
  }
  return p;
}

function resources(v: unknown): Resources {
  const out: Resources = { requests: {}, limits: {} };
  if (v === undefined || v === null) return out;
  if (!isObj(v)) throw fail("resources", "must be an object");
  for (const part of ["requests", "limits"] as const) {
    const r = v[part];
    if (r === undefined || r === null) continue;
    if (!isObj(r)) throw fail(`resources.${part}`, "must be an object");
    for (const [k, q] of Object.entries(r)) {
      if (k !== "cpu" && k !== "memory")
        throw fail(`resources.${part}.${k}`, "must be cpu or memory");
      if (typeof q !== "string" || !isQuantity(q)) {
        throw fail(`resources.${part}.${k}`, `"${String(q)}" is not a Kubernetes quantity`);
      }
      out[part][k] = q;
    }
  }
  return out;
}

/** Validates a PUT body into the spec and the secrets kept apart from it. */
export function validateContainerInput(v: unknown): {
  spec: ContainerSpec;
  secrets: ContainerSecrets;
} {
  if (!isObj(v)) throw fail("body", "must be a JSON object");
  const port = int(v.port, "port", 1, 65535, 8080);
  const env = envMap(v.env, "env");
  const secretEnv = envMap(v.secretEnv, "secretEnv");
  for (const k of Object.keys(secretEnv)) {
    if (k in env) throw fail(`secretEnv.${k}`, "is also a plain env name");
  }
  let registry: ContainerSecrets["registry"] = null;
  if (v.registry !== undefined && v.registry !== null) {
    const r = v.registry;
    if (!isObj(r)) throw fail("registry", "must be {server, username, password}");
    for (const k of ["server", "username", "password"] as const) {
      if (typeof r[k] !== "string" || r[k] === "") throw fail(`registry.${k}`, "is required");
    }
    registry = {
      server: r.server as string,
      username: r.username as string,
      password: r.password as string,
    };
  }
  return {
    spec: {
      image: validateImage(v.image),
      port,
      command: strings(v.command, "command"),
      args: strings(v.args, "args"),
      env,
      replicas: int(v.replicas, "replicas", 0, 100, 1),
      resources: resources(v.resources),
      readinessProbe: probe(v.readinessProbe, "readinessProbe", port),
      livenessProbe: probe(v.livenessProbe, "livenessProbe", port),
    },
    secrets: { secretEnv, registry },
  };
}
