import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { getEnvironment } from "../../services/releases/catalog.ts";
import { setHealthCheck } from "../../services/releases/health.ts";
import type { Env, HttpDeps } from "../context.ts";
import { statusFor } from "../errors.ts";
import { guard, serviceParam } from "../middleware/access.ts";
import { afterChange, attempt, type FieldErrors, readForm, type Ui } from "../ui-shared.ts";

export type HealthForm = { values: Record<string, string>; errors: FieldErrors; saved?: boolean };

/** The environment page (see ui-environments.ts), or one partial of it. */
type EnvPage = (
  c: Context<Env>,
  partial: string,
  opts?: { healthForm?: HealthForm; status?: ContentfulStatusCode },
) => Response;

const FIELDS = ["path", "status", "keyword", "timeoutMs", "retries"] as const;
// setHealthCheck names the columns; the form's inputs have shorter names
const fieldOf = (field: string | undefined) => {
  const short = field?.replace(/^health/, "") ?? "";
  const name = short.charAt(0).toLowerCase() + short.slice(1);
  return (FIELDS as readonly string[]).includes(name) ? name : "form";
};
const numberOrUndefined = (v: string) => (v === "" ? undefined : Number(v));

/** The environment page's Health check card. */
export function uiHealth(ui: Ui, h: HttpDeps, envPage: EnvPage): void {
  const { deps } = h;
  const path = "/services/:service/environments/:env/health";

  ui.get(path, guard("services.read", serviceParam), (c) => envPage(c, "_health"));

  ui.post(path, guard("services.write", serviceParam), async (c) => {
    const { environment } = getEnvironment(deps, c.req.param("service"), c.req.param("env"));
    const form = await readForm(c);
    const values = Object.fromEntries(FIELDS.map((f) => [f, form[f] ?? ""]));
    const done = await attempt(
      () =>
        setHealthCheck(deps, environment, {
          path: values.path || null,
          status: numberOrUndefined(values.status ?? ""),
          keyword: values.keyword || null,
          timeoutMs: numberOrUndefined(values.timeoutMs ?? ""),
          retries: numberOrUndefined(values.retries ?? ""),
        }),
      (err) => fieldOf(err.field),
    );
    if (!done.ok) {
      return envPage(c, "_health", {
        healthForm: { values, errors: done.errors },
        status: statusFor(done.error),
      });
    }
    const here = `/services/${c.req.param("service")}/environments/${c.req.param("env")}`;
    return afterChange(c, here, () => {
      c.header("HX-Trigger", JSON.stringify({ "env-changed": { target: "body" } }));
      return envPage(c, "_health", { healthForm: { ...healthValues(done.value), saved: true } });
    });
  });
}

/** The form as an environment's stored check fills it. */
export function healthValues(env: {
  healthPath: string | null;
  healthStatus: number;
  healthKeyword: string | null;
  healthTimeoutMs: number;
  healthRetries: number;
}): HealthForm {
  return {
    values: {
      path: env.healthPath ?? "",
      status: String(env.healthStatus),
      keyword: env.healthKeyword ?? "",
      timeoutMs: String(env.healthTimeoutMs),
      retries: String(env.healthRetries),
    },
    errors: {},
  };
}
