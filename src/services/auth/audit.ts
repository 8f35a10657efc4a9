import { clip } from "../../domain/auth/audit.ts";
import type { AuditEvent } from "../../domain/auth/auth-types.ts";
import type { Principal } from "../../domain/auth/permissions.ts";
import type { AuthDeps } from "./deps.ts";

export type AuditInput = {
  principal: Principal | null;
  action: string;
  target?: string | null;
  /** The request as it came ("POST /api/v1/services"). */
  request?: string | null;
  status: number;
  ip: string | null;
  actorHint?: string;
};

/** Appends one event. Failing to audit must not hide the outcome, so errors are logged. */
export function audit(deps: AuthDeps, e: AuditInput, now = Date.now()): void {
  const result: AuditEvent["result"] =
    e.status === 401 || e.status === 403 ? "denied" : e.status >= 400 ? "failed" : "ok";
  try {
    deps.repos.audit.append({
      at: now,
      actorKind: e.principal?.kind ?? "anonymous",
      actorId: e.principal?.userId ?? null,
      actor: clip(e.principal?.label ?? e.actorHint ?? "anonymous"),
      action: clip(e.action, 100),
      target: e.target ? clip(e.target) : null,
      request: e.request ? clip(e.request, 300) : null,
      result,
      status: e.status,
      ip: e.ip,
    });
  } catch (err) {
    deps.logger.error({ err, action: e.action }, "audit append failed");
  }
}

const DAY = 24 * 60 * 60 * 1000;

/** Removes audit events older than the retention (days): the only way rows leave. */
export function pruneAudit(deps: AuthDeps, retentionDays: number, now = Date.now()): number {
  const removed = deps.repos.audit.prune(now - retentionDays * DAY);
  if (removed > 0) deps.logger.info({ removed, retentionDays }, "pruned old audit events");
  return removed;
}
