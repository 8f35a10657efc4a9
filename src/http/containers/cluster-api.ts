import { createRoute, z } from "@hono/zod-openapi";
import {
  checkCluster,
  readClusterSettings,
  saveClusterSettings,
} from "../../services/containers/cluster.ts";
import type { Api, HttpDeps } from "../context.ts";
import { guard } from "../middleware/access.ts";
import { errors, json } from "../schemas.ts";
import { jsonBody } from "./body.ts";

const KubernetesSettings = z
  .object({
    configured: z.boolean(),
    inCluster: z.boolean(),
    kubeconfigSet: z.boolean().openapi({ description: "A kubeconfig is saved (never shown)." }),
    context: z.string().nullable(),
    namespace: z.string(),
    ingressClass: z.string().nullable(),
    failWindowSeconds: z.number(),
  })
  .openapi("KubernetesSettings");

const KubernetesSettingsBody = z
  .object({
    kubeconfig: z.string().optional().openapi({ description: "Absent: keep the saved one." }),
    context: z.string().optional(),
    namespace: z.string().optional().openapi({ example: "berth" }),
    ingressClass: z.string().nullable().optional(),
    inCluster: z.boolean().optional(),
    failWindowSeconds: z.number().optional().openapi({ example: 60 }),
  })
  .openapi("KubernetesSettingsBody");

const CheckResult = z
  .object({
    version: z.string(),
    namespace: z.string(),
    namespaceStatus: z.string(),
    ok: z.boolean(),
    missing: z.array(z.string()),
    verbs: z.array(
      z.object({ verb: z.string(), resource: z.string(), group: z.string(), allowed: z.boolean() }),
    ),
  })
  .openapi("KubernetesCheck");

export function clusterApi(app: Api, h: HttpDeps): void {
  const { deps } = h;
  const view = () => {
    const saved = readClusterSettings(deps);
    return {
      configured: saved !== null,
      inCluster: saved?.settings.inCluster ?? false,
      kubeconfigSet: Boolean(saved?.kubeconfig),
      context: saved?.settings.context ?? null,
      namespace: saved?.settings.namespace ?? "berth",
      ingressClass: saved?.settings.ingressClass ?? null,
      failWindowSeconds: saved?.settings.failWindowSeconds ?? 60,
    };
  };
  app.openapi(
    createRoute({
      method: "get",
      path: "/settings/kubernetes",
      middleware: [guard("settings.manage")] as const,
      tags: ["settings"],
      summary: "The Kubernetes connection (the kubeconfig is never returned)",
      responses: { 200: json(KubernetesSettings, "Settings") },
    }),
    (c) => c.json(view(), 200),
  );
  app.openapi(
    createRoute({
      method: "put",
      path: "/settings/kubernetes",
      middleware: [guard("settings.manage")] as const,
      tags: ["settings"],
      summary: "Connect a cluster: a kubeconfig (stored encrypted) or in-cluster credentials",
      request: { body: { content: { "application/json": { schema: KubernetesSettingsBody } } } },
      responses: { 200: json(KubernetesSettings, "Saved"), ...errors(400, 422) },
    }),
    async (c) => {
      saveClusterSettings(deps, await jsonBody(c));
      return c.json(view(), 200);
    },
  );
  app.openapi(
    createRoute({
      method: "post",
      path: "/settings/kubernetes/check",
      middleware: [guard("settings.manage")] as const,
      tags: ["settings"],
      summary: "Server version, and whether the credentials may do each verb Berth needs",
      responses: { 200: json(CheckResult, "Result"), ...errors(409, 502) },
    }),
    async (c) => c.json(await checkCluster(deps), 200),
  );
}
