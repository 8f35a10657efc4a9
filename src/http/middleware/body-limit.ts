import type { MiddlewareHandler } from "hono";
import { errorBody } from "../errors.ts";

/** Forms and JSON: what any page or API call needs, far below what could stall the server. */
export const SMALL_BODY_MAX = 64 * 1024;

/**
 * A route whose body may be larger than SMALL_BODY_MAX. `streamed`: the route reads its
 * body as a stream and enforces `max` itself while reading (uploads, hooks), so only a
 * declared Content-Length is checked here; the others are counted here as they arrive.
 */
export type BodyRoute = {
  method: string;
  path: RegExp;
  max: number;
  streamed: boolean;
  /** The refusal a client of this route already knows (bundle_too_large for uploads). */
  error?: { code: string; message: string };
};

const NO_BODY = new Set(["GET", "HEAD", "OPTIONS"]);

function tooLarge(max: number, error?: BodyRoute["error"]): Response {
  const body = error
    ? errorBody(error.code, error.message)
    : errorBody("body_too_large", `The request body may be at most ${max} bytes.`);
  return new Response(JSON.stringify(body), {
    status: 413,
    // the rest of the body is never read: the connection goes with the answer
    headers: { "content-type": "application/json", connection: "close" },
  });
}

/**
 * Every request's body is bounded before anything reads it: by its declared
 * Content-Length at once, and an undeclared one while it streams in.
 */
export function bodyLimit(routes: readonly BodyRoute[]): MiddlewareHandler {
  return async (c, next) => {
    const request = c.req.raw;
    if (NO_BODY.has(request.method)) return next();
    const route = routes.find((r) => r.method === request.method && r.path.test(c.req.path));
    const max = route?.max ?? SMALL_BODY_MAX;
    const declared = request.headers.get("content-length");
    if (declared !== null && !request.headers.has("transfer-encoding")) {
      return Number(declared) > max ? tooLarge(max, route?.error) : next();
    }
    // a streamed route reads (and bounds) the request itself: touching `body` here would
    // start a second reader of the socket
    if (route?.streamed || !request.body) return next();
    const reader = request.body.getReader();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > max) {
        await reader.cancel();
        return tooLarge(max);
      }
      chunks.push(value);
    }
    c.req.raw = new Request(request, { body: Buffer.concat(chunks) });
    return next();
  };
}
