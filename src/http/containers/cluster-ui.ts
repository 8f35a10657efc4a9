import type { Context } from "hono";
import {
  checkCluster,
  readClusterSettings,
  saveClusterSettings,
} from "../../services/containers/cluster.ts";
import type { Env, HttpDeps } from "../context.ts";
import { guard } from "../middleware/access.ts";
import { render } from "../render.ts";
import { attempt, type FieldErrors, readForm, type Ui } from "../ui-shared.ts";

/** Settings → Kubernetes: paste a kubeconfig (never shown again) or use in-cluster credentials. */
export function clusterUi(ui: Ui, h: HttpDeps): void {
  const { deps } = h;
  const values = () => {
    const saved = readClusterSettings(deps);
    return {
      configured: saved !== null,
      kubeconfigSet: Boolean(saved?.kubeconfig),
      inCluster: saved?.settings.inCluster ? "on" : "",
      context: saved?.settings.context ?? "",
      namespace: saved?.settings.namespace ?? "berth",
      ingressClass: saved?.settings.ingressClass ?? "",
      failWindowSeconds: String(saved?.settings.failWindowSeconds ?? 60),
    };
  };
  const page = (
    c: Context<Env>,
    extra: { errors?: FieldErrors; saved?: boolean; check?: unknown; form?: object } = {},
    status: 200 | 422 = 200,
  ) =>
    render(c, {
      page: "pages/containers/cluster.njk",
      partial: "partials/containers/_cluster.njk",
      ctx: {
        title: "Kubernetes · Settings",
        nav: "settings",
        form: { ...values(), ...extra.form },
        errors: extra.errors ?? {},
        saved: extra.saved,
        check: extra.check,
      },
      status,
    });

  ui.get("/settings/kubernetes", guard("settings.manage"), (c) => page(c));
  ui.post("/settings/kubernetes", guard("settings.manage"), async (c) => {
    const f = await readForm(c);
    const window = /^\d+$/.test(f.failWindowSeconds ?? "")
      ? Number(f.failWindowSeconds)
      : f.failWindowSeconds;
    const done = await attempt(() =>
      saveClusterSettings(deps, {
        inCluster: f.inCluster === "on",
        kubeconfig: f.kubeconfig || undefined,
        context: f.context || undefined,
        namespace: f.namespace || undefined,
        ingressClass: f.ingressClass || null,
        failWindowSeconds: window || undefined,
      }),
    );
    if (!done.ok) {
      const { kubeconfig: _dropped, ...kept } = f;
      return page(c, { errors: done.errors, form: kept }, 422);
    }
    return page(c, { saved: true });
  });
  ui.post("/settings/kubernetes/check", guard("settings.manage"), async (c) => {
    const done = await attempt(() => checkCluster(deps));
    return page(c, done.ok ? { check: done.value } : { errors: { check: done.error.message } });
  });
}
