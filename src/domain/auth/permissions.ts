/**
 * The one table of who may do what. The API and the UI both ask `can()`; nothing else
 * decides access.
 */
export const ROLES = ["owner", "admin", "deployer", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export const SCOPES = ["read", "deploy", "write", "admin", "report", "metrics"] as const;
export type Scope = (typeof SCOPES)[number];

export const PERMISSIONS = [
  "services.read", // see services, environments, deployments, logs
  "services.write", // create, change and delete services and environments
  "deployments.create", // upload bundles, redeploy
  "rollbacks.create",
  "users.manage",
  "keys.manage", // everyone's API keys (a user always manages their own)
  "settings.manage",
  "audit.read",
  "reports.create", // send error reports (the plain JSON intake)
  "errors.triage", // resolve, ignore or reopen error groups
  "jobs.read", // see templates, jobs, runs and their output
  "jobs.run", // start, cancel, pause, resume and rerun runs
  "jobs.write", // create, change and delete jobs; pause schedules
  "templates.write", // script templates: code that runs on the server
  "monitors.read", // monitors, checks, incidents, badges
  "monitors.write", // create, change, pause and delete monitors and maintenance windows
  "notifications.manage", // channels, rules and their deliveries
  "metrics.read", // /metrics
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const byRole: Record<Role, readonly Permission[]> = {
  owner: PERMISSIONS,
  admin: PERMISSIONS,
  deployer: [
    "services.read",
    "deployments.create",
    "rollbacks.create",
    "reports.create",
    "errors.triage",
    "jobs.read",
    "jobs.run",
    "monitors.read",
  ],
  viewer: ["services.read", "jobs.read", "monitors.read"],
};

const byScope: Record<Scope, readonly Permission[]> = {
  read: ["services.read", "jobs.read", "monitors.read"],
  deploy: [
    "services.read",
    "deployments.create",
    "rollbacks.create",
    "errors.triage",
    "jobs.read",
    "jobs.run",
    "monitors.read",
  ],
  write: [
    "services.read",
    "services.write",
    "deployments.create",
    "rollbacks.create",
    "errors.triage",
    "jobs.read",
    "jobs.run",
    "jobs.write",
    "monitors.read",
    "monitors.write",
  ],
  admin: PERMISSIONS,
  // an app's key: it may post error reports and nothing else
  report: ["reports.create"],
  // Prometheus: it may read /metrics and nothing else
  metrics: ["metrics.read"],
};

/** Permissions that concern one service, and so obey a service limit. */
const serviceBound: ReadonlySet<Permission> = new Set([
  "services.read",
  "services.write",
  "deployments.create",
  "rollbacks.create",
  "reports.create",
  "errors.triage",
  "monitors.read",
  "monitors.write",
]);

export type Principal = {
  kind: "user" | "key";
  userId: number;
  label: string; // email, or the key's visible prefix
  role: Role;
  /** Services the user is limited to; null means all. */
  services: readonly string[] | null;
  /** For an API key: its scope and optional single service. */
  scope?: Scope;
  keyService?: string | null;
  /** For an API key: when it stops working (ms), or null for never. */
  keyExpiresAt?: number | null;
};

export function permissionsOf(p: Principal): Set<Permission> {
  const granted = new Set(byRole[p.role]);
  if (p.scope) {
    const allowed = new Set(byScope[p.scope]);
    for (const perm of granted) if (!allowed.has(perm)) granted.delete(perm);
  }
  return granted;
}

/** Whether the principal holds the permission, for one service when it names one. */
export function can(p: Principal, perm: Permission, service?: string): boolean {
  if (!permissionsOf(p).has(perm)) return false;
  const limited = p.services !== null || Boolean(p.keyService);
  // administration is global: a principal limited to some services gets none of it
  if (!serviceBound.has(perm)) return !limited;
  if (service === undefined) return true; // a list: filtered by canSeeService
  return canSeeService(p, service);
}

/** The only services a principal may see, or null for all: what a list is filtered by. */
export function visibleServices(p: Principal): readonly string[] | null {
  if (p.keyService) return p.services && !p.services.includes(p.keyService) ? [] : [p.keyService];
  return p.services;
}

export function canSeeService(p: Principal, service: string): boolean {
  if (p.services !== null && !p.services.includes(service)) return false;
  if (p.keyService && p.keyService !== service) return false;
  return true;
}

/** Creating services is not bound to an existing one: a limited principal cannot. */
export function canCreateService(p: Principal): boolean {
  return can(p, "services.write") && p.services === null && !p.keyService;
}

/** Roles a principal may hand out: only an owner makes owners. */
export function canAssignRole(p: Principal, role: Role): boolean {
  if (!can(p, "users.manage")) return false;
  return role !== "owner" || p.role === "owner";
}

/**
 * Key scopes the principal may hand out (to itself): those whose every permission both
 * its role and the principal itself hold, so a key is never stronger than its maker, and
 * a scope the role cannot use is not offered. An admin key administers: only a principal
 * that may manage users holds one.
 */
export function grantableScopes(p: Principal): Scope[] {
  const mine = permissionsOf(p);
  const role = new Set(byRole[p.role]);
  return SCOPES.filter(
    (s) =>
      byScope[s].every((perm) => role.has(perm) && mine.has(perm)) &&
      (s !== "admin" || can(p, "users.manage")),
  );
}

/** Key management (list, create, revoke) needs a signed-in session or an admin-scope key. */
export function canManageKeys(p: Principal): boolean {
  return p.kind === "user" || p.scope === "admin";
}

export type KeyRequest = { scope: Scope; service: string | null; expiresAt: number | null };

/**
 * The one decision on a new API key, for the UI and the API alike: a credential creates
 * only a credential weaker than or equal to itself in every dimension (scope, services,
 * expiry). Returns why not, with the field it concerns, or null when it may.
 */
export function keyRefusal(
  p: Principal,
  req: KeyRequest,
): { field: string; message: string } | null {
  if (!canManageKeys(p))
    return {
      field: "form",
      message: "Managing keys needs a signed-in session or an admin-scope key.",
    };
  if (!grantableScopes(p).includes(req.scope))
    return { field: "scope", message: `You cannot create a key with scope "${req.scope}".` };
  const limit = p.keyService ?? null;
  if (limit !== null && req.service !== limit)
    return {
      field: "service",
      message: `A key limited to "${limit}" can only create keys for "${limit}".`,
    };
  if (p.services !== null && (req.service === null || !p.services.includes(req.service)))
    return { field: "service", message: "Your keys must name one of your services." };
  const until = p.keyExpiresAt ?? null;
  if (until !== null && (req.expiresAt === null || req.expiresAt > until))
    return { field: "expires", message: "A key cannot create a key that outlives it." };
  return null;
}

/**
 * What a route demands: a permission (for the route's service when it names one), any
 * signed-in principal, a signed-in user (not a key: passwords), the right to manage keys,
 * or to create services (not limited to some). guard() asks `allows`, nothing else.
 */
export type Policy = Permission | "signed-in" | "session" | "keys" | "services.create";

export function allows(p: Principal, policy: Policy, service?: string): boolean {
  if (policy === "signed-in") return true;
  if (policy === "session") return p.kind === "user";
  if (policy === "keys") return canManageKeys(p);
  if (policy === "services.create") return canCreateService(p);
  return can(p, policy, service);
}
