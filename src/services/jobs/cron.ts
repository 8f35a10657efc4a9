import { Cron } from "croner";
import { unprocessable } from "../../domain/errors.ts";
import { assertTimeZone } from "../../domain/jobs/jobs.ts";

/**
 * Cron schedules by croner, whose daylight-saving rules follow Vixie cron: a fixed-time
 * job (no wildcard or step in its seconds, minutes and hours) runs once when its time
 * occurs twice and right after the gap when it does not exist; an interval job runs on
 * both passes of a repeated hour and skips times in a gap.
 */
const parsed = new Map<string, Cron>();
const PARSED_MAX = 10_000;

function schedule(expr: string, timezone: string): Cron {
  const key = `${timezone}\n${expr}`;
  const hit = parsed.get(key);
  if (hit) return hit;
  if (parsed.size >= PARSED_MAX) parsed.clear();
  const cron = parse(expr, timezone);
  parsed.set(key, cron);
  return cron;
}

function parse(expr: string, timezone: string): Cron {
  return new Cron(expr, {
    timezone,
    paused: true,
    mode: "5-or-6-parts",
    fixedTimeRule: "no-wildcard",
  });
}

/** 422 naming `cron` or `timezone` unless both are valid. */
export function assertSchedule(expr: string, timezone: string): void {
  assertTimeZone(timezone);
  try {
    const c = parse(expr, timezone);
    if (!c.nextRun()) throw new Error("never fires");
  } catch (err) {
    throw unprocessable(
      "invalid_cron",
      `"${expr}" is not a cron expression that fires (${(err as Error).message}).`,
      "cron",
    );
  }
}

/** The first fire strictly after `after` (ms), or null. */
export function nextFire(expr: string, timezone: string, after: number): number | null {
  return schedule(expr, timezone).nextRun(new Date(after))?.getTime() ?? null;
}
