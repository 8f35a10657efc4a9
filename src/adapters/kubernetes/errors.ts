import { DomainError, unavailable } from "../../domain/errors.ts";

/** The API answered with an HTTP status (ApiException carries it as `code`). */
export function httpStatusOf(err: unknown): number | null {
  const code = (err as { code?: unknown; statusCode?: unknown } | null)?.code;
  if (typeof code === "number") return code;
  const statusCode = (err as { statusCode?: unknown } | null)?.statusCode;
  return typeof statusCode === "number" ? statusCode : null;
}

/** The message in a Kubernetes Status body, when the error carries one. */
export function statusMessage(err: unknown): string {
  const body = (err as { body?: unknown } | null)?.body;
  if (typeof body === "string") {
    try {
      const parsed = JSON.parse(body) as { message?: string };
      if (parsed.message) return parsed.message;
    } catch {
      // not JSON: fall through
    }
  }
  return err instanceof Error ? (err.message.split("\n")[0] ?? "") : String(err);
}

/**
 * Turns a client error into a domain error: no HTTP answer at all means the cluster is
 * unreachable (502 cluster_unreachable); an answer is a cluster error with its message.
 */
export function clusterError(err: unknown, doing: string): DomainError {
  if (err instanceof DomainError) return err;
  const status = httpStatusOf(err);
  if (status === null) {
    return unavailable(
      "cluster_unreachable",
      `The Kubernetes cluster did not answer while ${doing}.`,
    );
  }
  return unavailable(
    "cluster_error",
    `Kubernetes refused ${doing} (${status}): ${statusMessage(err)}`,
  );
}
