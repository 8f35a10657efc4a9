/**
 * The one table of who may do what. The API and the UI both ask `can()`; nothing else
 * decides access.
 */
export const ROLES = ["owner", "admin", "deployer", "viewer"] as const;
export type Role = (typeof ROLES)[number];

export const SCOPES = ["read", "deploy", "write", "admin", "metrics"] as const;
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
  "monitors.read", // monitors, checks, incidents, badges
  "monitors.write", // create, change, pause and delete monitors and maintenance windows
  "notifications.manage", // channels, rules and their deliveries
  "metrics.read", // /metrics
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const byRole: Record<Role, readonly Permission[]> = {
  owner: PERMISSIONS,
  admin: PERMISSIONS,
  deployer: ["services.read", "deployments.create", "rollbacks.create", "monitors.read"],
  viewer: ["services.read", "monitors.read"],
};

const byScope: Record<Scope, readonly Permission[]> = {
  read: ["services.read", "monitors.read"],
  deploy: ["services.read", "deployments.create", "rollbacks.create", "monitors.read"],
  write: [
    "services.read",
    "services.write",
    "deployments.create",
    "rollbacks.create",
    "monitors.read",
    "monitors.write",
  ],
  admin: PERMISSIONS,
  metrics: ["metrics.read"],
};

/** Permissions that concern one service, and so obey a service limit. */
const serviceBound: ReadonlySet<Permission> = new Set([
  "services.read",
  "services.write",
  "deployments.create",
  "rollbacks.create",
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
