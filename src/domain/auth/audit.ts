/**
 * Readable names for the audit trail: `service.create`, `environment.rollback`,
 * `key.revoke`, derived from a route's method and path so every state change has one.
 */

/** Routes whose generic name would read badly. */
const NAMED: Record<string, string> = {
  "PUT /settings/dns": "settings.dns.update",
  "POST /settings/dns": "settings.dns.update",
  "POST /settings/dns/check": "settings.dns.check",
  "POST /hooks/github/:service": "hook.github",
  "POST /hooks/gitlab/:service": "hook.gitlab",
  "POST /me/password": "account.password",
  "POST /account/password": "account.password",
  "POST /login": "session.create",
  "POST /logout": "session.delete",
  "POST /setup": "setup.owner",
};

const VERB: Record<string, string> = {
  POST: "create",
  PUT: "update",
  PATCH: "update",
  DELETE: "delete",
};
/** Words that end in s but name one thing. */
const NOT_PLURAL = new Set(["settings", "dns", "status", "alias"]);

const singular = (word: string) =>
  NOT_PLURAL.has(word)
    ? word
    : word.endsWith("ies")
      ? `${word.slice(0, -3)}y`
      : word.replace(/s$/, "");
const plural = (word: string) => word.endsWith("s") && !NOT_PLURAL.has(word);

export function auditActionOf(method: string, routePath: string): string {
  const path = routePath.replace(/^\/api\/v1(?=\/)/, "").replace(/\{(\w+)\}/g, ":$1");
  const named = NAMED[`${method} ${path}`];
  if (named) return named;
  const segments = path.split("/").filter(Boolean);
  const last = segments.at(-1) ?? "";
  const verb = VERB[method] ?? method.toLowerCase();
  const literals = segments.filter((s) => !s.startsWith(":"));
  if (last.startsWith(":")) return `${singular(literals.at(-1) ?? "request")}.${verb}`;
  if (plural(last) || literals.length === 1) return `${singular(last)}.${verb}`;
  // a verb or a part after a thing: environments/:env/rollback, keys/:id/revoke, source
  return `${singular(literals.at(-2) ?? "request")}.${last.replace(/-/g, "_")}`;
}

/** The longest a stored audit field may be: a request cannot grow the trail without bound. */
export const AUDIT_FIELD_MAX = 200;

export const clip = (text: string, max = AUDIT_FIELD_MAX) =>
  text.length <= max ? text : `${text.slice(0, max - 1)}…`;
