// biome-ignore-all lint/suspicious/noExplicitAny: the fake handles arbitrary Kubernetes JSON
import { createHash } from "node:crypto";
import type { Cluster } from "./cluster.ts";

/**
 * A kubelet in stages, after kwok's pod stages: each pod moves one stage per `stageMs`.
 * What happens is chosen by the image name, so a test says what it wants by naming it:
 * `crash` crash-loops (exit 1), `oom` is OOMKilled (exit 137), `pull-fail`/`nosuch`
 * cannot be pulled, `unready`/`probe-fail` runs but fails its readiness probe; anything
 * else starts and becomes ready. A missing Secret gives CreateContainerConfigError.
 */
type Behaviour = "ok" | "crash" | "oom" | "pullfail" | "unready";
type Sim = { stage: string; at: number; restarts: number; beat: number };

const sims = new WeakMap<Cluster, Map<string, Sim>>();

export function behaviourOf(image: string): Behaviour {
  if (/crash/.test(image)) return "crash";
  if (/oom/.test(image)) return "oom";
  if (/pull-?fail|nosuch|notfound/.test(image)) return "pullfail";
  if (/unready|probe-?fail/.test(image)) return "unready";
  return "ok";
}

export const imageId = (image: string) =>
  `${image.split("@")[0]?.replace(/:[^/:]*$/, "")}@sha256:${createHash("sha256").update(image).digest("hex")}`;

function missingSecret(c: Cluster, pod: any): string | undefined {
  const ns = pod.metadata.namespace;
  for (const ctr of pod.spec.containers ?? []) {
    for (const from of ctr.envFrom ?? []) {
      const name = from.secretRef?.name;
      if (name && !from.secretRef.optional && !c.store.get("secrets", ns, name)) return name;
    }
    for (const e of ctr.env ?? []) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref && !ref.optional && !c.store.get("secrets", ns, ref.name)) return ref.name;
    }
  }
  return undefined;
}

function setContainers(pod: any, state: any, ready: boolean, sim: Sim, last?: any) {
  pod.status.containerStatuses = (pod.spec.containers ?? []).map((ctr: any) => ({
    name: ctr.name,
    image: ctr.image,
    imageID: sim.stage === "pending" || state.waiting ? "" : imageId(ctr.image),
    ready,
    started: Boolean(state.running),
    restartCount: sim.restarts,
    state,
    lastState: last ?? pod.status.containerStatuses?.[0]?.lastState ?? {},
  }));
  const now = new Date().toISOString();
  const cond = (type: string, ok: boolean) => ({
    type,
    status: ok ? "True" : "False",
    lastTransitionTime: now,
  });
  pod.status.conditions = [
    cond("PodScheduled", Boolean(pod.spec.nodeName)),
    cond("Initialized", true),
    cond("ContainersReady", ready),
    cond("Ready", ready),
  ];
}

export function stepPods(c: Cluster): void {
  let byUid = sims.get(c);
  if (!byUid) {
    byUid = new Map();
    sims.set(c, byUid);
  }
  const now = Date.now();
  const { stageMs, backoffMs } = c.opts;
  for (const pod of c.store.list("pods")) {
    const uid = pod.metadata.uid;
    let sim = byUid.get(uid);
    if (!sim) {
      sim = { stage: "pending", at: now, restarts: 0, beat: 0 };
      byUid.set(uid, sim);
    }
    const wait = sim.stage === "backoff" || sim.stage === "pullbackoff" ? backoffMs : stageMs;
    if (now - sim.at < wait) continue;
    sim.at = now;
    advance(c, pod, sim);
  }
}

function advance(c: Cluster, pod0: any, sim: Sim): void {
  const ns = pod0.metadata.namespace;
  const name = pod0.metadata.name;
  const ctr = pod0.spec.containers?.[0] ?? { name: "app", image: "" };
  const image: string = ctr.image;
  const behaviour = behaviourOf(image);
  const ev = (type: "Normal" | "Warning", reason: string, msg: string) =>
    c.event(c.store.get("pods", ns, name), type, reason, msg, "kubelet");
  const log = (line: string) => c.writeLog(ns, name, ctr.name, line);
  const write = (mutate: (p: any) => void) =>
    c.update("pods", pod0, (p) => {
      p.status ??= {};
      mutate(p);
    });
  const waiting = (reason: string, message: string) => ({ waiting: { reason, message } });

  switch (sim.stage) {
    case "pending":
      write((p) => {
        p.spec.nodeName = "fake-node-1";
        p.status.phase = "Pending";
        p.status.hostIP = "10.0.0.1";
        p.status.podIP = `10.244.0.${(name.length * 7) % 250}`;
        p.status.startTime = new Date().toISOString();
        setContainers(p, waiting("ContainerCreating", ""), false, sim);
      });
      ev("Normal", "Scheduled", `Successfully assigned ${ns}/${name} to fake-node-1`);
      sim.stage = "config";
      return;
    case "config": {
      const missing = missingSecret(c, pod0);
      if (missing) {
        const msg = `secret "${missing}" not found`;
        write((p) => setContainers(p, waiting("CreateContainerConfigError", msg), false, sim));
        ev("Warning", "Failed", `Error: ${msg}`);
        return;
      }
      ev("Normal", "Pulling", `Pulling image "${image}"`);
      sim.stage = "pull";
      return;
    }
    case "pull":
    case "pullbackoff":
      if (behaviour === "pullfail") {
        const msg = `rpc error: code = NotFound desc = failed to pull and unpack image "${image}": failed to resolve reference "${image}": ${image}: not found`;
        if (sim.stage === "pull") {
          write((p) => setContainers(p, waiting("ErrImagePull", msg), false, sim));
          ev("Warning", "Failed", `Failed to pull image "${image}": ${msg}`);
          ev("Warning", "Failed", "Error: ErrImagePull");
          sim.stage = "pullbackoff";
        } else {
          write((p) =>
            setContainers(
              p,
              waiting("ImagePullBackOff", `Back-off pulling image "${image}"`),
              false,
              sim,
            ),
          );
          ev("Normal", "BackOff", `Back-off pulling image "${image}"`);
          ev("Warning", "Failed", "Error: ImagePullBackOff");
          sim.stage = "pull";
        }
        return;
      }
      ev(
        "Normal",
        "Pulled",
        `Successfully pulled image "${image}" in 812ms (812ms including waiting)`,
      );
      sim.stage = "create";
      return;
    case "create":
    case "backoff":
      ev("Normal", "Created", `Created container: ${ctr.name}`);
      sim.stage = "start";
      return;
    case "start": {
      const startedAt = new Date().toISOString();
      write((p) => {
        p.status.phase = "Running";
        setContainers(p, { running: { startedAt } }, false, sim);
      });
      ev("Normal", "Started", `Started container ${ctr.name}`);
      log(`starting ${image}`);
      if (behaviour === "crash" || behaviour === "oom") {
        log("connecting to the database at db:5432");
        for (let i = 1; i <= 60; i++) log(`retry ${i}: connection refused`);
        log(behaviour === "oom" ? "allocating cache" : "fatal: DATABASE_URL is not set");
        sim.stage = "die";
      } else {
        log(`listening on :${ctr.ports?.[0]?.containerPort ?? 8080}`);
        sim.stage = behaviour === "unready" ? "unready" : "ready";
      }
      return;
    }
    case "die": {
      const oom = behaviour === "oom";
      const terminated = {
        exitCode: oom ? 137 : 1,
        reason: oom ? "OOMKilled" : "Error",
        startedAt: pod0.status?.containerStatuses?.[0]?.state?.running?.startedAt,
        finishedAt: new Date().toISOString(),
      };
      c.rotateLog(ns, name, ctr.name);
      sim.restarts += 1;
      const msg = `back-off ${10 * 2 ** Math.min(sim.restarts - 1, 5)}s restarting failed container=${ctr.name} pod=${name}_${ns}(${pod0.metadata.uid})`;
      write((p) => setContainers(p, waiting("CrashLoopBackOff", msg), false, sim, { terminated }));
      ev(
        "Warning",
        "BackOff",
        `Back-off restarting failed container ${ctr.name} in pod ${name}_${ns}(${pod0.metadata.uid})`,
      );
      sim.stage = "backoff";
      return;
    }
    case "unready":
      ev("Warning", "Unhealthy", "Readiness probe failed: HTTP probe failed with statuscode: 503");
      return;
    case "ready":
      write((p) => {
        const running = p.status.containerStatuses?.[0]?.state ?? { running: {} };
        setContainers(p, running, true, sim);
      });
      sim.stage = "serving";
      return;
    case "serving":
      sim.beat += 1;
      if (sim.beat % 25 === 0) log(`GET /healthz 200 (${sim.beat / 25})`);
      return;
  }
}
