import type { DomainError } from "../../domain/errors.ts";

/** The container form's fields ↔ the API's spec input, and errors back onto the fields. */
export type SpecView = {
  image: string;
  port: number;
  replicas: number;
  env: Record<string, string>;
  secretEnv: string[];
  resources: {
    requests: { cpu?: string; memory?: string };
    limits: { cpu?: string; memory?: string };
  };
  readinessProbe: { httpGet?: { path: string } } | null;
  livenessProbe: { httpGet?: { path: string } } | null;
};

const num = (v: string | undefined) => (v && /^-?\d+$/.test(v) ? Number(v) : v || undefined);

function lines(text: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of (text ?? "").split(/\r?\n/)) {
    const line = raw.trim();
    if (!line) continue;
    const eq = line.indexOf("=");
    out[eq < 0 ? line : line.slice(0, eq).trim()] = eq < 0 ? "" : line.slice(eq + 1);
  }
  return out;
}

export function formToInput(f: Record<string, string>): Record<string, unknown> {
  const res = (part: "requests" | "limits", cpu?: string, memory?: string) => {
    const r: Record<string, string> = {};
    if (cpu) r.cpu = cpu;
    if (memory) r.memory = memory;
    return Object.keys(r).length ? { [part]: r } : {};
  };
  const probe = (p: string | undefined) => (p ? { httpGet: { path: p } } : undefined);
  const input: Record<string, unknown> = {
    image: f.image ?? "",
    port: num(f.port),
    replicas: num(f.replicas),
    env: lines(f.env),
    resources: {
      ...res("requests", f.cpuRequest, f.memoryRequest),
      ...res("limits", f.cpuLimit, f.memoryLimit),
    },
    readinessProbe: probe(f.readinessPath),
    livenessProbe: probe(f.livenessPath),
  };
  // blank keeps the saved secret values; "-" alone clears them
  if (f.secretEnv === "-") input.secretEnv = {};
  else if (f.secretEnv) input.secretEnv = lines(f.secretEnv);
  return input;
}

export function specToForm(s: SpecView | null): Record<string, string> {
  if (!s) return { port: "8080", replicas: "1" };
  return {
    image: s.image,
    port: String(s.port),
    replicas: String(s.replicas),
    env: Object.entries(s.env)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n"),
    secretEnv: "",
    cpuRequest: s.resources.requests.cpu ?? "",
    memoryRequest: s.resources.requests.memory ?? "",
    cpuLimit: s.resources.limits.cpu ?? "",
    memoryLimit: s.resources.limits.memory ?? "",
    readinessPath: s.readinessProbe?.httpGet?.path ?? "",
    livenessPath: s.livenessProbe?.httpGet?.path ?? "",
  };
}

const FIELDS: [RegExp, string][] = [
  [/^resources\.requests\.cpu/, "cpuRequest"],
  [/^resources\.requests\.memory/, "memoryRequest"],
  [/^resources\.limits\.cpu/, "cpuLimit"],
  [/^resources\.limits\.memory/, "memoryLimit"],
  [/^readinessProbe/, "readinessPath"],
  [/^livenessProbe/, "livenessPath"],
  [/^secretEnv/, "secretEnv"],
  [/^env/, "env"],
];

export function fieldOf(err: DomainError): string {
  const f = err.field ?? "form";
  return FIELDS.find(([re]) => re.test(f))?.[1] ?? f;
}
