/**
 * The reference for serve-throughput.ts: a bare Hono app serving one directory
 * with @hono/node-server's serveStatic, nothing else. Not a benchmark itself.
 *
 * Usage: REF_ROOT=<dir> REF_PORT=<port> node scripts/bench/static-ref-server.ts
 */
import { serve } from "@hono/node-server";
import { serveStatic } from "@hono/node-server/serve-static";
import { Hono } from "hono";

const root = process.env.REF_ROOT;
const port = Number(process.env.REF_PORT);
if (!root || !Number.isInteger(port)) {
  process.stderr.write("static-ref-server: set REF_ROOT and REF_PORT\n");
  process.exit(2);
}
const app = new Hono();
app.use("*", serveStatic({ root }));
app.notFound((c) => c.text("Not Found", 404));
const server = serve({ fetch: app.fetch, hostname: "127.0.0.1", port });
process.on("SIGTERM", () => server.close(() => process.exit(0)));
