import type { Context, Hono } from "hono";
import {
  type PushEvent,
  parseGithubPush,
  parseGitlabPush,
  verifyGithubSignature,
  verifyGitlabToken,
} from "../../domain/builds/webhooks.ts";
import { invalid, tooLarge, unauthenticated } from "../../domain/errors.ts";
import { takePush } from "../../services/builds/push.ts";
import { getSource } from "../../services/builds/source.ts";
import type { Deps } from "../../services/core/deps.ts";
import { getService } from "../../services/releases/catalog.ts";
import type { Env, HttpDeps } from "../context.ts";

/** GitHub caps a delivery's payload at 25 MB; anything larger is not one of its pushes. */
export const HOOK_BODY_MAX = 25 * 1024 * 1024;

const hookTooLarge = () =>
  tooLarge("body_too_large", `A webhook delivery may be at most ${HOOK_BODY_MAX} bytes.`);

/**
 * The raw body, for the signature. A declared length over the limit is refused before a
 * byte is read; an undeclared or lying one as soon as the count passes the limit.
 */
export async function readLimited(request: Request, maxBytes: number): Promise<Buffer> {
  if (Number(request.headers.get("content-length") ?? 0) > maxBytes) throw hookTooLarge();
  if (!request.body) return Buffer.alloc(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel().catch(() => undefined);
      throw hookTooLarge();
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks);
}

/** The service, its decrypted webhook secret, and the raw body: 404 and 413 come first. */
async function receive(deps: Deps, c: Context<Env>) {
  const service = getService(deps, c.req.param("service") ?? "");
  const source = getSource(deps, service);
  const body = await readLimited(c.req.raw, HOOK_BODY_MAX);
  return { service, secret: deps.secrets.decrypt(source.webhookSecret), body };
}

/** JSON, or GitHub's other content type: the JSON in the form field `payload`. */
function parsePayload(body: Buffer, contentType: string | undefined): unknown {
  let text = body.toString("utf8");
  if (contentType?.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
    text = new URLSearchParams(text).get("payload") ?? "";
  }
  try {
    return JSON.parse(text);
  } catch {
    throw invalid("invalid_payload", "The delivery's body is not JSON.");
  }
}

function pushOf(
  parse: (json: unknown) => PushEvent | null,
  body: Buffer,
  contentType: string | undefined,
): PushEvent {
  const push = parse(parsePayload(body, contentType));
  if (!push) throw invalid("invalid_payload", "The delivery is not a push event.");
  return push;
}

const notBuilt = (event: string) =>
  event ? `"${event}" events are not built` : "the delivery names no event";

function deliveryId(value: string | undefined, header: string): string {
  const id = value?.trim();
  if (!id) throw invalid("missing_delivery_id", `The ${header} header is missing.`);
  if (id.length > 200) throw invalid("invalid_delivery_id", `The ${header} header is too long.`);
  return id;
}

/**
 * Deploy hooks: GitHub and GitLab push webhooks. Public (no session, no CSRF): each
 * delivery authenticates by the service's webhook secret. The answer comes at once;
 * the build runs in the queue.
 */
export function hookRoutes(app: Hono<Env>, h: HttpDeps): void {
  const { deps } = h;

  app.post("/hooks/github/:service", async (c) => {
    const { service, secret, body } = await receive(deps, c);
    if (!verifyGithubSignature(secret, body, c.req.header("x-hub-signature-256"))) {
      throw unauthenticated("The X-Hub-Signature-256 header is missing or does not match.");
    }
    const event = c.req.header("x-github-event") ?? "";
    if (event === "ping") return c.json({ status: "pong" }, 200);
    if (event !== "push") return c.json({ status: "ignored", reason: notBuilt(event) }, 202);
    const id = deliveryId(c.req.header("x-github-delivery"), "X-GitHub-Delivery");
    const outcome = takePush(
      deps,
      service,
      { provider: "github", id },
      pushOf(parseGithubPush, body, c.req.header("content-type")),
    );
    return c.json(outcome, outcome.status === "duplicate" ? 200 : 202);
  });

  app.post("/hooks/gitlab/:service", async (c) => {
    const { service, secret, body } = await receive(deps, c);
    if (!verifyGitlabToken(secret, c.req.header("x-gitlab-token"))) {
      throw unauthenticated("The X-Gitlab-Token header is missing or wrong.");
    }
    const event = c.req.header("x-gitlab-event") ?? "";
    if (event !== "Push Hook" && event !== "Tag Push Hook") {
      return c.json({ status: "ignored", reason: notBuilt(event) }, 202);
    }
    // Idempotency-Key stays the same across GitLab's retries; the UUIDs are older fallbacks
    const id = deliveryId(
      c.req.header("idempotency-key") ||
        c.req.header("x-gitlab-webhook-uuid") ||
        c.req.header("x-gitlab-event-uuid"),
      "Idempotency-Key (or X-Gitlab-Webhook-UUID)",
    );
    const outcome = takePush(
      deps,
      service,
      { provider: "gitlab", id },
      pushOf(parseGitlabPush, body, c.req.header("content-type")),
    );
    return c.json(outcome, outcome.status === "duplicate" ? 200 : 202);
  });
}
