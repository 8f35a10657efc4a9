/**
 * `kubectl rollout status`'s rule (kubectl pkg/polymorphichelpers/rollout_status.go), over
 * the few Deployment fields it reads.
 */
export type DeploymentState = {
  generation: number;
  observedGeneration: number;
  replicas: number; // spec.replicas
  statusReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
  progressingReason: string | null;
};

export type RolloutVerdict =
  | { done: true; message: string }
  | { done: false; failed: boolean; message: string };

export function rolloutStatus(d: DeploymentState): RolloutVerdict {
  if (d.generation > d.observedGeneration) {
    return {
      done: false,
      failed: false,
      message: "Waiting for the deployment spec update to be observed",
    };
  }
  if (d.progressingReason === "ProgressDeadlineExceeded") {
    return { done: false, failed: true, message: "The rollout exceeded its progress deadline" };
  }
  if (d.updatedReplicas < d.replicas) {
    return {
      done: false,
      failed: false,
      message: `${d.updatedReplicas} of ${d.replicas} new replicas have been updated`,
    };
  }
  if (d.statusReplicas > d.updatedReplicas) {
    return {
      done: false,
      failed: false,
      message: `${d.statusReplicas - d.updatedReplicas} old replicas are pending termination`,
    };
  }
  if (d.availableReplicas < d.updatedReplicas) {
    return {
      done: false,
      failed: false,
      message: `${d.availableReplicas} of ${d.updatedReplicas} updated replicas are available`,
    };
  }
  return { done: true, message: "successfully rolled out" };
}
