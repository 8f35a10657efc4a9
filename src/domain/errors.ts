/**
 * Typed domain errors. The HTTP layer maps each kind to a status in one place
 * (src/http/errors.ts); the domain never speaks HTTP.
 */
export type ErrorKind =
  | "invalid" // malformed request: 400
  | "unauthenticated" // 401
  | "forbidden" // 403
  | "not_found" // 404
  | "conflict" // 409
  | "too_large" // 413
  | "unprocessable" // well-formed but unacceptable content: 422
  | "rate_limited" // 429
  | "unavailable"; // an outside system (a Kubernetes cluster) did not answer: 502

export class DomainError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  readonly field: string | undefined;

  constructor(kind: ErrorKind, code: string, message: string, field?: string) {
    super(message);
    this.name = "DomainError";
    this.kind = kind;
    this.code = code;
    this.field = field;
  }
}

export const notFound = (code: string, message: string) =>
  new DomainError("not_found", code, message);
export const conflict = (code: string, message: string) =>
  new DomainError("conflict", code, message);
export const invalid = (code: string, message: string, field?: string) =>
  new DomainError("invalid", code, message, field);
export const unprocessable = (code: string, message: string, field?: string) =>
  new DomainError("unprocessable", code, message, field);
export const unavailable = (code: string, message: string) =>
  new DomainError("unavailable", code, message);
export const tooLarge = (code: string, message: string) =>
  new DomainError("too_large", code, message);

export class RateLimited extends DomainError {
  readonly retryAfterSeconds: number;
  constructor(message: string, retryAfterSeconds: number) {
    super("rate_limited", "rate_limited", message);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export const unauthenticated = (message = "Sign in or send a valid API key.") =>
  new DomainError("unauthenticated", "unauthenticated", message);
export const forbidden = (message = "You are not allowed to do that.", field?: string) =>
  new DomainError("forbidden", "forbidden", message, field);
