import type { Context, Hono } from "hono";
import { tooLarge } from "../../domain/errors.ts";
import type { ReportsCore } from "../../services/reports/core.ts";
import { type IngestRequest, ingestEnvelope, ingestStore } from "../../services/reports/ingest.ts";
import type { Env } from "../context.ts";

const cors = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Methods": "POST, OPTIONS",
  "Access-Control-Allow-Headers":
    "Content-Type, Content-Encoding, X-Sentry-Auth, Authorization, sentry-trace, baggage",
  "Access-Control-Max-Age": "86400",
};

/** Reads the body, refusing more than `max` bytes as soon as it is passed. */
async function readBounded(c: Context, max: number): Promise<Buffer> {
  const declared = Number(c.req.header("content-length") ?? Number.NaN);
  const refuse = () => tooLarge("envelope_too_large", `A report body may be at most ${max} bytes.`);
  if (declared > max) throw refuse();
  // under the Node server, read the socket's message itself: no web-stream layer per chunk
  const incoming = (c.env as { incoming?: AsyncIterable<Uint8Array> } | undefined)?.incoming;
  const source = incoming ?? (c.req.raw.body as unknown as AsyncIterable<Uint8Array> | null);
  if (!source) return Buffer.alloc(0);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of source) {
    size += chunk.length;
    if (size > max) throw refuse();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks, size);
}

/**
 * Sentry-compatible intake. Registered ahead of sign-in, CSRF and the audit trail: the
 * DSN key is the credential, and an event is not an action worth an audit row.
 */
export function reportIngestRoutes(app: Hono<Env>, r: ReportsCore): void {
  const handle = (fn: typeof ingestEnvelope) => async (c: Context<Env>) => {
    for (const [k, v] of Object.entries(cors)) c.header(k, v);
    const req: IngestRequest = {
      projectId: c.req.param("projectId") ?? "",
      body: await readBounded(c, r.settings.maxEnvelopeBytes),
      encoding: c.req.header("content-encoding"),
      authHeader: c.req.header("x-sentry-auth") ?? c.req.header("authorization"),
      queryKey: c.req.query("sentry_key"),
    };
    return c.json({ id: fn(r, req) });
  };
  for (const kind of ["envelope", "store"] as const) {
    const path = `/api/:projectId{[0-9]+}/${kind}/`;
    app.options(path, () => new Response(null, { status: 204, headers: cors }));
    app.post(path, handle(kind === "envelope" ? ingestEnvelope : ingestStore));
  }
}
