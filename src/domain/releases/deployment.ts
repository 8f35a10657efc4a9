import { conflict } from "../errors.ts";

export const DEPLOYMENT_STATUSES = [
  "queued",
  "preparing",
  "activating",
  "live",
  "superseded",
  "failed",
  "cancelled",
  "interrupted",
] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

export const SERVICE_KINDS = ["static", "container"] as const;
export type ServiceKind = (typeof SERVICE_KINDS)[number];

export const DEPLOYMENT_SOURCES = ["upload", "redeploy", "build", "image"] as const;
export type DeploymentSource = (typeof DEPLOYMENT_SOURCES)[number];

export const BUNDLE_FORMATS = ["zip", "tar.gz"] as const;
export type BundleFormat = (typeof BUNDLE_FORMATS)[number];

export const LOG_LEVELS = ["info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Pipeline stages named in a failure. */
export const STAGES = [
  "receive",
  "validate",
  "extract",
  "activate",
  "health",
  "prune",
  "apply",
  "rollout",
] as const;
export type Stage = (typeof STAGES)[number];

const transitions: Record<DeploymentStatus, readonly DeploymentStatus[]> = {
  queued: ["preparing", "failed", "cancelled", "interrupted"],
  preparing: ["activating", "failed", "interrupted"],
  activating: ["live", "failed", "interrupted"],
  // a rollback moves the live one aside and brings a superseded one back
  live: ["superseded"],
  superseded: ["live"],
  failed: [],
  cancelled: [],
  interrupted: [],
};

export const TERMINAL: ReadonlySet<DeploymentStatus> = new Set([
  "live",
  "superseded",
  "failed",
  "cancelled",
  "interrupted",
]);

/** Still being worked on: the states a crash can leave behind. */
export const IN_FLIGHT: readonly DeploymentStatus[] = ["queued", "preparing", "activating"];

export function canTransition(from: DeploymentStatus, to: DeploymentStatus): boolean {
  return transitions[from].includes(to);
}

export function assertTransition(from: DeploymentStatus, to: DeploymentStatus): void {
  if (!canTransition(from, to)) {
    throw conflict("invalid_transition", `A deployment cannot go from ${from} to ${to}.`);
  }
}

/** A release that reached live once is a possible rollback target while it is on disk. */
export function isRollbackCandidate(d: { status: DeploymentStatus; pruned: boolean }): boolean {
  return d.status === "superseded" && !d.pruned;
}
