import { randomUUID } from "node:crypto";
import { forbidden, invalid, RateLimited, tooLarge, unauthenticated } from "../../domain/errors.ts";
import { authHeaderKey, dsnKey, parseEnvelope } from "../../domain/reports/envelope.ts";
import {
  describe,
  groupingKey,
  parseSentryEvent,
  type ReportEvent,
  userKey,
} from "../../domain/reports/reports.ts";
import type { ReportsCore } from "./core.ts";
import { decodeBody, parseJson } from "./decode.ts";

export type IngestRequest = {
  projectId: string;
  body: Buffer;
  encoding: string | undefined;
  authHeader: string | undefined;
  queryKey: string | undefined;
};

const newEventId = () => randomUUID().replace(/-/g, "");

/** The project a key opens; 401 without a key, 403 for a key of another or no project. */
function authorise(r: ReportsCore, projectId: string, key: string | null): number {
  if (!key) throw unauthenticated("Send the DSN's public key (X-Sentry-Auth or sentry_key).");
  const serviceId = r.keys.serviceOfKey(key);
  if (serviceId === undefined || String(serviceId) !== projectId)
    throw forbidden("The DSN key is not valid for this project.");
  return serviceId;
}

function admit(r: ReportsCore, serviceId: number): void {
  const wait = r.limiter.take(serviceId);
  if (wait !== null) throw new RateLimited("Too many events for this project; slow down.", wait);
}

/** Groups and queues one event for the next write (once per event_id); returns its id. */
export function storeEvent(r: ReportsCore, serviceId: number, e: ReportEvent): string {
  const { title, culprit } = describe(e);
  r.writer.add({
    serviceId,
    key: groupingKey(e),
    title,
    culprit,
    event: e,
    user: userKey(e),
    now: r.clock(),
  });
  return e.eventId;
}

/** POST /api/{project}/envelope/: every `event` item is stored; other items are ignored. */
export function ingestEnvelope(r: ReportsCore, req: IngestRequest): string | null {
  const body = decodeBody(req.body, req.encoding, r.settings.maxEnvelopeBytes);
  const env = parseEnvelope(body, r.settings.maxEventBytes);
  const key = authHeaderKey(req.authHeader) ?? req.queryKey ?? dsnKey(env.header.dsn);
  const serviceId = authorise(r, req.projectId, key);
  const events = env.items.filter((i) => i.type === "event");
  let id = typeof env.header.event_id === "string" ? env.header.event_id : null;
  for (const item of events) {
    admit(r, serviceId);
    const raw = parseJson(item.payload) as Record<string, unknown> | null;
    const fallback = () =>
      typeof env.header.event_id === "string"
        ? env.header.event_id.replace(/-/g, "")
        : newEventId();
    id = storeEvent(r, serviceId, parseSentryEvent(raw, r.clock(), fallback));
  }
  return id;
}

/** POST /api/{project}/store/: the body is one event. */
export function ingestStore(r: ReportsCore, req: IngestRequest): string {
  const key = authHeaderKey(req.authHeader) ?? req.queryKey ?? null;
  const serviceId = authorise(r, req.projectId, key);
  const body = decodeBody(req.body, req.encoding, r.settings.maxEnvelopeBytes);
  if (body.length > r.settings.maxEventBytes)
    throw tooLarge("event_too_large", `An event may be at most ${r.settings.maxEventBytes} bytes.`);
  admit(r, serviceId);
  return storeEvent(r, serviceId, parseSentryEvent(parseJson(body), r.clock(), newEventId));
}

export type PlainReport = {
  message: string;
  level?: string;
  stack?: string;
  release?: string;
  environment?: string;
  tags?: Record<string, string>;
};

/** Frames out of a JavaScript-style (`at fn (file:line:col)`) or Python-style stack text. */
function framesOfText(stack: string) {
  const frames = stack
    .split("\n")
    .map((line) => {
      const js = /^\s*at (?:(.+?) \()?(.+?):(\d+)(?::(\d+))?\)?\s*$/.exec(line);
      if (js)
        return {
          function: js[1] ?? null,
          filename: js[2] ?? null,
          lineno: Number(js[3]),
          colno: js[4] ? Number(js[4]) : null,
        };
      const py = /^\s*File "(.+)", line (\d+), in (.+)$/.exec(line);
      if (py)
        return {
          function: py[3] ?? null,
          filename: py[1] ?? null,
          lineno: Number(py[2]),
          colno: null,
        };
      return null;
    })
    .filter((f) => f !== null)
    .map((f) => ({ ...f, inApp: !/node_modules|site-packages|^node:/.test(f.filename ?? "") }));
  // JavaScript prints the crashing frame first; Python last. Sentry's order is the latter.
  return /^\s*at /m.test(stack) ? frames.reverse() : frames;
}

/** POST /api/v1/services/{s}/reports: for apps without an SDK. */
export function ingestPlain(r: ReportsCore, serviceId: number, p: PlainReport): string {
  if (!p.message.trim()) throw invalid("invalid_request", "message: must not be empty", "message");
  admit(r, serviceId);
  const typeMatch = /^([A-Z]\w*(?:Error|Exception)):\s*(.*)$/.exec(p.message);
  const e = parseSentryEvent(
    {
      message: p.message,
      level: p.level,
      release: p.release,
      environment: p.environment,
      tags: p.tags,
      exception: p.stack
        ? {
            values: [
              {
                type: typeMatch?.[1] ?? "Error",
                value: typeMatch?.[2] ?? p.message,
                stacktrace: { frames: [] },
              },
            ],
          }
        : undefined,
    },
    r.clock(),
    newEventId,
  );
  const ex = e.exceptions[0];
  if (ex && p.stack) ex.frames = framesOfText(p.stack);
  return storeEvent(r, serviceId, e);
}
