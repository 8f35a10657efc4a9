import type { Role, Scope } from "./permissions.ts";

export type User = {
  id: number;
  email: string;
  passwordHash: string;
  role: Role;
  services: string[] | null;
  disabled: boolean;
  createdAt: number;
};

export type Session = {
  id: string;
  userId: number;
  createdAt: number;
  expiresAt: number;
  ip: string | null;
};

export type ApiKey = {
  id: number;
  userId: number;
  name: string;
  prefix: string;
  hash: string;
  scope: Scope;
  service: string | null;
  expiresAt: number | null;
  lastUsedAt: number | null;
  revokedAt: number | null;
  createdAt: number;
};

export const AUDIT_RESULTS = ["ok", "denied", "failed"] as const;
export type AuditResult = (typeof AUDIT_RESULTS)[number];

export type AuditEvent = {
  id: number;
  at: number;
  actorKind: "user" | "key" | "system" | "anonymous";
  actorId: number | null;
  actor: string;
  action: string;
  target: string | null;
  request: string | null;
  result: AuditResult;
  status: number | null;
  ip: string | null;
};
