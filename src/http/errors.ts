import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { DomainError, type ErrorKind, RateLimited } from "../domain/errors.ts";
import type { Logger } from "../log.ts";

const statusOf: Record<ErrorKind, ContentfulStatusCode> = {
  invalid: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 502,
};

export type ErrorBody = { error: { code: string; message: string; field?: string } };

export function errorBody(code: string, message: string, field?: string): ErrorBody {
  return { error: field ? { code, message, field } : { code, message } };
}

/** The one place that turns errors into responses. */
export function toErrorResponse(err: unknown, c: Context, logger: Logger): Response {
  if (err instanceof DomainError) {
    if (err instanceof RateLimited) c.header("Retry-After", String(err.retryAfterSeconds));
    // a body refused part-way is not read to its end: the connection cannot carry another request
    if (err.kind === "too_large") c.header("Connection", "close");
    return c.json(errorBody(err.code, err.message, err.field), statusOf[err.kind]);
  }
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    const code = status === 413 ? "body_too_large" : status === 404 ? "not_found" : "bad_request";
    return c.json(errorBody(code, err.message || "The request was not accepted."), status);
  }
  logger.error({ err, path: c.req.path }, "unhandled error");
  return c.json(errorBody("internal_error", "Something went wrong on the server."), 500);
}

export function statusFor(err: DomainError): ContentfulStatusCode {
  return statusOf[err.kind];
}
