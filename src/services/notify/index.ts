import type { Db } from "../../db/client.ts";
import { writeTx } from "../../db/client.ts";
import type { TasksRepo } from "../../db/core/tasks-repo.ts";
import { createChannelsRepo } from "../../db/notify/channels-repo.ts";
import { createDeliveriesRepo } from "../../db/notify/deliveries-repo.ts";
import type { Notification, NotifyEvent } from "../../domain/notify/notify.ts";
import type { Logger } from "../../log.ts";
import type { Events } from "../core/events.ts";
import type { Secrets } from "../core/secrets.ts";
import { messages } from "./messages.ts";

export type NotifyOptions = {
  db: Db;
  events: Events;
  secrets: Secrets;
  tasks: TasksRepo;
  logger: Logger;
  /** Deliveries may go to loopback and private addresses (BERTH_NOTIFY_ALLOW_PRIVATE). */
  allowPrivate?: boolean;
  /** Extra CA for SMTP STARTTLS (tests with a private CA). */
  smtpCa?: string;
  onOutcome?: (outcome: "sent" | "failed") => void;
};

export type Notify = ReturnType<typeof createNotify>;

/**
 * Turns events into queued deliveries: one row per matching rule's channel, committed with
 * its queue task, so a crash loses none and a dead endpoint holds up nothing else.
 */
export function createNotify(o: NotifyOptions) {
  const repos = { channels: createChannelsRepo(o.db), deliveries: createDeliveriesRepo(o.db) };
  let poke = () => {};
  const outcomes = new Set<(outcome: "sent" | "failed") => void>();

  function queue(channelIds: number[], n: Notification): number[] {
    if (channelIds.length === 0) return [];
    const ids = writeTx(o.db, (tx) =>
      channelIds.map((channelId) => {
        const d = repos.deliveries.insert(tx, {
          channelId,
          event: n.event,
          payload: n,
          status: "queued",
          createdAt: n.at,
        });
        o.tasks.enqueue(tx, "notify", String(d.id), n.at);
        return d.id;
      }),
    );
    poke();
    return ids;
  }

  function dispatch(event: NotifyEvent, n: Notification): void {
    const channels = [
      ...new Set(repos.channels.matching(event, n.service).map((r) => r.channelId)),
    ];
    queue(channels, n);
  }

  const on = <K extends Exclude<keyof typeof messages, "build.failed">>(
    name: K,
    event: NotifyEvent,
  ) =>
    o.events.on(name, (e) => {
      // biome-ignore lint/suspicious/noExplicitAny: each message builder takes its own event
      dispatch(event, (messages[name] as (e: any, at: number) => Notification)(e, Date.now()));
    });
  on("deployment.live", "deployment.live");
  on("deployment.failed", "deployment.failed");
  on("rollback", "rollback");
  on("monitor.down", "monitor.down");
  on("monitor.up", "monitor.up");
  on("certificate.expiring", "certificate.expiring");
  o.events.on("build.finished", (e) => {
    if (e.status === "failed") dispatch("build.failed", messages["build.failed"](e, Date.now()));
  });

  return {
    repos,
    options: o,
    queue,
    /** At start-up: deliveries whose attempt a stop cut off are queued again. */
    recover(): number {
      const ids = repos.deliveries.orphaned();
      if (ids.length)
        writeTx(o.db, (tx) => {
          for (const id of ids) o.tasks.enqueue(tx, "notify", String(id));
        });
      return ids.length;
    },
    setPoke(fn: () => void) {
      poke = fn;
    },
    onOutcome(fn: (outcome: "sent" | "failed") => void) {
      outcomes.add(fn);
    },
    outcome(x: "sent" | "failed") {
      for (const fn of outcomes) fn(x);
    },
  };
}
