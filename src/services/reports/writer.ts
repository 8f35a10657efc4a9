import type { RecordInput, RecordResult } from "../../db/reports/groups-repo.ts";

type Sink = {
  recordMany(items: RecordInput[]): RecordResult[];
  changed(serviceId: number, res: Exclude<RecordResult, { duplicate: true }>): void;
  onError(err: unknown, lost: number): void;
};

/**
 * Group commit for the intake: events answered at once are written together, within
 * `delayMs` or as soon as `batch` are waiting, in one transaction. Anything that reads
 * groups calls `flush()` first, so a read never misses an event already answered.
 * An event_id waiting in the batch counts as stored (a repeat is dropped).
 */
export function createWriter(sink: Sink, delayMs = 10, batch = 500) {
  let pending: RecordInput[] = [];
  let ids = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | null = null;
  const flush = (): void => {
    if (timer) {
      clearTimeout(timer);
      timer = null;
    }
    if (pending.length === 0) return;
    const items = pending;
    pending = [];
    ids = new Set();
    let results: RecordResult[];
    try {
      results = sink.recordMany(items);
    } catch (err) {
      sink.onError(err, items.length);
      return;
    }
    results.forEach((res, i) => {
      if (!res.duplicate) sink.changed((items[i] as RecordInput).serviceId, res);
    });
  };
  return {
    /** Queues one event; false when its event_id is already waiting. */
    add(item: RecordInput): boolean {
      const key = `${item.serviceId}:${item.event.eventId}`;
      if (ids.has(key)) return false;
      ids.add(key);
      pending.push(item);
      if (pending.length >= batch) flush();
      else if (!timer) timer = setTimeout(flush, delayMs);
      return true;
    },
    flush,
    get waiting() {
      return pending.length;
    },
  };
}
