import type { Kube } from "../../adapters/kubernetes/client.ts";
import type { KubeObject, Watcher } from "../../adapters/kubernetes/watcher.ts";
import { rolloutStatus } from "../../domain/containers/rollout.ts";
import type { LogLevel } from "../../domain/releases/deployment.ts";
import { journal } from "../core/journal.ts";
import type { ContainersDeps } from "./deps.ts";

/**
 * Follows one rollout through watches on the Deployment, its pods and their events, and
 * writes each step to a release log as it happens. Success is kubectl's rule; failure is
 * a pod stuck in a pull, config or crash-loop state for longer than the window, or the
 * progress deadline, whichever comes first.
 */
export type FollowContext = {
  deps: ContainersDeps;
  kube: Kube;
  /** The deployment whose pods are followed (their berth.dev/deployment label). */
  deploymentId: string;
  /** The release log the lines go to. */
  logTo: string;
  step: "rollout" | "recover";
  /** The Kubernetes Deployment's name. */
  name: string;
  /** Secret values that must never reach the log. */
  mask: string[];
  windowMs: number;
};

export type FollowResult =
  | { ok: true; digest: string | null; replicas: number }
  | { ok: false; code: string; message: string };

const STUCK: Record<string, string> = {
  ErrImagePull: "image_pull",
  ImagePullBackOff: "image_pull",
  InvalidImageName: "image_pull",
  CreateContainerConfigError: "config_error",
  CreateContainerError: "config_error",
  CrashLoopBackOff: "crash_loop",
};

type PodState = {
  ready: boolean;
  waiting: string | null;
  restarts: number;
  badSince: number | null;
  badReason: string | null;
  crashLogged: boolean;
};

// biome-ignore lint/suspicious/noExplicitAny: watch objects are plain Kubernetes JSON
type Obj = any;

export function followRollout(ctx: FollowContext): Promise<FollowResult> {
  const { deps, kube, deploymentId } = ctx;
  const maskLine = (s: string) =>
    ctx.mask.reduce((acc, m) => (m.length >= 3 ? acc.split(m).join("[redacted]") : acc), s);
  const note = (message: string, level: LogLevel = "info") =>
    journal(deps, ctx.logTo, (_tx, n) => n(ctx.step, maskLine(message), level));
  const selector = `berth.dev/deployment=${deploymentId}`;
  const pods = new Map<string, PodState>();
  const seen = new Set<string>();
  const pending = new Map<string, Obj[]>();
  const watchers: Watcher[] = [];
  let finished = false;
  let concluding = false;
  let digest: string | null = null;

  return new Promise<FollowResult>((resolve) => {
    const finish = (r: FollowResult) => {
      if (finished) return;
      finished = true;
      clearInterval(timer);
      for (const w of watchers) w.stop();
      resolve(r);
    };

    const onEvent = (e: Obj) => {
      // a repeated event (count + 1) says nothing new: each reason and message once per pod
      const key = `${e.involvedObject?.uid}/${e.reason}/${e.message}`;
      if (seen.has(key)) return;
      seen.add(key);
      const level: LogLevel = e.type === "Warning" ? "warn" : "info";
      note(`pod ${e.involvedObject.name}: ${e.reason}: ${e.message}`, level);
    };

    const crashed = async (name: string, status: Obj) => {
      const term = status.lastState?.terminated;
      const why = term ? `exit code ${term.exitCode} (${term.reason ?? "Error"})` : "exited";
      note(
        `pod ${name}: CrashLoopBackOff: the container ${why}, restarted ${status.restartCount} time(s)`,
        "error",
      );
      const text = await kube.log(name, { previous: true, tail: 50 }).catch(() => "");
      const lines = text.split("\n").filter((l) => l !== "");
      if (lines.length === 0) return;
      note(`pod ${name}: the last ${lines.length} lines of the crashed container's log:`, "error");
      journal(deps, ctx.logTo, (_tx, n) => {
        for (const l of lines) n(ctx.step, `  | ${maskLine(l)}`, "error");
      });
    };

    const onPod = (type: string, pod: Obj) => {
      const name: string = pod.metadata.name;
      if (type === "DELETED") {
        pods.delete(name);
        return;
      }
      let s = pods.get(name);
      if (!s) {
        s = {
          ready: false,
          waiting: null,
          restarts: 0,
          badSince: null,
          badReason: null,
          crashLogged: false,
        };
        pods.set(name, s);
        note(`pod ${name} created`);
        for (const e of pending.get(name) ?? []) onEvent(e);
        pending.delete(name);
      }
      const status = pod.status?.containerStatuses?.[0];
      if (!status) return;
      const waiting = status.state?.waiting;
      const reason: string | null = waiting?.reason ?? null;
      if (
        reason &&
        reason !== s.waiting &&
        reason !== "ContainerCreating" &&
        reason !== "PodInitializing"
      ) {
        if (reason === "CrashLoopBackOff") {
          if (!s.crashLogged) {
            s.crashLogged = true;
            void crashed(name, status);
          }
        } else {
          note(
            `pod ${name}: ${reason}${waiting.message ? `: ${waiting.message}` : ""}`,
            STUCK[reason] ? "error" : "warn",
          );
        }
      }
      const term = status.lastState?.terminated;
      if (term?.reason === "OOMKilled" && status.restartCount > s.restarts) {
        note(
          `pod ${name}: OOMKilled: exit code ${term.exitCode}; raise resources.limits.memory`,
          "error",
        );
      }
      s.waiting = reason;
      s.restarts = status.restartCount ?? 0;
      if (reason && STUCK[reason] && s.badSince === null) {
        s.badSince = Date.now();
        s.badReason = reason;
      }
      const ready = status.ready === true;
      if (ready && !s.ready) {
        s.badSince = null;
        const n = [...pods.values()].filter((p) => p.ready).length + 1;
        note(`pod ${name} is ready (${n} ready)`);
        const id: string = status.imageID ?? "";
        if (id.includes("@sha256:")) digest = id.slice(id.indexOf("@") + 1);
      }
      s.ready = ready;
    };

    const onDeployment = (d: Obj) => {
      if (d.metadata?.annotations?.["berth.dev/deployment"] !== deploymentId) return;
      const progressing = (d.status?.conditions ?? []).find((c: Obj) => c.type === "Progressing");
      const verdict = rolloutStatus({
        generation: d.metadata.generation ?? 0,
        observedGeneration: d.status?.observedGeneration ?? 0,
        replicas: d.spec?.replicas ?? 1,
        statusReplicas: d.status?.replicas ?? 0,
        updatedReplicas: d.status?.updatedReplicas ?? 0,
        availableReplicas: d.status?.availableReplicas ?? 0,
        progressingReason: progressing?.reason ?? null,
      });
      if (verdict.done) {
        if (concluding) return;
        concluding = true;
        const replicas = d.spec?.replicas ?? 1;
        const available = d.status?.availableReplicas ?? 0;
        // the pods and events watches may trail the Deployment's: what the pods went through
        // (readiness, the image digest, events) is read once more before the verdict
        const ignore = () => undefined;
        void kube
          .pods(selector)
          .then((listed) => {
            for (const pod of listed) onPod("MODIFIED", pod as unknown as Obj);
          }, ignore)
          .then(() =>
            Promise.all(
              [...pods.keys()].map((pod) =>
                kube.podEvents(pod).then((events) => {
                  for (const e of events) onEvent(e as Obj);
                }, ignore),
              ),
            ),
          )
          .then(() => {
            note(
              `Deployment ${ctx.name} ${verdict.message}: ${available} of ${replicas} replicas available`,
            );
            finish({ ok: true, digest, replicas });
          });
      } else if (verdict.failed) {
        finish({
          ok: false,
          code: "progress_deadline",
          message: `${verdict.message} (${progressing?.message ?? ""})`,
        });
      }
    };

    const started = Date.now();
    // the cluster's own deadline (600 s) reaches Berth only while the cluster answers
    const deadlineMs = 600_000 + ctx.windowMs;
    const timer = setInterval(() => {
      const now = Date.now();
      if (now - started > deadlineMs) {
        finish({
          ok: false,
          code: "progress_deadline",
          message: `no rollout verdict after ${Math.round(deadlineMs / 1000)} s`,
        });
        return;
      }
      for (const [name, s] of pods) {
        if (s.badSince !== null && now - s.badSince >= ctx.windowMs) {
          const seconds = Math.round((now - s.badSince) / 1000);
          finish({
            ok: false,
            code: STUCK[s.badReason ?? ""] ?? "stuck",
            message: `pod ${name} has been in ${s.badReason} for ${seconds} s (window ${Math.round(ctx.windowMs / 1000)} s)`,
          });
          return;
        }
      }
    }, 200);

    watchers.push(
      kube.watch("pods", { labelSelector: selector }, (type, o: KubeObject) => onPod(type, o)),
      kube.watch("events", { fieldSelector: "involvedObject.kind=Pod" }, (_type, o: KubeObject) => {
        const e = o as Obj;
        const pod: string = e.involvedObject?.name ?? "";
        if (pods.has(pod)) onEvent(e);
        else if (pod.startsWith(`${ctx.name}-`)) {
          const list = pending.get(pod) ?? [];
          if (list.length < 100) list.push(e);
          pending.set(pod, list);
        }
      }),
      kube.watch("deployments", { fieldSelector: `metadata.name=${ctx.name}` }, (type, o) => {
        if (type !== "DELETED") onDeployment(o);
      }),
    );
  });
}
