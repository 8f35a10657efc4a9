import type { Hono } from "hono";
import { assetBytes, assetFile, assetType, assetVersion, pickEncoding } from "./assets.ts";
import type { Env } from "./context.ts";
import { guard } from "./middleware/access.ts";

const docsPage = () => `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Berth API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/assets/swagger-ui.css?v=${assetVersion()}"></head>
<body><div id="ui"></div><script src="/assets/swagger-ui-bundle.js?v=${assetVersion()}"></script>
<script src="/assets/api-docs.js?v=${assetVersion()}"></script></body></html>`;

const YEAR = 365 * 24 * 3600;

/** Health, API reference and static assets, all served from this process (no CDN). */
export function systemRoutes(app: Hono<Env>): void {
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.get("/api/docs", guard("signed-in"), (c) => c.html(docsPage()));
  app.get("/assets/*", async (c) => {
    const file = assetFile(c.req.path.slice("/assets/".length));
    if (!file) return c.notFound();
    const type = assetType(file);
    const encoding = type.startsWith("image/")
      ? "identity"
      : pickEncoding(c.req.header("accept-encoding"));
    const body = await assetBytes(file, encoding);
    // a versioned URL never changes its bytes; an unversioned one is checked again soon
    const versioned = c.req.query("v") === assetVersion();
    const headers: Record<string, string> = {
      "content-type": type,
      "cache-control": versioned ? `public, max-age=${YEAR}, immutable` : "public, max-age=300",
      vary: "Accept-Encoding",
    };
    if (encoding !== "identity") headers["content-encoding"] = encoding;
    return c.body(new Uint8Array(body), 200, headers);
  });
}
