import { Hono } from "hono";
import { DomainError } from "../../domain/errors.ts";
import { CHANNEL_KINDS, NOTIFY_EVENTS, type NotifyEvent } from "../../domain/notify/notify.ts";
import {
  addRule,
  createChannel,
  deleteChannel,
  deleteRule,
  getChannel,
  sendTest,
} from "../../services/notify/channels.ts";
import type { Env, HttpDeps } from "../context.ts";
import { statusFor } from "../errors.ts";
import { guard } from "../middleware/access.ts";
import { render } from "../render.ts";
import { attempt, type FieldErrors, readForm } from "../ui-shared.ts";
import { presentChannel, presentDelivery } from "./present.ts";

type Form = { values: Record<string, string>; errors: FieldErrors };

/** Channels, their rules and deliveries, with a "send test" button: admins only. */
export function channelsUi(app: Hono<Env>, h: HttpDeps): void {
  const { deps } = h;
  const ui = new Hono<Env>();
  const manage = guard("notifications.manage");
  ui.onError((err, c) => {
    if (!(err instanceof DomainError)) throw err;
    const status = statusFor(err);
    return render(c, {
      page: "pages/error.njk",
      partial: "partials/_error.njk",
      ctx: { status, message: err.message, title: "Notifications" },
      status,
    });
  });
  const repo = deps.notify.repos.channels;

  const listPage = (
    c: Parameters<typeof render>[0],
    form: Form = { values: { kind: "webhook" }, errors: {} },
    created?: { signingSecret: string | null },
    status: 200 | 422 = 200,
  ) =>
    render(c, {
      page: "pages/notify/index.njk",
      partial: "partials/notify/_channels.njk",
      ctx: {
        title: "Notifications",
        nav: "notifications",
        channels: repo.list().map((ch) => presentChannel(ch, repo.rules(ch.id))),
        kinds: CHANNEL_KINDS,
        events: NOTIFY_EVENTS,
        form,
        created,
      },
      status,
    });

  ui.get("/notifications", manage, (c) => listPage(c));

  ui.post("/notifications", manage, async (c) => {
    const f = await readForm(c);
    const result = await attempt(() => {
      if (!f.name)
        throw new DomainError("unprocessable", "invalid_field", "Give the channel a name.", "name");
      if (!(CHANNEL_KINDS as readonly string[]).includes(f.kind ?? ""))
        throw new DomainError("unprocessable", "invalid_field", "Pick a kind.", "kind");
      return createChannel(deps, {
        name: f.name.slice(0, 100),
        kind: f.kind as (typeof CHANNEL_KINDS)[number],
        url: f.url || undefined,
        host: f.host || undefined,
        port: f.port ? Number(f.port) : undefined,
        username: f.username || null,
        password: f.password || null,
        from: f.from || undefined,
        to: f.to || undefined,
      });
    });
    if (!result.ok)
      return listPage(c, { values: { ...f, password: "" }, errors: result.errors }, undefined, 422);
    return listPage(c, undefined, { signingSecret: result.value.signingSecret });
  });

  ui.get("/notifications/:id{[0-9]+}", manage, (c) => {
    const ch = getChannel(deps, Number(c.req.param("id")));
    return render(c, {
      page: "pages/notify/show.njk",
      partial: "partials/notify/_deliveries.njk",
      ctx: {
        title: ch.name,
        nav: "notifications",
        ch: presentChannel(ch, repo.rules(ch.id)),
        events: NOTIFY_EVENTS,
        deliveries: deps.notify.repos.deliveries.forChannel(ch.id, 50).map(presentDelivery),
        tested: c.req.query("tested") === "1",
      },
    });
  });

  ui.post("/notifications/:id{[0-9]+}/test", manage, (c) => {
    const id = Number(c.req.param("id"));
    sendTest(deps, id);
    return c.redirect(`/notifications/${id}?tested=1`, 303);
  });

  ui.post("/notifications/:id{[0-9]+}/rules", manage, async (c) => {
    const id = Number(c.req.param("id"));
    const f = await readForm(c);
    if ((NOTIFY_EVENTS as readonly string[]).includes(f.event ?? ""))
      addRule(deps, id, f.event as NotifyEvent, f.service || null);
    return c.redirect(`/notifications/${id}`, 303);
  });

  ui.post("/notifications/:id{[0-9]+}/rules/:rule{[0-9]+}/delete", manage, (c) => {
    deleteRule(deps, Number(c.req.param("rule")));
    return c.redirect(`/notifications/${c.req.param("id")}`, 303);
  });

  ui.post("/notifications/:id{[0-9]+}/delete", manage, (c) => {
    deleteChannel(deps, Number(c.req.param("id")));
    return c.redirect("/notifications", 303);
  });
  app.route("/", ui);
}
