import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Principal } from "../../domain/auth/permissions.ts";
import {
  INTERPRETERS,
  PARAM_TYPES,
  type ParamDef,
  type ParamType,
} from "../../domain/jobs/jobs.ts";
import {
  createTemplate,
  getTemplate,
  type TemplateInput,
  templateVersion,
  updateTemplate,
} from "../../services/jobs/templates.ts";
import type { Env, HttpDeps } from "../context.ts";
import { guard } from "../middleware/access.ts";
import { render } from "../render.ts";
import { attempt, type FieldErrors, readForm, type Ui } from "../ui-shared.ts";
import { jobAbilities } from "./abilities.ts";
import { presentTemplate } from "./present.ts";

/** Blank parameter rows the editor offers beyond the declared ones. */
const SPARE_ROWS = 3;
const MAX_ROWS = 50;

/** The editor's fields back into a template: rows with a name are parameters. */
function fromForm(f: Record<string, string>): TemplateInput {
  const params: ParamDef[] = [];
  for (let i = 0; i < MAX_ROWS; i++) {
    const name = f[`p${i}.name`];
    if (!name) continue;
    const type = (f[`p${i}.type`] ?? "string") as ParamType;
    const choices = f[`p${i}.choices`]
      ?.split(",")
      .map((s) => s.trim())
      .filter(Boolean);
    params.push({
      name,
      type,
      required: f[`p${i}.required`] === "true",
      ...(f[`p${i}.default`] ? { default: f[`p${i}.default`] } : {}),
      ...(choices?.length ? { choices } : {}),
      ...(f[`p${i}.pattern`] ? { pattern: f[`p${i}.pattern`] } : {}),
      ...(f[`p${i}.help`] ? { help: f[`p${i}.help`] } : {}),
    });
  }
  return {
    name: f.name ?? "",
    description: f.description ?? "",
    interpreter: f.interpreter ?? "",
    body: (f.body ?? "").replaceAll("\r\n", "\n"),
    params,
  };
}

/** Template list and editor; saving is `templates.write`. */
export function templatesUi(ui: Ui, h: HttpDeps): void {
  const { deps } = h;

  ui.get("/templates", guard("jobs.read"), (c) =>
    render(c, {
      page: "pages/jobs/templates.njk",
      partial: "pages/jobs/templates.njk",
      ctx: {
        title: "Templates",
        nav: "jobs",
        templates: deps.jobs.repos.templates.list().map((t) => presentTemplate(deps, t)),
        can: { write: jobAbilities(c).templates },
      },
    }),
  );

  const editor = (
    c: Context<Env>,
    form: TemplateInput,
    opts: { version?: number; errors?: FieldErrors; status?: ContentfulStatusCode },
  ) =>
    render(c, {
      page: "pages/jobs/template.njk",
      partial: "pages/jobs/template.njk",
      status: opts.status ?? 200,
      ctx: {
        title: form.name ? `Template ${form.name}` : "New template",
        nav: "jobs",
        form: {
          ...form,
          params: [...(form.params ?? []), ...Array(SPARE_ROWS).fill({ type: "string" })],
        },
        version: opts.version,
        action: opts.version ? `/templates/${form.name}` : "/templates",
        errors: opts.errors ?? {},
        types: PARAM_TYPES,
        interpreters: INTERPRETERS,
        can: { write: jobAbilities(c).templates },
      },
    });

  ui.get("/templates/new", guard("templates.write"), (c) =>
    editor(c, { name: "", interpreter: "bash", body: "#!/bin/bash\nset -eu\n", params: [] }, {}),
  );
  ui.post("/templates", guard("templates.write"), async (c) => {
    const form = fromForm(await readForm(c));
    const by = (c.get("principal") as Principal).label;
    const result = await attempt(() => createTemplate(deps, form, by));
    if (result.ok) return c.redirect(`/templates/${result.value.name}`, 303);
    return editor(c, form, { errors: result.errors, status: 422 });
  });
  ui.get("/templates/:name", guard("jobs.read"), (c) => {
    const t = getTemplate(deps, c.req.param("name"));
    const v = templateVersion(deps, t);
    return editor(
      c,
      {
        name: t.name,
        description: t.description,
        interpreter: v.interpreter,
        body: v.body,
        params: v.params,
      },
      { version: t.latestVersion },
    );
  });
  ui.post("/templates/:name", guard("templates.write"), async (c) => {
    const t = getTemplate(deps, c.req.param("name"));
    const form = { ...fromForm(await readForm(c)), name: t.name };
    const by = (c.get("principal") as Principal).label;
    const result = await attempt(() => updateTemplate(deps, t.name, form, by));
    if (result.ok) return c.redirect(`/templates/${t.name}`, 303);
    return editor(c, form, { version: t.latestVersion, errors: result.errors, status: 422 });
  });
}
