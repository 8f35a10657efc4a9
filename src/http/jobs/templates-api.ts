import type { Principal } from "../../domain/auth/permissions.ts";
import {
  createTemplate,
  deleteTemplate,
  getTemplate,
  templateVersion,
  updateTemplate,
} from "../../services/jobs/templates.ts";
import type { Api, HttpDeps } from "../context.ts";
import { guard } from "../middleware/access.ts";
import { readJson, TemplateBody, TemplateEdit } from "./body.ts";
import { presentTemplate, presentVersion } from "./present.ts";

/** Script templates: `/api/v1/templates`. Writing one is `templates.write` (code on the server). */
export function templatesApi(app: Api, h: HttpDeps): void {
  const { deps } = h;
  const by = (p: Principal) => p.label;

  app.get("/templates", guard("jobs.read"), (c) =>
    c.json({ items: deps.jobs.repos.templates.list().map((t) => presentTemplate(deps, t)) }),
  );
  app.post("/templates", guard("templates.write"), async (c) => {
    const body = await readJson(c, TemplateBody);
    const t = createTemplate(deps, body, by(c.get("principal") as Principal));
    c.header("Location", `/api/v1/templates/${t.name}`);
    return c.json(presentTemplate(deps, t), 201);
  });
  app.get("/templates/:name", guard("jobs.read"), (c) =>
    c.json(presentTemplate(deps, getTemplate(deps, c.req.param("name")))),
  );
  app.put("/templates/:name", guard("templates.write"), async (c) => {
    const body = await readJson(c, TemplateEdit);
    const t = updateTemplate(deps, c.req.param("name"), body, by(c.get("principal") as Principal));
    return c.json(presentTemplate(deps, t));
  });
  app.delete("/templates/:name", guard("templates.write"), (c) => {
    deleteTemplate(deps, c.req.param("name"));
    return c.body(null, 204);
  });
  app.get("/templates/:name/versions", guard("jobs.read"), (c) => {
    const t = getTemplate(deps, c.req.param("name"));
    return c.json({ items: deps.jobs.repos.templates.versions(t.id).map(presentVersion) });
  });
  app.get("/templates/:name/versions/:version", guard("jobs.read"), (c) => {
    const t = getTemplate(deps, c.req.param("name"));
    const n = Number(c.req.param("version"));
    return c.json(presentVersion(templateVersion(deps, t, Number.isInteger(n) ? n : -1)));
  });
}
