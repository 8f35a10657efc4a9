import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import type { Hono } from "hono";
import type { Env } from "./context.ts";

const require = createRequire(import.meta.url);
const htmxDir = path.dirname(require.resolve("htmx.org/dist/htmx.min.js"));
const swaggerDir = path.dirname(require.resolve("swagger-ui-dist/package.json"));
const publicDir = path.resolve(import.meta.dirname, "../../public");

type Asset = { file: string; type: string };
const assets: Record<string, Asset> = {
  "/assets/htmx.min.js": { file: path.join(htmxDir, "htmx.min.js"), type: "text/javascript" },
  "/assets/hx-sse.min.js": {
    file: path.join(htmxDir, "ext", "hx-sse.min.js"),
    type: "text/javascript",
  },
  "/assets/swagger-ui.css": { file: path.join(swaggerDir, "swagger-ui.css"), type: "text/css" },
  "/assets/swagger-ui-bundle.js": {
    file: path.join(swaggerDir, "swagger-ui-bundle.js"),
    type: "text/javascript",
  },
};

const docsPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Berth API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/swagger-ui.css"></head>
<body><div id="ui"></div><script src="/assets/swagger-ui-bundle.js"></script>
<script src="/assets/api-docs.js"></script></body></html>`;

/** Health, API reference and static assets, all served from this process (no CDN). */
export function systemRoutes(app: Hono<Env>): void {
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/api/docs", (c) => c.html(docsPage));
  app.get("/assets/*", async (c) => {
    const known = assets[c.req.path];
    const name = c.req.path.slice("/assets/".length);
    const file = known?.file ?? (/^[\w.-]+$/.test(name) ? path.join(publicDir, name) : null);
    if (!file || !fs.existsSync(file)) return c.notFound();
    const type =
      known?.type ??
      { ".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml" }[
        path.extname(file)
      ] ??
      "application/octet-stream";
    return c.body(await fs.promises.readFile(file), 200, {
      "content-type": `${type}; charset=utf-8`,
      "cache-control": "public, max-age=3600",
    });
  });
}
