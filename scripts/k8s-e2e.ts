/**
 * The containers flow of test/integration/containers.test.ts, against a real cluster
 * (kind, k3s, minikube...): a good rollout goes live, a crash-looping container fails
 * within the window and the last good snapshot comes back, a pull error is reported with
 * the registry's message, scale and restart work, deleting the service deletes its objects.
 *
 * Usage: KUBECONFIG=~/.kube/config node scripts/k8s-e2e.ts
 *   K8S_E2E_CONTEXT      a context of the kubeconfig (default: its current one)
 *   K8S_E2E_NAMESPACE    the namespace Berth uses (default berth-e2e; created if allowed)
 *   K8S_E2E_IMAGE        a web server image on port 80 (default nginx:1.27-alpine)
 *   K8S_E2E_BUSYBOX      an image with sh (default busybox:1.36)
 *   K8S_E2E_MISSING      an image that cannot be pulled (default registry.invalid/berth-e2e:missing)
 * The cluster must be able to pull those images. Nothing is left behind but the namespace.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type RunningServer, startServer } from "../test/helpers/server.ts";

const kubeconfigPath = process.env.KUBECONFIG;
if (!kubeconfigPath) {
  process.stderr.write("k8s-e2e: set KUBECONFIG to the kubeconfig of a test cluster\n");
  process.exit(2);
}
const namespace = process.env.K8S_E2E_NAMESPACE ?? "berth-e2e";
const web = process.env.K8S_E2E_IMAGE ?? "nginx:1.27-alpine";
const busybox = process.env.K8S_E2E_BUSYBOX ?? "busybox:1.36";
const missing = process.env.K8S_E2E_MISSING ?? "registry.invalid/berth-e2e:missing";
const WINDOW_S = 30;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "berth-k8s-e2e-"));
let server: RunningServer | undefined;
let failures = 0;

const say = (s: string) => process.stdout.write(`${s}\n`);
async function step(name: string, fn: () => Promise<void>) {
  const t0 = Date.now();
  try {
    await fn();
    say(`ok    ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (err) {
    failures += 1;
    say(`FAIL  ${name}: ${(err as Error).message}`);
  }
}
function check(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message);
}

const send = async (method: string, p: string, body?: unknown) => {
  const res = await (server as RunningServer).api(p, {
    method,
    headers: { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
};
const env = "/services/e2e/environments/production";

async function deployAndWait(image?: string, ms = 300_000) {
  const res = await send("POST", `${env}/deployments`, image ? { image } : {});
  check(res.status === 202, `deploy answered ${res.status}: ${JSON.stringify(res.body)}`);
  const end = Date.now() + ms;
  for (;;) {
    const log = await send("GET", `/deployments/${res.body.id}/log`);
    if (["live", "failed", "interrupted"].includes(log.body.status)) {
      const text = (log.body.lines as { message: string }[]).map((l) => l.message).join("\n");
      return { status: log.body.status as string, text };
    }
    check(Date.now() < end, `deployment ${res.body.id} still ${log.body.status}`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

const spec = (image: string, extra: object = {}) => ({
  image,
  port: 80,
  replicas: 2,
  secretEnv: { E2E_SECRET: "e2e-secret-value" },
  resources: { requests: { cpu: "10m", memory: "16Mi" } },
  readinessProbe: { httpGet: { path: "/" }, periodSeconds: 2 },
  ...extra,
});

try {
  server = await startServer(dir);
  await step("connect the cluster", async () => {
    const put = await send("PUT", "/settings/kubernetes", {
      kubeconfig: fs.readFileSync(kubeconfigPath, "utf8"),
      context: process.env.K8S_E2E_CONTEXT,
      namespace,
      failWindowSeconds: WINDOW_S,
    });
    check(put.status === 200, JSON.stringify(put.body));
    const c = await send("POST", "/settings/kubernetes/check");
    check(c.status === 200, JSON.stringify(c.body));
    say(
      `      ${c.body.version}, namespace ${c.body.namespace} (${c.body.namespaceStatus}); missing: ${c.body.missing.join(", ") || "none"}`,
    );
  });
  await step("a good image goes live", async () => {
    check(
      (await send("POST", "/services", { name: "e2e", kind: "container" })).status === 201,
      "create service",
    );
    check((await send("PUT", `${env}/container`, spec(web))).status === 200, "put spec");
    const r = await deployAndWait();
    check(r.status === "live", `ended ${r.status}:\n${r.text}`);
    check(!r.text.includes("e2e-secret-value"), "the secret reached the log");
  });
  await step(
    `a crash loop fails within the ${WINDOW_S} s window and the last good comes back`,
    async () => {
      const crash = spec(busybox, {
        command: ["sh", "-c", "echo starting; echo 'fatal: e2e crash'; exit 3"],
        readinessProbe: null,
      });
      check((await send("PUT", `${env}/container`, crash)).status === 200, "put crash spec");
      const r = await deployAndWait();
      check(r.status === "failed", `ended ${r.status}`);
      check(/exit code \d+/.test(r.text), `no exit code in:\n${r.text}`);
      check(r.text.includes("| fatal: "), "no last lines of the crashed container");
      check(r.text.includes("Healthy again"), `the last good did not come back:\n${r.text}`);
      check((await send("PUT", `${env}/container`, spec(web))).status === 200, "put spec back");
    },
  );
  await step("a pull error is reported with the registry's message", async () => {
    const r = await deployAndWait(missing);
    check(r.status === "failed", `ended ${r.status}`);
    check(/ErrImagePull|ImagePullBackOff/.test(r.text), `no pull error in:\n${r.text}`);
  });
  await step("scale, restart, pods, logs", async () => {
    check((await send("PUT", `${env}/scale`, { replicas: 3 })).status === 200, "scale");
    check((await send("POST", `${env}/restart`)).status === 200, "restart");
    const pods = await send("GET", `${env}/pods`);
    check(pods.body.items.length > 0, "no pods");
    const logs = await send("GET", `${env}/logs?tail=20`);
    check(logs.status === 200, `logs answered ${logs.status}`);
  });
  await step("deleting the service deletes its objects", async () => {
    check((await send("DELETE", "/services/e2e")).status < 300, "delete");
  });
} finally {
  await server?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
say(failures ? `${failures} step(s) failed` : "all steps passed");
process.exit(failures ? 1 : 0);
