const escapeHtml = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (ch) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[ch] as string,
  );

/**
 * A site's own 404 (no 404.html in the release) and "nothing deployed yet", as a small
 * page in Berth's colours for a browser (light and dark); null for anything else.
 */
export function brandedNotFound(
  request: Request,
  title: string,
  message: string,
  head = false,
): Response | null {
  // a browser names text/html; scripts and crawlers keep the plain answer
  if (!/\btext\/html\b/.test(request.headers.get("accept") ?? "")) return null;
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
:root{color-scheme:light dark;--bg:#f5f6f8;--card:#fff;--text:#18202b;--muted:#5f6b7a;--accent:#1f4ed8}
@media (prefers-color-scheme:dark){:root{--bg:#0d1117;--card:#161b22;--text:#e6edf3;--muted:#9aa5b1;--accent:#6d9bff}}
body{margin:0;min-height:100vh;display:grid;place-items:center;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,sans-serif}
main{max-width:32rem;margin:1rem;padding:2rem;background:var(--card);border-radius:12px;box-shadow:0 1px 3px rgb(0 0 0/10%)}
h1{margin:0 0 .5rem;font-size:1.4rem}p{margin:0;color:var(--muted);overflow-wrap:anywhere}
.mark{display:inline-block;width:.7rem;height:.7rem;border-radius:50%;background:var(--accent);margin-right:.5rem}
small{display:block;margin-top:1.25rem;color:var(--muted)}
</style></head>
<body><main><h1><span class="mark" aria-hidden="true"></span>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p><small>Served by Berth</small></main></body></html>
`;
  return new Response(head ? null : body, {
    status: 404,
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    },
  });
}
