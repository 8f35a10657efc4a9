import { randomBytes } from "node:crypto";
import type { Task, TaskEnd, TaskKind, TasksRepo } from "../db/tasks-repo.ts";
import type { Logger } from "../log.ts";

export type TaskHandler = (task: Task, signal: AbortSignal) => Promise<TaskEnd>;

export type WorkerPoolOptions = {
  tasks: TasksRepo;
  handlers: Partial<Record<TaskKind, TaskHandler>>;
  /** The kinds this pool takes; every kind it has a handler for when absent. */
  kinds?: TaskKind[];
  concurrency: number;
  logger: Logger;
  leaseMs?: number;
  pollMs?: number;
};

export type WorkerPool = {
  /** Wakes idle workers at once (after an enqueue) instead of at the next poll. */
  poke(): void;
  /** Asks the running task of that subject to stop; true when one was running here. */
  abort(kind: TaskKind, subjectId: string): boolean;
  /** Stops taking tasks and waits for the running ones to end. */
  stop(): Promise<void>;
  running(): number;
};

/**
 * `concurrency` workers taking tasks from the durable queue under a lease, kept alive by
 * a heartbeat. A handler's answer ends the task; a throw ends it failed.
 */
export function startWorkers(opts: WorkerPoolOptions): WorkerPool {
  const owner = `${process.pid}-${randomBytes(4).toString("hex")}`;
  const leaseMs = opts.leaseMs ?? 30_000;
  const pollMs = opts.pollMs ?? 1_000;
  const kinds = opts.kinds ?? (Object.keys(opts.handlers) as TaskKind[]);
  const controllers = new Map<string, AbortController>();
  let stopping = false;
  const sleepers = new Set<() => void>();

  const nap = () =>
    new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, pollMs);
      sleepers.add(done);
    });

  async function runOne(task: Task): Promise<void> {
    const key = `${task.kind}:${task.subjectId}`;
    const controller = new AbortController();
    controllers.set(key, controller);
    const beat = setInterval(
      () => {
        if (!opts.tasks.heartbeat(task.id, owner, leaseMs)) controller.abort();
      },
      Math.max(50, Math.floor(leaseMs / 3)),
    );
    let end: TaskEnd = "failed";
    try {
      const handler = opts.handlers[task.kind];
      if (!handler) throw new Error(`no handler for ${task.kind} tasks`);
      end = await handler(task, controller.signal);
    } catch (err) {
      opts.logger.error({ err, task: task.id, kind: task.kind }, "task failed");
    } finally {
      clearInterval(beat);
      controllers.delete(key);
      opts.tasks.finish(task.id, end);
    }
  }

  async function worker(): Promise<void> {
    while (!stopping) {
      const task = opts.tasks.claim(owner, leaseMs, Date.now(), kinds);
      if (task) await runOne(task);
      else await nap();
    }
  }

  const loops = Array.from({ length: Math.max(1, opts.concurrency) }, () => worker());
  return {
    poke() {
      for (const s of [...sleepers]) s();
    },
    abort(kind, subjectId) {
      const c = controllers.get(`${kind}:${subjectId}`);
      c?.abort();
      return Boolean(c);
    },
    async stop() {
      stopping = true;
      for (const s of [...sleepers]) s();
      for (const c of controllers.values()) c.abort();
      await Promise.all(loops);
    },
    running: () => controllers.size,
  };
}
