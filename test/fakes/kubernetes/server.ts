import http, { type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { Cluster, type FakeOptions } from "./cluster.ts";
import { stepControllers } from "./controllers.ts";
import { handleCrud } from "./crud.ts";
import { findResource, groupList, resourceList } from "./discovery.ts";
import { serveAccessReview, serveLog, serveMetrics, serveScale } from "./extras.ts";
import { stepPods } from "./pods.ts";
import { fail, json } from "./respond.ts";
import { openWatches } from "./watch.ts";

export type FakeKube = {
  url: string;
  cluster: Cluster;
  /** A kubeconfig (YAML) for this fake, with its token. */
  kubeconfig: (namespace?: string) => string;
  /** Ends every open watch stream now. */
  closeWatches: () => void;
  stop: () => Promise<void>;
};

async function route(c: Cluster, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? "/", "http://fake");
  const q = url.searchParams;
  const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  c.requests.push({
    method: req.method ?? "GET",
    path: url.pathname,
    watch: q.get("watch") === "true",
  });
  if (c.opts.token && req.headers.authorization !== `Bearer ${c.opts.token}`) {
    return fail(res, 401, "Unauthorized");
  }
  if (url.pathname === "/version") {
    return json(res, 200, {
      major: "1",
      minor: "31",
      gitVersion: "v1.31.0-berth-fake",
      platform: "linux/amd64",
    });
  }
  if (url.pathname === "/api") return json(res, 200, { kind: "APIVersions", versions: ["v1"] });
  if (url.pathname === "/apis") return json(res, 200, groupList(c.opts.metrics));
  const core = parts[0] === "api";
  if (!core && parts[0] !== "apis")
    return fail(res, 404, "the server could not find the requested resource");
  const group = core ? "" : (parts[1] ?? "");
  const version = (core ? parts[1] : parts[2]) ?? "";
  const rest = parts.slice(core ? 2 : 3);
  if (rest.length === 0) {
    const list = resourceList(group, version, c.opts.metrics);
    return list
      ? json(res, 200, list)
      : fail(res, 404, "the server could not find the requested resource");
  }
  const namespaced = rest[0] === "namespaces" && rest.length >= 3;
  const ns = namespaced ? rest[1] : undefined;
  const [resource, name, sub] = namespaced ? rest.slice(2) : rest;
  if (group === "metrics.k8s.io" && resource === "pods" && ns)
    return serveMetrics(c, res, ns, name);
  if (group === "authorization.k8s.io" && resource === "selfsubjectaccessreviews") {
    return serveAccessReview(c, req, res);
  }
  const def = findResource(group, version, resource ?? "");
  if (!def || def.namespaced !== namespaced) {
    // cluster-wide lists of namespaced resources are allowed (GET /api/v1/pods)
    if (!(def && !namespaced && req.method === "GET" && !name)) {
      return fail(res, 404, "the server could not find the requested resource");
    }
  }
  if (sub === "log" && def.name === "pods" && ns && name) return serveLog(c, res, ns, name, q);
  if (sub === "scale" && def.name === "deployments" && ns && name) {
    return serveScale(c, req, res, ns, name, q);
  }
  if (sub && sub !== "status")
    return fail(res, 404, "the server could not find the requested resource");
  return handleCrud(c, req, res, { def, ns, name }, q);
}

/** Starts the fake API server on a free loopback port, with its controllers running. */
export async function startFakeKube(opts: FakeOptions = {}): Promise<FakeKube> {
  const cluster = new Cluster(opts);
  const server = http.createServer((req, res) => {
    route(cluster, req, res).catch((err: Error) => {
      if (!res.headersSent) fail(res, 500, err.message, "InternalError");
      else res.destroy();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tick = setInterval(() => {
    stepControllers(cluster);
    stepPods(cluster);
  }, cluster.opts.tickMs);
  const closeWatches = () => {
    for (const res of openWatches.get(cluster) ?? []) res.end();
  };
  return {
    url,
    cluster,
    kubeconfig: (namespace = "berth") =>
      [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: fake",
        "  cluster:",
        `    server: ${url}`,
        "    insecure-skip-tls-verify: true",
        "contexts:",
        "- name: fake",
        "  context:",
        "    cluster: fake",
        "    user: fake",
        `    namespace: ${namespace}`,
        "current-context: fake",
        "users:",
        "- name: fake",
        "  user:",
        `    token: ${opts.token ?? "none"}`,
        "",
      ].join("\n"),
    closeWatches,
    stop: async () => {
      clearInterval(tick);
      closeWatches();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
