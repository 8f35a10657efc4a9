/**
 * A small typed in-process event bus: what happened, for whoever listens (notifications,
 * metrics, monitors). Emitting never throws and never waits on a listener.
 */
export type BerthEvents = {
  "deployment.live": {
    service: string;
    environment: string;
    deploymentId: string;
    durationMs: number | null;
  };
  "deployment.failed": {
    service: string;
    environment: string;
    deploymentId: string;
    message: string;
    durationMs: number | null;
  };
  rollback: { service: string; environment: string; deploymentId: string };
  "build.started": { service: string; buildId: string };
  "build.finished": {
    service: string;
    buildId: string;
    status: string;
    message: string | null;
    durationMs: number | null;
  };
  "monitor.down": {
    monitorId: number;
    name: string;
    service: string | null;
    environment: string | null;
    message: string;
    incidentId: string;
    context: string | null;
  };
  "monitor.up": {
    monitorId: number;
    name: string;
    service: string | null;
    environment: string | null;
    incidentId: string;
    downForMs: number;
  };
  "certificate.expiring": {
    host: string;
    service: string | null;
    environment: string | null;
    daysLeft: number;
  };
  /** An application reported an error; its service's monitors go fast. */
  "error.reported": { service: string };
};

export type EventName = keyof BerthEvents;
type Listener<K extends EventName> = (payload: BerthEvents[K]) => void;

export type Events = {
  on<K extends EventName>(name: K, fn: Listener<K>): () => void;
  emit<K extends EventName>(name: K, payload: BerthEvents[K]): void;
};

export function createEvents(onError: (err: unknown, name: string) => void = () => {}): Events {
  const listeners = new Map<EventName, Set<(p: unknown) => void>>();
  return {
    on(name, fn) {
      const set = listeners.get(name) ?? new Set();
      listeners.set(name, set);
      const f = fn as (p: unknown) => void;
      set.add(f);
      return () => set.delete(f);
    },
    emit(name, payload) {
      for (const fn of listeners.get(name) ?? []) {
        try {
          fn(payload);
        } catch (err) {
          onError(err, name);
        }
      }
    },
  };
}
