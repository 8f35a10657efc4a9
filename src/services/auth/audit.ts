import type { AuditEvent } from "../../domain/auth-types.ts";
import type { Principal } from "../../domain/permissions.ts";
import type { AuthDeps } from "./deps.ts";

export type AuditInput = {
  principal: Principal | null;
  action: string;
  target?: string | null;
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
      actor: e.principal?.label ?? e.actorHint ?? "anonymous",
      action: e.action,
      target: e.target ?? null,
      result,
      status: e.status,
      ip: e.ip,
    });
  } catch (err) {
    deps.logger.error({ err, action: e.action }, "audit append failed");
  }
}
