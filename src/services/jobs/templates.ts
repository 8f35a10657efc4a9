import { writeTx } from "../../db/client.ts";
import type { Template, TemplateVersion } from "../../db/jobs/templates-repo.ts";
import { conflict, notFound, unprocessable } from "../../domain/errors.ts";
import {
  assertInterpreter,
  assertJobName,
  checkParamDefs,
  type ParamDef,
} from "../../domain/jobs/jobs.ts";
import type { Deps } from "../core/deps.ts";

export type TemplateInput = {
  name: string;
  description?: string;
  interpreter: string;
  body: string;
  params?: ParamDef[];
};

const MAX_BODY = 256 * 1024;

function checked(input: TemplateInput) {
  if (typeof input.body !== "string" || input.body.length === 0 || input.body.length > MAX_BODY)
    throw unprocessable("invalid_body", `The script must be 1 to ${MAX_BODY} characters.`, "body");
  if ((input.description ?? "").length > 2000)
    throw unprocessable("invalid_description", "The description is too long.", "description");
  return {
    interpreter: assertInterpreter(input.interpreter),
    body: input.body,
    params: checkParamDefs(input.params ?? []),
  };
}

export function getTemplate(deps: Deps, name: string): Template {
  const t = deps.jobs.repos.templates.byName(name);
  if (!t) throw notFound("template_not_found", `There is no template ${name}.`);
  return t;
}

export function templateVersion(deps: Deps, t: Template, version?: number): TemplateVersion {
  const v = deps.jobs.repos.templates.version(t.id, version ?? t.latestVersion);
  if (!v) throw notFound("version_not_found", `Template ${t.name} has no version ${version}.`);
  return v;
}

export function createTemplate(deps: Deps, input: TemplateInput, by: string): Template {
  assertJobName("template", input.name);
  const v = checked(input);
  if (deps.jobs.repos.templates.byName(input.name))
    throw conflict("template_exists", `Template ${input.name} already exists.`);
  return writeTx(deps.db, (tx) =>
    deps.jobs.repos.templates.insert(tx, input.name, input.description ?? "", {
      ...v,
      createdBy: by,
    }),
  );
}

/** An edit is a new version; runs keep pointing at the one they used. */
export function updateTemplate(
  deps: Deps,
  name: string,
  input: Omit<TemplateInput, "name">,
  by: string,
): Template {
  const t = getTemplate(deps, name);
  const v = checked({ ...input, name });
  return writeTx(deps.db, (tx) =>
    deps.jobs.repos.templates.addVersion(tx, t, input.description ?? t.description, {
      ...v,
      createdBy: by,
    }),
  );
}

export function deleteTemplate(deps: Deps, name: string): void {
  const t = getTemplate(deps, name);
  const users = deps.jobs.repos.templates.usedBy(t.id);
  if (users.length > 0)
    throw conflict("template_in_use", `Jobs use template ${name}: ${users.join(", ")}.`);
  deps.jobs.repos.templates.delete(t.id);
}
