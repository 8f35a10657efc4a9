import { createTrafficRepo, type TrafficHour } from "../../db/usage/traffic-repo.ts";
import type { Deps } from "../core/deps.ts";

const HOUR = 3_600_000;

/**
 * Requests and bytes served per environment per hour. Serving adds to an in-memory
 * counter (two additions per request); a timer writes it out in one transaction.
 */
export function createTraffic(deps: Deps, clock: () => number = Date.now) {
  const repo = createTrafficRepo(deps.db);
  let pending = new Map<string, TrafficHour>();
  const flush = () => {
    if (pending.size === 0) return;
    const rows = [...pending.values()];
    pending = new Map();
    repo.add(rows);
  };
  return {
    count(environmentId: number, bytes: number): void {
      this.add(environmentId, 1, bytes);
    },
    /** Several requests at once (read from nginx's log), in the current hour. */
    add(environmentId: number, requests: number, bytes: number): void {
      const hour = Math.floor(clock() / HOUR) * HOUR;
      const key = `${environmentId}:${hour}`;
      const row = pending.get(key);
      if (row) {
        row.requests += requests;
        row.bytes += bytes;
      } else pending.set(key, { environmentId, hour, requests, bytes });
    },
    flush,
    /** Per environment, the last `hours` hours oldest first (stored and not yet flushed). */
    hours(environmentIds: number[], hours = 24) {
      const end = Math.floor(clock() / HOUR) * HOUR;
      const start = end - (hours - 1) * HOUR;
      const out = new Map<number, { requests: number[]; bytes: number[] }>();
      for (const id of environmentIds)
        out.set(id, { requests: Array(hours).fill(0), bytes: Array(hours).fill(0) });
      const rows = [...repo.since(environmentIds, start), ...pending.values()];
      for (const r of rows) {
        const slot = out.get(r.environmentId);
        const i = (r.hour - start) / HOUR;
        if (!slot || i < 0 || i >= hours) continue;
        slot.requests[i] = (slot.requests[i] ?? 0) + r.requests;
        slot.bytes[i] = (slot.bytes[i] ?? 0) + r.bytes;
      }
      return out;
    },
    /** Flushes every `everyMs` and keeps 30 days; returns the stop. */
    start(everyMs = 30_000): () => void {
      const timer = setInterval(() => {
        try {
          flush();
          repo.prune(clock() - 30 * 24 * HOUR);
        } catch (err) {
          deps.logger.error({ err }, "site traffic could not be written");
        }
      }, everyMs);
      timer.unref();
      return () => {
        clearInterval(timer);
        flush();
      };
    },
  };
}

export type Traffic = ReturnType<typeof createTraffic>;
