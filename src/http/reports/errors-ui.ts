import type { Context } from "hono";
import { can } from "../../domain/auth/permissions.ts";
import { invalid } from "../../domain/errors.ts";
import { type ErrorGroup, GROUP_STATUSES, type GroupStatus } from "../../domain/reports/reports.ts";
import type { ReportsCore } from "../../services/reports/core.ts";
import {
  getGroup,
  groupEvents,
  hourlyCounts,
  listGroups,
  matchRelease,
  reportingKey,
  rollbackTarget,
  rotateReportingKey,
  setGroupStatus,
} from "../../services/reports/groups.ts";
import type { Env, HttpDeps } from "../context.ts";
import { guard, serviceParam } from "../middleware/access.ts";
import { render } from "../render.ts";
import { readForm, type Ui } from "../ui-shared.ts";
import { dsnOf } from "./reports-api.ts";
import { sparkline } from "./svg.ts";

const isStatus = (s: string | undefined): s is GroupStatus =>
  (GROUP_STATUSES as readonly string[]).includes(s ?? "");

type Match = ReturnType<typeof matchRelease>;

/** The deployment a release names, as the pages show it (`memo`: one lookup a release). */
function firstSeenView(r: ReportsCore, g: ErrorGroup, memo = new Map<string, Match>()) {
  const release = g.firstRelease ?? "";
  let m = memo.get(release);
  if (m === undefined) {
    m = matchRelease(r, g.serviceId, g.firstRelease);
    memo.set(release, m);
  }
  if (!m) return null;
  return {
    id: m.deployment.id,
    href: `/deployments/${m.deployment.id}`,
    environment: m.environment,
    commit: m.deployment.commit,
    message: m.deployment.message,
    who: m.who,
    isLiveCandidate: m.deployment.status === "live",
    deployment: m.deployment,
  };
}

/** Errors of a service (groups with sparklines) and the page of one group. */
export function errorsUi(ui: Ui, h: HttpDeps, r: ReportsCore): void {
  const serviceOfGroup = (c: Context) => {
    const g = r.groups.byId(Number(c.req.param("id")));
    return g ? r.deps.repos.services.byId(g.serviceId)?.name : undefined;
  };

  const listPage = (c: Context<Env>, newKey = false) => {
    const service = c.req.param("service") ?? "";
    const q = c.req.query("q")?.slice(0, 200) || undefined;
    const statusQ = c.req.query("status");
    const status = isStatus(statusQ) ? statusQ : statusQ === "all" ? undefined : "unresolved";
    const environment = c.req.query("environment")?.slice(0, 64) || undefined;
    const groups = listGroups(r, service, { status, q, environment });
    const spark = hourlyCounts(
      r,
      groups.map((g) => g.id),
    );
    const key = reportingKey(r, service);
    const p = c.get("principal");
    const memo = new Map<string, Match>();
    return render(c, {
      page: "pages/reports/errors.njk",
      partial: "partials/reports/_groups.njk",
      ctx: {
        title: `Errors · ${service}`,
        nav: "services",
        tab: "errors",
        service: { name: service, href: `/services/${service}` },
        groups: groups.map((g) => ({
          ...g,
          href: `/errors/${g.id}`,
          spark: sparkline(spark.get(g.id) ?? []),
          firstSeenIn: firstSeenView(r, g, memo),
        })),
        filter: { q: q ?? "", status: statusQ ?? "unresolved", environment: environment ?? "" },
        statuses: ["unresolved", "resolved", "ignored", "all"],
        reporting: dsnOf(h.publicUrl, key.projectId, key.key),
        newKey,
        canRotate: Boolean(p && can(p, "services.write", service)),
      },
    });
  };

  ui.get("/services/:service/errors", guard("services.read", serviceParam), (c) => listPage(c));

  ui.post("/services/:service/errors/rotate-key", guard("services.write", serviceParam), (c) => {
    rotateReportingKey(r, c.req.param("service"));
    return listPage(c, true);
  });

  ui.get("/errors/:id", guard("services.read", serviceOfGroup), (c) => {
    const { group, service } = getGroup(r, Number(c.req.param("id")));
    const events = groupEvents(r, group.id, 20);
    const latest = events[0]?.event;
    const tags = new Map<string, Map<string, number>>();
    for (const e of events)
      for (const [k, v] of Object.entries(e.event.tags)) {
        const m = tags.get(k) ?? new Map<string, number>();
        m.set(v, (m.get(v) ?? 0) + 1);
        tags.set(k, m);
      }
    const first = firstSeenView(r, group);
    const target = first ? rollbackTarget(r, first.deployment) : null;
    const p = c.get("principal");
    return render(c, {
      page: "pages/reports/error.njk",
      partial: "partials/reports/_group.njk",
      ctx: {
        title: group.title,
        nav: "services",
        service: { name: service, href: `/services/${service}` },
        group,
        spark: sparkline(hourlyCounts(r, [group.id]).get(group.id) ?? [], 240, 32),
        // the crashing frame first, as people read a trace
        chain: (latest?.exceptions ?? []).toReversed().map((ex) => ({
          ...ex,
          frames: ex.frames.toReversed(),
        })),
        latest,
        events: events.map((e) => ({ ...e, receivedAt: e.receivedAt })),
        tags: [...tags].map(([k, m]) => ({
          key: k,
          values: [...m].map(([value, n]) => ({ value, n })),
        })),
        firstSeenIn: first,
        rollback: first && target ? { environment: first.environment, target } : null,
        canRollback: Boolean(p && can(p, "rollbacks.create", service)),
        canTriage: Boolean(p && can(p, "errors.triage", service)),
      },
    });
  });

  ui.post("/errors/:id/status", guard("errors.triage", serviceOfGroup), async (c) => {
    const form = await readForm(c);
    if (!isStatus(form.status))
      throw invalid("invalid_status", "Choose unresolved, resolved or ignored.", "status");
    const g = setGroupStatus(r, Number(c.req.param("id")), form.status);
    return c.redirect(`/errors/${g.id}`, 303);
  });
}
